"""The access ledger of the verification gateway: every call a connected system makes, tamper-evident.

Each call (a bank verifying a customer, a ministry looking up a record, a refused or malformed request...) becomes one
:class:`LedgerEntry`. Entries are appended to a SQLite file in WAL mode with ``synchronous=FULL``: when
:meth:`Ledger.append_batch` returns, the entries are on disk, so the gateway answers only calls that are already
recorded. :class:`AsyncLedger` gives an asyncio server group commit.

The package, one room per concern:

- :mod:`.entry`: the entry format, its checks, and :func:`~.entry.hash_input`, the one definition of the bytes an
  entry's hash covers (``hash = SHA-256(prev_hash || hash_input)``; the first entry's ``prev_hash`` is 32 zero bytes);
- :mod:`.store`: the SQLite file (schema, connections, the writers' turn);
- :mod:`.writer`: :class:`Ledger`, appends and checkpoints;
- :mod:`.group_commit`: :class:`AsyncLedger` and the background WAL checkpointer / indexer;
- :mod:`.checkpoints`: signed checkpoints (the platform's Ed25519 seal on one entry's hash);
- :mod:`.witness`: the checkpoints and a signed tail head sent to a witness outside the file, and the check against it;
- :mod:`.people`: the per-person index (a citizen's "who accessed my data");
- :mod:`.verify`: :func:`verify_ledger`, offline.

What :func:`verify_ledger` cannot detect
    - From the file alone: removal of the entries after the last checkpoint (truncation of the unsealed tail), and a
      truncation back to an earlier checkpoint when the later checkpoint rows are deleted too, or deletion of
      checkpoint rows in general (the remaining chain and checkpoints are still valid). The witness
      (:mod:`.witness`: every checkpoint and a signed tail head every few seconds, kept outside the file) catches
      these, for the entries up to its last statement: ``verify_ledger(..., witness=PATH)``.
    - With a witness file on the same node: the ledger and that file rewritten together by whoever holds the
      node's files; a witness held by another party (HTTP) is needed against them. Nor a witness file truncated.
    - Anything done by someone holding the signing key (they can re-sign a rewritten chain), and lies told before
      writing (the ledger records what the gateway says happened).

The package uses only the standard library, ``orjson`` and ``cryptography`` (the gateway process never imports
Django).
"""

from dancu.gateway.ledger.entry import LedgerEntry, StoredEntry, now_iso
from dancu.gateway.ledger.group_commit import AsyncLedger, LedgerWriteError
from dancu.gateway.ledger.people import PersonIndexer, read_entries_before, read_entries_for
from dancu.gateway.ledger.verify import VerifyReport, verify_ledger
from dancu.gateway.ledger.writer import Ledger

__all__ = [
    "AsyncLedger",
    "Ledger",
    "LedgerEntry",
    "LedgerWriteError",
    "PersonIndexer",
    "StoredEntry",
    "VerifyReport",
    "now_iso",
    "read_entries_before",
    "read_entries_for",
    "verify_ledger",
]
