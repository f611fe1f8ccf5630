"""Django's SQLite backend, with writers that wait for the write lock in short steps.

SQLite lets one writer in at a time. A transaction here starts with ``BEGIN IMMEDIATE``, and a writer that finds the
lock taken waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms between
tries: under concurrent writes (several web workers and threads submitting at once) a waiter sleeps far past the
moment the lock is free while newer writers take it, and the unluckiest request waits for seconds. Here ``BEGIN
IMMEDIATE`` is tried with the busy handler off and retried every 0.2-2 ms until it succeeds or the usual timeout
(``busy_timeout``, 10 s) has passed; statements inside the transaction, and those outside one, keep the busy handler.
The gateway's ledger does the same for its own database (gateway/ledger.py).
"""

from __future__ import annotations

import sqlite3
import time

from django.db.backends.sqlite3 import base

#: Waits between tries of BEGIN IMMEDIATE, in seconds: short at first, then steady.
FIRST_WAIT = 0.0002
LONGEST_WAIT = 0.002


class DatabaseWrapper(base.DatabaseWrapper):
    #: As in settings' ``PRAGMA busy_timeout`` (the wait for the lock inside a transaction and outside one).
    busy_timeout_ms = 10_000

    def _start_transaction_under_autocommit(self) -> None:
        if getattr(self, "transaction_mode", None) != "IMMEDIATE":
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        raw = self.connection
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            deadline = time.monotonic() + self.busy_timeout_ms / 1000
            wait = FIRST_WAIT
            while True:
                try:
                    raw.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    locked = "locked" in str(error) or "busy" in str(error)
                    if not locked or time.monotonic() >= deadline:
                        raise
                time.sleep(wait)
                wait = min(wait * 2, LONGEST_WAIT)
        finally:
            raw.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
