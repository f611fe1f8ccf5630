"""The one base64url helper: unpadded, URL-safe, round-trips any bytes and refuses what is not base64url."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dancu.core import base64url


@given(st.binary(max_size=300))
def test_round_trip_without_padding(data: bytes) -> None:
    text = base64url.encode(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert base64url.decode(text) == data
    assert base64url.decode(text.encode()) == data
    assert base64url.decode(base64.urlsafe_b64encode(data).decode()) == data, "padding is accepted too"


@pytest.mark.parametrize("text", ["ab+c", "ab/c", "a", "ab!c", "ab c"])
def test_not_base64url(text: str) -> None:
    with pytest.raises(ValueError, match="not base64url"):
        base64url.decode(text)
