"""Keys and primitives shared by the projector (Django side) and the gateway (no Django).

- HMAC-SHA-256 (truncated to 16 bytes) keys the projection by PIN and hides the attributes compared for yes/no
  verification; every attribute HMAC is bound to the PIN so equal values of two people do not compare equal.
- AES-256-GCM encrypts each class of lookup fields under its own key, with the PIN's HMAC and the class name as
  associated data (a ciphertext moved to another row or class fails to decrypt).
- Ed25519 signs access tokens and ledger checkpoints.

Keys live in a directory (``DANCU_KEYS_DIR``, default ``var/keys``), generated on first run for the embedded default
and provisioned from a secret store in production. A key file holds a list of keys, newest first: the first signs or
encrypts, all of them verify or decrypt, so keys rotate without downtime (add a new key first, retire the old one
once nothing made with it is in use).
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from dancu.core import base64url

#: Field classes of the lookup projection, each under its own encryption key.
FIELD_CLASSES = ("identity", "status", "residence", "origin")
HMAC_BYTES = 16


@dataclass(frozen=True)
class Secret:
    kid: str
    material: bytes


def _load_or_create(path: Path, make: int | None) -> list[Secret]:
    """Read a key file (JSON: {"keys": [{"kid", "k", "created"}]}); create it with one key if missing."""
    if path.exists():
        data = json.loads(path.read_text())
        return [Secret(k["kid"], base64url.decode(k["k"])) for k in data["keys"]]
    if make is None:
        raise FileNotFoundError(f"key file {path} is missing")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Secret(f"{path.stem}-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}", os.urandom(make))
    body = {"keys": [{"kid": key.kid, "k": base64url.encode(key.material), "created": datetime.now(UTC).isoformat()}]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, indent=1))
    tmp.chmod(0o600)
    tmp.replace(path)
    return [key]


def rotate_key(path: Path, size: int) -> str:
    """Add a new key in front (it becomes the active one); older keys stay for verifying/decrypting."""
    data = json.loads(path.read_text()) if path.exists() else {"keys": []}
    kid = f"{path.stem}-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    data["keys"].insert(
        0, {"kid": kid, "k": base64url.encode(os.urandom(size)), "created": datetime.now(UTC).isoformat()}
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.chmod(0o600)
    tmp.replace(path)
    return kid


class Keyring:
    """All keys of one installation, loaded from a directory (created for the embedded default)."""

    def __init__(self, directory: Path, *, create: bool = True) -> None:
        size = 32 if create else None
        self.directory = directory
        self.hmac_key = _load_or_create(directory / "projection-hmac.json", size)[0].material
        self.field_keys = {c: _load_or_create(directory / f"field-{c}.json", size) for c in FIELD_CLASSES}
        self.token_keys = _load_or_create(directory / "token-signing.json", size)
        self.ledger_keys = _load_or_create(directory / "ledger-signing.json", size)
        self._ciphers: dict[str, AESGCM] = {}

    # -- HMAC

    def pin_hmac(self, pin: str) -> bytes:
        return hmac.digest(self.hmac_key, b"pin\0" + pin.encode(), "sha256")[:HMAC_BYTES]

    def attribute_hmac(self, pin: str, attribute: str, value: str) -> bytes:
        return hmac.digest(self.hmac_key, f"{attribute}\0{pin}\0{value}".encode(), "sha256")[:HMAC_BYTES]

    # -- field encryption

    def encrypt(self, field_class: str, pin_h: bytes, plaintext: bytes, nonce: bytes | None = None) -> bytes:
        """AES-256-GCM under the class's active key; ``nonce`` (12 random bytes) may be supplied by a caller that
        draws randomness in bulk. Layout: kid length, kid, nonce, ciphertext and tag."""
        key = self.field_keys[field_class][0]
        nonce = nonce or os.urandom(12)
        prefix = self._prefix(key)
        sealed = self._cipher(key).encrypt(nonce, plaintext, pin_h + field_class.encode())
        return prefix + nonce + sealed

    def sealer(self, field_class: str) -> tuple[Callable[[bytes, bytes, bytes], bytes], bytes]:
        """For sealing many values of one class: ``(seal, aad_suffix)`` where ``seal(nonce, plaintext, pin_h +
        aad_suffix)`` gives the same bytes as ``encrypt(field_class, pin_h, plaintext, nonce)``."""
        key = self.field_keys[field_class][0]
        prefix = self._prefix(key)
        encrypt = self._cipher(key).encrypt

        def seal(nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
            return prefix + nonce + encrypt(nonce, plaintext, aad)

        return seal, field_class.encode()

    def _cipher(self, key: Secret) -> AESGCM:
        cipher = self._ciphers.get(key.kid)
        if cipher is None:
            cipher = self._ciphers[key.kid] = AESGCM(key.material)
        return cipher

    @staticmethod
    def _prefix(key: Secret) -> bytes:
        kid = key.kid.encode()
        return bytes([len(kid)]) + kid

    def decrypt(self, field_class: str, pin_h: bytes, blob: bytes) -> bytes:
        kid_len = blob[0]
        kid = blob[1 : 1 + kid_len].decode()
        nonce = blob[1 + kid_len : 13 + kid_len]
        for key in self.field_keys[field_class]:
            if key.kid == kid:
                return self._cipher(key).decrypt(nonce, blob[13 + kid_len :], pin_h + field_class.encode())
        raise KeyError(f"no key {kid} for field class {field_class}")

    # -- signing

    @staticmethod
    def _ed25519(secret: Secret) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(secret.material)

    def token_signing_key(self) -> tuple[str, Ed25519PrivateKey]:
        return self.token_keys[0].kid, self._ed25519(self.token_keys[0])

    def token_public_keys(self) -> dict[str, Ed25519PublicKey]:
        return {k.kid: self._ed25519(k).public_key() for k in self.token_keys}

    def ledger_signing_key(self) -> tuple[str, Ed25519PrivateKey]:
        return self.ledger_keys[0].kid, self._ed25519(self.ledger_keys[0])

    def ledger_public_keys(self) -> dict[str, Ed25519PublicKey]:
        return {k.kid: self._ed25519(k).public_key() for k in self.ledger_keys}


def public_jwk(kid: str, key: Ed25519PublicKey) -> dict[str, str]:
    """An Ed25519 public key as a JWK (RFC 8037)."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": base64url.encode(raw), "kid": kid, "use": "sig"}


