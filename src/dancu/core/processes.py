"""Clean stops for dancu's long-running processes (docs/operator.md, "Stopping and starting").

Every long-running process exits within a few seconds of SIGTERM (systemd's stop, a rolling restart, Ctrl-C of
``make demo``): it stops taking new work, finishes the batch it is applying, commits its offset and exits 0.

- **Followers** (``dancu project --follow``, ``dancu follow --follow``, ``dancu messages deliver --follow``, and any
  new relay or delivery loop): call :func:`stop_on_signals` once at start, then loop on ``while not stop.is_set()``,
  waiting between passes with ``stop.wait(interval)`` (cut short by the signal) instead of ``time.sleep``, and check
  ``stopping()`` between batches inside a pass. The signal handler only sets a flag, so the batch being applied
  when it arrives still commits with its offset in one transaction: nothing is applied twice after a restart, and
  nothing is cut half-way.
- **granian workers** (the web and the gateway): :func:`granian_signals_once` (called by ``dancu.wsgi`` and the
  gateway's ``app_factory``). granian 2.8's worker hands each SIGTERM/SIGINT to a one-slot channel with a blocking
  send, holding the GIL; the thread that reads that channel reads it once and then needs the GIL to finish the
  shutdown. A worker that receives a third stop signal (Ctrl-C reaches every process of the terminal's group, the
  master forwards its own SIGTERM, ``make demo``'s trap another) blocks in that send for ever, and the master waits
  for it: the gateway "survived SIGTERM" until SIGKILL. Here the first signal is passed on and later ones are
  dropped, which is what granian means them to do.

This module is plain Python (no Django): the gateway and the Django commands both use it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Iterable
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stop:
    """A process-wide stop request: set by SIGTERM or SIGINT once :func:`stop_on_signals` is installed.

    Safe to set from a signal handler: setting it takes no lock (a handler that waited for a lock the interrupted
    code holds would hang the process), it stores a flag and writes a byte to a pipe that :meth:`wait` selects on.
    """

    def __init__(self) -> None:
        self._set = False
        self.signal: int | None = None
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def is_set(self) -> bool:
        return self._set

    def set(self, signum: int | None = None) -> None:
        if self.signal is None:
            self.signal = signum
        self._set = True
        with contextlib.suppress(OSError):  # the pipe is full: a wake-up is already pending
            os.write(self._write, b"\0")

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True (at once) when a stop was requested."""
        if not self._set:
            select.select([self._read], [], [], max(0.0, seconds))
            self._drain()  # also where a signal that woke the select has its Python handler run (on this call)
        return self._set

    def _drain(self) -> None:
        if not self._set:  # bytes of other signals (the wakeup descriptor's) must not keep waking the select
            with contextlib.suppress(OSError):
                while os.read(self._read, 4096):
                    pass

    def wake_on_any_thread(self) -> None:
        """Make the signal wake :meth:`wait` whichever thread the kernel delivers it to.

        A signal sent to a process goes to any of its threads. When it lands on another thread than the main one
        (a process that serves HTTP in threads: the demo fund, the demo relying party), Python's C handler only
        notes it, and the main thread, asleep in ``select`` on this pipe, was never woken to run the Python handler:
        the process ignored SIGTERM until something else woke it. With the pipe as Python's wakeup descriptor, the
        C handler writes the signal's number to it from whichever thread, the select returns, and the handler runs.
        Left alone where a wakeup descriptor is already set (an asyncio loop's); main thread only."""
        try:
            previous = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        except ValueError:  # not the main thread
            return
        if previous not in (-1, self._write):
            signal.set_wakeup_fd(previous)

    def clear(self) -> None:
        """Forget a stop request (tests, and a process that runs several loops one after the other)."""
        self.signal = None
        self._set = False
        with contextlib.suppress(OSError):
            while os.read(self._read, 4096):
                pass


#: The one stop request of this process.
STOP = Stop()


def stopping() -> bool:
    """Whether this process was asked to stop (check it between batches)."""
    return STOP.is_set()


