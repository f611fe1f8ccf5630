"""How ``ledger-0b3d0a8.sqlite3`` was made: with the code of commit 0b3d0a8 and its compiled writer (``_ledger.c``).

    git archive 0b3d0a8 src | tar -x -C /tmp/before   # then build or copy its _hmac*.so and _ledger*.so into it
    PYTHONPATH=/tmp/before/src .venv/bin/python tests/gateway/data/make_ledger_fixture.py \
        tests/gateway/data/ledger-0b3d0a8.sqlite3

The signing key is fixed (bytes 0..31) so that the test can verify it; it signs nothing else.
"""

import sqlite3
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import dancu.gateway.ledger as old

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def entry(i: int) -> old.LedgerEntry:
    items: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    if i % 5 == 0:
        items = (("aa" * 16, ("full_name", "sex"), "match"), ("cc" * 16, ("birth_date",), "no_match"),
                 ("", (), "malformed"))  # fmt: skip
    return old.LedgerEntry(
        time=f"2026-11-23T02:00:{i:02d}.{i:03d}Z", system="demo-bank", purpose="kyc-banking",
        operation="verify_batch" if items else "verify", pin_hmac="" if items else ("aa" if i % 2 else "bb") * 16,
        fields=() if items else ("full_name", "sex"), outcome=f"items={len(items)}" if items else "ok",
        request_id=f"r-{i}", items=items,
    )  # fmt: skip


def main() -> None:
    assert old.COMPILED_WRITER, "run this with the tree of 0b3d0a8 and its compiled writer"
    out = Path(sys.argv[1])
    for stale in out.parent.glob(out.name + "*"):
        stale.unlink()
    with old.Ledger(out, signing_key=KEY, key_id="fixture-key", checkpoint_every=7) as ledger:
        for start in range(0, 30, 3):
            ledger.append_batch([entry(i) for i in range(start, start + 3)])
        odd = 'mục đích \u2028 "q" \\ \x01 😀'  # escapes and characters JSON encoders disagree on
        ledger.append_batch([old.LedgerEntry("2026-11-23T02:01:00.000Z", "hệ-thống", odd, "lookup", "dd" * 16,
                                             ("họ tên",), "ok", "r-x")])  # fmt: skip
        ledger.index_people(run_keys=8, fanout=2)
        ledger.checkpoint()
    conn = sqlite3.connect(out)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
    conn.close()
    print(old.verify_ledger(out, {"fixture-key": KEY.public_key()}))


if __name__ == "__main__":
    main()