class SecretBox:
    """AES-256-GCM for small secrets kept in the database (TOTP seeds), under a key file of their own that rotates
    like the others (new key first, old keys kept for reading). Layout as :meth:`Keyring.encrypt`."""

    def __init__(self, path: Path) -> None:
        self.keys = _load_or_create(path, 32)

    def seal(self, associated: bytes, plaintext: bytes) -> bytes:
        key = self.keys[0]
        nonce = os.urandom(12)
        kid = key.kid.encode()
        return bytes([len(kid)]) + kid + nonce + AESGCM(key.material).encrypt(nonce, plaintext, associated)

    def open(self, associated: bytes, blob: bytes) -> bytes:
        kid_len = blob[0]
        kid = blob[1 : 1 + kid_len].decode()
        nonce = blob[1 + kid_len : 13 + kid_len]
        for key in self.keys:
            if key.kid == kid:
                return AESGCM(key.material).decrypt(nonce, blob[13 + kid_len :], associated)
        raise KeyError(f"no key {kid}")


class SigningKeys:
    """Ed25519 keys of one signer (an issuing agency) in their own key file: the newest signs, all verify."""

    def __init__(self, path: Path) -> None:
        self.keys = _load_or_create(path, 32)

    def active(self) -> tuple[str, Ed25519PrivateKey]:
        return self.keys[0].kid, Ed25519PrivateKey.from_private_bytes(self.keys[0].material)

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        return {k.kid: Ed25519PrivateKey.from_private_bytes(k.material).public_key() for k in self.keys}


class PseudonymKey:
    """The key behind the pseudonyms of life events (a person's stable alias for one connected system): each system's
    key is derived from it, so two systems' pseudonyms of one person cannot be linked, and only the registry can
    resolve one (through a recorded lookup)."""

    def __init__(self, path: Path) -> None:
        self.material = _load_or_create(path, 32)[0].material

    def system_key(self, system: str) -> bytes:
        return hmac.digest(self.material, b"pseudonym\0" + system.encode(), "sha256")


def pseudonym(system_key: bytes, pin: str) -> str:
    """The 22-character base64url pseudonym of ``pin`` under a system's key: HMAC-SHA256, first 16 bytes."""
    return base64url.encode(hmac.digest(system_key, pin.encode(), "sha256")[:16])