def stop_on_signals(signals: Iterable[int] = STOP_SIGNALS) -> Stop:
    """Make SIGTERM and SIGINT set :data:`STOP` instead of killing the process (or raising KeyboardInterrupt) and
    return it. Call it from the main thread, once, before the loop; later signals do nothing more."""

    def handler(signum: int, frame: FrameType | None) -> None:
        STOP.set(signum)

    for sig in signals:
        signal.signal(sig, handler)
    STOP.wake_on_any_thread()
    ignore_stop_signals_at_exit()
    return STOP


def granian_signals_once() -> None:
    """In a granian worker process: pass the first stop signal to granian and drop the later ones (see the module's
    docstring for why a later one hangs the worker). Does nothing outside granian or if its internals moved (then
    granian's own handling applies)."""
    module = sys.modules.get("granian._signals")
    if module is None:
        return
    worker_signal = getattr(module, "WorkerSignal", None)
    get_signals = getattr(module, "_get_signals", None)
    if worker_signal is None or get_signals is None or getattr(module, "_dancu_once", False):
        return
    ignore_stop_signals_at_exit()

    def once(event: Any) -> Any:
        fired = threading.Lock()

        def handler(signum: int, frame: FrameType | None) -> None:
            if fired.acquire(blocking=False):
                event.set()

        return handler

    def set_loop_signals(loop: Any) -> Any:
        event = worker_signal()
        handler = once(event)
        try:
            for sig in get_signals():
                loop.add_signal_handler(sig, handler, sig, None)
        except NotImplementedError:
            for sig in get_signals():
                signal.signal(sig, handler)
        return event

    def set_sync_signals() -> Any:
        event = worker_signal()
        handler = once(event)
        for sig in get_signals():
            signal.signal(sig, handler)
        # The WSGI worker's main thread then sleeps on a threading.Event: a signal landing on one of granian's
        # threads would not wake it (see Stop.wake_on_any_thread).
        call_on_signals_from_a_thread(lambda number: handler(number, None) if number in _STOP_NUMBERS else None)
        return event

    setattr(module, "set_loop_signals", set_loop_signals)  # noqa: B010 (patching granian's module, on purpose)
    setattr(module, "set_sync_signals", set_sync_signals)  # noqa: B010
    setattr(module, "_dancu_once", True)  # noqa: B010


_STOP_NUMBERS = frozenset(int(sig) for sig in STOP_SIGNALS)


def call_on_signals_from_a_thread(callback: Any) -> None:
    """Call ``callback(signal number)`` from a small thread for every signal that has a Python handler, whichever
    thread the kernel delivered it to (Python's wakeup descriptor, read by that thread).

    For a process whose main thread sleeps on a lock or a ``threading.Event`` (granian's master, its WSGI worker):
    such a sleep is woken by a signal only if the signal lands on the main thread, and a process with several threads
    often gets it on another one; the Python handler then waits for a wake-up that may never come. The callback
    must be safe to call from a thread and more than once (the Python handler still runs too, once the main thread
    wakes). Main thread only; left alone where a wakeup descriptor is already set (an asyncio loop's)."""
    read, write = os.pipe()
    os.set_blocking(write, False)
    try:
        previous = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    except ValueError:  # not the main thread
        os.close(read)
        os.close(write)
        return
    if previous != -1:
        signal.set_wakeup_fd(previous)
        os.close(read)
        os.close(write)
        return

    def watch() -> None:
        while True:
            try:
                data = os.read(read, 64)
            except OSError:
                return
            if not data:
                return
            for number in data:
                callback(number)

    threading.Thread(target=watch, name="dancu-signals", daemon=True).start()


