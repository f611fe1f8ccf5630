"""The SQLite backend's writers wait for the write lock in short steps instead of SQLite's sleeping busy handler:
a waiting writer gets in once the holder commits, gives up with "database is locked" after the timeout, and leaves
the connection's busy timeout as it was."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from dancu.db.sqlite.base import DatabaseWrapper


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker: Any) -> Any:
    """These tests open their own SQLite files, not the test database."""
    with django_db_blocker.unblock():
        yield


def _wrapper(path: Path) -> DatabaseWrapper:
    settings = {  # as dancu.settings configures SQLite (whichever database the suite itself runs on)
        "ENGINE": "dancu.db.sqlite", "NAME": str(path), "USER": "", "PASSWORD": "", "HOST": "", "PORT": "",
        "OPTIONS": {"transaction_mode": "IMMEDIATE",
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000;"},
        "TIME_ZONE": None, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False, "TEST": {},
    }  # fmt: skip
    wrapper = DatabaseWrapper(settings, alias=f"sqlite-test-{id(path)}")
    wrapper.ensure_connection()
    return wrapper


@pytest.fixture
def pair(tmp_path: Path) -> Any:
    first, second = _wrapper(tmp_path / "db.sqlite3"), _wrapper(tmp_path / "db.sqlite3")
    first.connection.execute("CREATE TABLE t (n INTEGER)")
    yield first, second
    first.close()
    second.close()


def _busy_timeout(wrapper: DatabaseWrapper) -> int:
    return int(wrapper.connection.execute("PRAGMA busy_timeout").fetchone()[0])


def test_a_waiting_writer_gets_in_when_the_holder_commits(pair: Any) -> None:
    holder, waiter = pair
    assert holder.vendor == "sqlite" and waiter.transaction_mode == "IMMEDIATE"
    holder.connection.execute("BEGIN IMMEDIATE")
    holder.connection.execute("INSERT INTO t VALUES (1)")
    outcome: list[str] = []
    started = threading.Event()

    def write() -> None:
        started.set()
        try:
            waiter._start_transaction_under_autocommit()
            waiter.connection.execute("INSERT INTO t VALUES (2)")
            waiter.connection.execute("COMMIT")
            outcome.append("written")
        except sqlite3.Error as error:
            outcome.append(str(error))

    thread = threading.Thread(target=write)
    thread.start()
    started.wait(5)
    thread.join(0.05)
    assert thread.is_alive() and outcome == [], "it waits while the lock is held"
    holder.connection.execute("COMMIT")
    thread.join(10)
    assert outcome == ["written"]
    assert sorted(n for (n,) in holder.connection.execute("SELECT n FROM t")) == [1, 2]
    assert _busy_timeout(waiter) == waiter.busy_timeout_ms, "the busy handler is back for the statements"


def test_a_writer_gives_up_after_the_timeout(pair: Any) -> None:
    holder, waiter = pair
    waiter.busy_timeout_ms = 50
    holder.connection.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        waiter._start_transaction_under_autocommit()
    holder.connection.execute("ROLLBACK")
    assert _busy_timeout(waiter) == 50
    waiter._start_transaction_under_autocommit()  # free again
    waiter.connection.execute("ROLLBACK")


def test_django_transactions_from_many_threads_all_commit(tmp_path: Path) -> None:
    """Eight threads, each with its own connection, each committing 25 transactions on one file."""
    path = tmp_path / "many.sqlite3"
    setup = _wrapper(path)
    setup.connection.execute("CREATE TABLE c (n INTEGER)")
    setup.close()
    errors: list[BaseException] = []

    def work() -> None:
        wrapper = _wrapper(path)
        try:
            for _ in range(25):
                wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
                wrapper.connection.execute("INSERT INTO c VALUES (1)")
                wrapper.commit()
                wrapper.set_autocommit(True)
        except BaseException as error:
            errors.append(error)
        finally:
            wrapper.close()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    check = _wrapper(path)
    assert check.connection.execute("SELECT count(*) FROM c").fetchone()[0] == 200
    check.close()
