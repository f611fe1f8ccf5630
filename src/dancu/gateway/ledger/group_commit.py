"""Group commit for an asyncio server: :class:`AsyncLedger` writes concurrent calls' entries in batches, one
transaction (one fsync) per batch, from one writer task; :class:`WalCheckpointer` keeps the WAL short and extends the
per-person index off the answer path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from dancu.gateway.ledger.entry import LedgerEntry, check_entry
from dancu.gateway.ledger.people import RUN_KEYS, PersonIndexer
from dancu.gateway.ledger.store import connect
from dancu.gateway.ledger.witness import Witness, WitnessPublisher, witness_from_env, witness_seconds_from_env
from dancu.gateway.ledger.writer import Ledger

log = logging.getLogger("dancu.gateway.ledger")


class LedgerWriteError(RuntimeError):
    """Raised to every :meth:`AsyncLedger.append` caller whose entry could not be written (the cause is chained).

    The server answers 503: a call that is not recorded must not be answered.
    """


@dataclass(slots=True)
class _Pending:
    entries: list[LedgerEntry]
    future: asyncio.Future[list[int]]


def _fail_all(items: Iterable[_Pending], message: str, cause: BaseException | None) -> None:
    """Raise a :class:`LedgerWriteError` (its own instance, the cause chained) in each waiting caller."""
    for item in items:
        if not item.future.done():
            error = LedgerWriteError(message)
            error.__cause__ = cause
            item.future.set_exception(error)


def _run_keys_setting() -> int:
    """``DANCU_LEDGER_RUN_KEYS``, or :data:`RUN_KEYS` when it is unset or not a positive whole number."""
    text = os.environ.get("DANCU_LEDGER_RUN_KEYS", "")
    if text.isdigit() and int(text) > 0:
        return int(text)
    if text:
        log.warning("DANCU_LEDGER_RUN_KEYS=%r is not a positive whole number: using %d", text, RUN_KEYS)
    return RUN_KEYS


class WalCheckpointer(threading.Thread):
    """Moves the ledger's write-ahead log into the database file once a second, off the commit path, and extends the
    per-person index (:class:`PersonIndexer`: in one gateway process at a time).

    With SQLite's automatic checkpoint, every thousandth page made the committing batch wait for a copy and an fsync
    of the database file: that was the slowest answers' wait. Gateways disable it on their ledger connection
    (``wal_autocheckpoint = 0``) and run this PASSIVE checkpoint, which never blocks writers.
    """

    def __init__(self, path: Path, interval: float = 1.0, publisher: WitnessPublisher | None = None) -> None:
        super().__init__(name="dancu-ledger-checkpointer", daemon=True)
        self.path = path
        self.interval = interval
        self.publisher = publisher
        self._halt = threading.Event()

    def run(self) -> None:
        conn = connect(self.path, cache_kib=2048)  # reads the tail once, writes a run now and then
        indexer = PersonIndexer(self.path, run_keys=_run_keys_setting())
        try:
            while not self._halt.wait(self.interval):
                try:
                    indexer.step(conn)
                except (sqlite3.Error, OSError):
                    log.exception("access ledger: the per-person index could not be extended (will retry)")
                if self.publisher is not None:
                    try:
                        self.publisher.step(conn)
                    except Exception:  # a damaged row must not end the thread that also checkpoints the WAL
                        log.exception("access ledger: the witness statements could not be sent (will retry)")
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            indexer.close()
            conn.close()

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


class AsyncLedger:
    """Group commit for an asyncio server: append() waits until its entry is durable, batches are written by one
    writer task using asyncio.to_thread(Ledger.append_batch).

    While one batch is being committed, new calls queue up and go in the next one: the batch size adapts to the
    load with no added latency. A failed write raises :class:`LedgerWriteError` (the cause chained) in every
    ``append()`` of that batch; later batches are tried again. A caller cancelled while waiting does not take its
    entry out: it is still written (recording a call that got no answer is harmless, losing one is not). When the
    ledger signs, the writer also seals the tail after ``checkpoint_seconds`` without calls, and the background
    thread sends the checkpoints and a signed tail head every ``witness_seconds`` to the witness (by default the one
    configured by ``DANCU_LEDGER_WITNESS``: :mod:`.witness`).
    """

    def __init__(
        self, ledger: Ledger, *, max_batch: int = 2000, witness: Witness | None = None,
        witness_seconds: float | None = None,
    ) -> None:  # fmt: skip
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.ledger = ledger
        self.publisher: WitnessPublisher | None = None
        if ledger.signs:  # a ledger without a signing key has nothing to witness
            self.publisher = WitnessPublisher(
                ledger.path, ledger, witness or witness_from_env(ledger.path),
                seconds=witness_seconds or witness_seconds_from_env(),
            )  # fmt: skip
        self._max_batch = max_batch
        self._pending: deque[_Pending] = deque()
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        #: Whether the last batch failed to be written (cleared by the next one written): readiness reports it.
        self.failing = False

    async def probe(self, timeout: float = 2.0) -> None:
        """Raise unless an entry could be written now (:meth:`Ledger.probe_write`, in a thread) and the last batch was
        written."""
        if self._task is None or self._task.done() or self._stopping:
            raise RuntimeError("the access ledger's writer is not running")
        if self.failing:
            raise RuntimeError("the access ledger's last write failed")
        await asyncio.to_thread(self.ledger.probe_write, timeout)

    async def start(self) -> None:
        """Start the writer task (in the running event loop) and the background WAL checkpointer."""
        if self._task is not None:
            raise RuntimeError("AsyncLedger is already started")
        self.ledger.disable_autocheckpoint()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="dancu-ledger-writer")
        interval = min(1.0, self.publisher.seconds) if self.publisher is not None else 1.0
        self._checkpointer = WalCheckpointer(self.ledger.path, interval, self.publisher)
        self._checkpointer.start()

    async def append(self, entry: LedgerEntry) -> int:
        """Queue an entry and return its sequence once it is committed (raises :class:`LedgerWriteError` if not)."""
        return (await self._submit([entry]))[0]

    async def append_many(self, entries: Sequence[LedgerEntry]) -> list[int]:
        """Queue entries (written together, in order) and return their sequences once committed."""
        if not entries:
            return []
        return await self._submit(list(entries))

    async def stop(self) -> None:
        """Flush what is queued, stop the writer, then write a final checkpoint and send it to the witness. The
        :class:`Ledger` stays open."""
        checkpointer = getattr(self, "_checkpointer", None)
        if checkpointer is not None:
            checkpointer.stop()
        task = self._task
        if task is None:
            return
        self._stopping = True
        assert self._wakeup is not None
        self._wakeup.set()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # stop() itself is being cancelled
            # the writer had been cancelled: its callers got LedgerWriteError; still seal what was written
        finally:
            self._task = None
        await asyncio.to_thread(self.ledger.checkpoint)
        await asyncio.to_thread(self.witness_now)

    def witness_now(self) -> None:
        """Send the witness what it has not yet seen (new checkpoints and the tail head) now, in this thread."""
        publisher = self.publisher
        if publisher is None:
            return
        conn = connect(self.ledger.path, cache_kib=512)
        try:
            publisher.step(conn, force=True)
        except Exception:  # stopping goes on: the next start sends the last checkpoint again
            log.exception("access ledger: the witness statements could not be sent")
        finally:
            conn.close()
            publisher.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _submit(self, entries: list[LedgerEntry]) -> list[int]:
        if self._task is None or self._stopping or self._task.done():
            raise RuntimeError("AsyncLedger is not running")
        for entry in entries:
            check_entry(entry)  # a bad entry fails its own caller, not the whole batch
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(entries, future))
        assert self._wakeup is not None
        self._wakeup.set()
        return await future

    def _take_batch(self) -> list[_Pending]:
        batch = [self._pending.popleft()]
        size = len(batch[0].entries)
        while self._pending and size + len(self._pending[0].entries) <= self._max_batch:
            item = self._pending.popleft()
            batch.append(item)
            size += len(item.entries)
        return batch

    async def _write(self, batch: list[_Pending]) -> None:
        entries = [entry for item in batch for entry in item.entries]
        try:
            sequences = await asyncio.to_thread(self.ledger.append_batch, entries, checked=True)
        except Exception as exc:
            self.failing = True
            log.error("access ledger write of %d entries failed", len(entries), exc_info=exc)
            _fail_all(batch, f"the access ledger could not record the call: {exc!r}", exc)
            return
        except BaseException:  # the writer task was cancelled: the batch may or may not be committed
            _fail_all(batch, "the access ledger writer was cancelled during the write", None)
            raise
        self.failing = False
        start = 0
        for item in batch:
            end = start + len(item.entries)
            if not item.future.done():
                item.future.set_result(sequences[start:end])
            start = end

    async def _idle_checkpoint(self) -> None:
        try:
            await asyncio.to_thread(self.ledger.checkpoint)
        except Exception:
            log.exception("access ledger checkpoint failed (will retry)")

    async def _run(self) -> None:
        wakeup = self._wakeup
        assert wakeup is not None
        idle = self.ledger.checkpoint_seconds if self.ledger.signs else None
        try:
            while True:
                if self._pending:
                    await self._write(self._take_batch())
                    continue
                if self._stopping:
                    return
                wakeup.clear()
                try:
                    await asyncio.wait_for(wakeup.wait(), idle)
                except TimeoutError:
                    await self._idle_checkpoint()
        finally:  # left with entries queued only when the writer itself was cancelled or crashed
            _fail_all(self._pending, "the access ledger writer stopped", None)
            self._pending.clear()
