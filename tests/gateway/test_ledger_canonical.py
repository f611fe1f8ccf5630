"""The ledger hashes orjson's bytes; the published formula (and any independent verifier) uses the standard library's
compact JSON: they must be the same bytes for every value an entry can hold."""

from __future__ import annotations

import json

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

STDLIB = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))
VALUES = st.recursive(
    st.one_of(TEXT, st.integers(min_value=0, max_value=2**62)), lambda inner: st.lists(inner, max_size=4), max_leaves=12
)


@given(VALUES)
@settings(max_examples=3000)
def test_orjson_writes_the_canonical_bytes(value: object) -> None:
    assert orjson.dumps(value) == STDLIB.encode(value).encode()


def test_every_control_character_and_odd_code_point() -> None:
    text = "".join(chr(c) for c in range(0x80)) + "\u2028\u2029\ufeff\U0001f600\u00ad"
    assert orjson.dumps([text, 1, [text]]) == STDLIB.encode([text, 1, [text]]).encode()