def ignore_stop_signals_at_exit() -> None:
    """Make SIGTERM and SIGINT ignored once the process is exiting (an ``atexit`` hook, registered once).

    A Python handler does not cover the very end of a process: while the interpreter finalises it puts the default
    action back for every signal that has a Python handler, so a late SIGTERM (systemd's KillMode=control-group, a
    second Ctrl-C, ``make demo``'s trap) arriving then kills the process with status -15 although its stop was
    clean. SIG_IGN survives finalisation. It is not set from inside the first handler: Python then reports a second
    signal already pending as "Signal 15 ignored due to race condition" (an OSError in the main thread)."""
    global _AT_EXIT_REGISTERED
    if not _AT_EXIT_REGISTERED:
        atexit.register(_ignore_stop_signals)
        _AT_EXIT_REGISTERED = True


_AT_EXIT_REGISTERED = False


def _ignore_stop_signals() -> None:
    for _ in range(3):
        try:
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.SIG_IGN)  # handles a pending signal first, with the old handler
            return
        except (OSError, ValueError, KeyboardInterrupt, SystemExit):  # a signal that came in between: try again
            continue


def granian_master_clean_stop() -> None:
    """In granian's master process (before it starts): make a stop by signal end with status 0.

    Two things made a clean stop exit non-zero, both seen in CI when the whole process group is signalled:

    - a late stop signal arriving while the master's interpreter finalised killed it (status -15): stop signals are
      now ignored once it exits (:func:`ignore_stop_signals_at_exit`);
    - a worker that ended on the group's signal before the master asked it to was reported as an "unexpected exit"
      and the master exited 1: when the master itself was asked to stop, a worker that exited 0 or on a stop signal
      has done what was asked, and the status stays 0. A worker that crashed (any other status) still makes it 1.

    Does nothing if granian's internals moved (then granian's own handling applies)."""
    try:
        from granian.server import common
    except ImportError:  # pragma: no cover (granian is a dependency)
        return
    server_class = getattr(common, "AbstractServer", None)
    if server_class is None or getattr(common, "_dancu_clean_stop", False):
        return
    ignore_stop_signals_at_exit()
    set_main_signals = getattr(common, "set_main_signals", None)
    if set_main_signals is not None:

        def set_main_signals_woken(interrupt_handler: Any, reload_handler: Any = None) -> None:
            set_main_signals(interrupt_handler, reload_handler)

            def on_signal(number: int) -> None:  # the master's main thread sleeps on a threading.Event
                if number in _STOP_NUMBERS:  # SIGHUP (reload) stays granian's own: a second call would reload twice
                    interrupt_handler(number, None)

            call_on_signals_from_a_thread(on_signal)

        setattr(common, "set_main_signals", set_main_signals_woken)  # noqa: B010 (patching granian, on purpose)

    shutdown = server_class.shutdown
    stopped_by = {0, -signal.SIGTERM, -signal.SIGINT, 128 + signal.SIGTERM, 128 + signal.SIGINT}

    def clean_shutdown(self: Any, exit_code: int = 0) -> Any:
        if self.interrupt_signal and self.interrupt_children:
            workers = {index: worker for index, worker in enumerate(getattr(self, "wrks", []))}
            codes = [_exit_code(workers.get(index)) for index in self.interrupt_children]
            if all(code in stopped_by for code in codes):
                self.interrupt_children.clear()
        return shutdown(self, exit_code)

    setattr(server_class, "shutdown", clean_shutdown)  # noqa: B010 (patching granian's class, on purpose)
    setattr(common, "_dancu_clean_stop", True)  # noqa: B010


def _exit_code(worker: Any) -> int | None:
    inner = getattr(worker, "inner", None)
    if inner is None:
        return None
    inner.join(5)  # the watcher saw it end: its status is there or about to be
    return getattr(inner, "exitcode", None)


def serve() -> None:
    """``dancu-serve``: granian's command line (same arguments) with :func:`granian_master_clean_stop` applied, so
    that SIGTERM, Ctrl-C or a stop of the whole process group ends the web or the gateway with status 0. The
    workers patch themselves (:func:`granian_signals_once`, from ``dancu.wsgi`` and the gateway's ``app_factory``)."""
    from granian import cli

    granian_master_clean_stop()
    entrypoint: Any = cli.entrypoint
    sys.exit(entrypoint())
