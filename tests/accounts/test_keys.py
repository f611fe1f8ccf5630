"""The ID-token signing key rotates without downtime: the retired key stays in the JWKS next to the new one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from jwcrypto.jwk import JWK

from dancu.accounts import oidc_keys


def _kid(pem: str) -> str:
    return str(JWK.from_pem(pem.encode()).thumbprint())


def test_rotate_retires_the_active_key_and_keeps_the_two_newest(tmp_path: Path) -> None:
    first, retired = oidc_keys.load(tmp_path)
    assert retired == []
    assert oidc_keys.load(tmp_path)[0] == first  # created once, then read
    oidc_keys.rotate(tmp_path)
    second, retired = oidc_keys.load(tmp_path)
    assert second != first and retired == [first]
    for _ in range(2):
        oidc_keys.rotate(tmp_path)
    _active, retired = oidc_keys.load(tmp_path)
    assert len(retired) == 2 and first not in retired


@pytest.mark.django_db
def test_jwks_publishes_the_active_and_retired_keys(tmp_path: Path, settings: Any) -> None:
    oidc_keys.load(tmp_path)
    oidc_keys.rotate(tmp_path)
    active, retired = oidc_keys.load(tmp_path)
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": active, "OIDC_RSA_PRIVATE_KEYS_INACTIVE": retired,
    }  # fmt: skip
    keys = Client().get("/o/.well-known/jwks.json").json()["keys"]
    assert {k["kid"] for k in keys} == {_kid(active), _kid(retired[0])}
    assert all(k["kty"] == "RSA" and "d" not in k for k in keys)
