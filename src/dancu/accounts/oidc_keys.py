"""The OpenID Connect provider's RSA signing keys, kept in the keys directory (generated on first run).

``oidc/active.pem`` signs ID tokens; ``oidc/retired-*.pem`` are still published in the JWKS so that tokens signed
before a rotation keep verifying. ``dancu oidc_keys rotate`` retires the active key and makes a new one; web workers
pick it up when they restart (rolling restart, no downtime). Imported by settings: no Django imports here.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _new_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_once(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data`` unless another process did first (then theirs wins)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o600)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def load(keys_dir: str | Path) -> tuple[str, list[str]]:
    """(active PEM, retired PEMs newest first), creating the active key on first run."""
    directory = Path(keys_dir) / "oidc"
    active = directory / "active.pem"
    if not active.exists():
        _write_once(active, _new_pem())
    retired = sorted(directory.glob("retired-*.pem"), reverse=True)
    return active.read_text(), [p.read_text() for p in retired]


def rotate(keys_dir: str | Path, keep: int = 2) -> Path:
    """Retire the active key (kept for verification) and create a new one; keeps the ``keep`` newest retired keys."""
    directory = Path(keys_dir) / "oidc"
    load(keys_dir)
    active = directory / "active.pem"
    retired = directory / f"retired-{time.time_ns():020d}.pem"  # sorts by age; never the same twice
    os.replace(active, retired)
    _write_once(active, _new_pem())
    for old in sorted(directory.glob("retired-*.pem"), reverse=True)[keep:]:
        old.unlink()
    return retired
