"""The relay from the event log to JetStream, against a real nats-server: in order, each event once, through a
``kill -9`` of the relay mid-batch and a restart of the server mid-stream."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import warnings
from collections.abc import Callable
from datetime import date
from typing import Any

import nats
import pytest
from django.db import connections
from django.utils import timezone

from dancu.core.ids import uuid7
from dancu.events.models import Event
from dancu.events.relay import (
    EVENTS_STREAM,
    EventLogSource,
    PublishFailed,
    StreamRelay,
    events_stream_settings,
    get_offset,
)
from tests.fixtures.nats import NatsServer

# Committed events: the relay reads the log through its own database thread.
pytestmark = [pytest.mark.nats, pytest.mark.django_db(transaction=True)]

OFFSET = f"nats:{EVENTS_STREAM}"


def _append(count: int, *, types: tuple[str, ...] = ("birth.registered", "death.recorded")) -> list[Event]:
    now = timezone.now()
    Event.objects.bulk_create(
        Event(
            event_id=uuid7(),
            type=types[n % len(types)],
            pin=f"0010900{n % 50:05d}",
            effective_date=date(2026, 1, 1),
            recorded_at=now,
            actor="test",
            payload={"n": n},
        )
        for n in range(count)
    )
    return list(Event.objects.order_by("sequence"))


async def _stream_messages(server: NatsServer) -> list[tuple[int, str, str, dict[str, Any]]]:
    """Every message of the internal stream, in stream order: (stream sequence, subject, msg id, headers), read as a
    gateway node reads it."""
    nc = await nats.connect(server.url, **server.login("gateway"))
    try:
        js = nc.jetstream()
        info = await js.stream_info(EVENTS_STREAM)
        if not info.state.messages:
            return []
        sub = await js.pull_subscribe(f"{events_stream_settings().subjects[0]}", stream=EVENTS_STREAM)
        found: list[tuple[int, str, str, dict[str, Any]]] = []
        while len(found) < info.state.messages:
            for msg in await sub.fetch(1000, timeout=5):
                headers = msg.headers or {}
                found.append((msg.metadata.sequence.stream, msg.subject, headers["Nats-Msg-Id"], headers))
                await msg.ack()
        await sub.unsubscribe()
        return found
    finally:
        await nc.close()


def _assert_exactly_once_in_order(found: list[tuple[int, str, str, dict[str, Any]]], events: list[Event]) -> None:
    assert [msg_id for _, _, msg_id, _ in found] == [str(e.event_id) for e in events]
    assert [int(headers["Dancu-Position"]) for *_, headers in found] == [e.sequence for e in events]


async def _relay(server: NatsServer, *, batch_size: int = 500, ack_timeout: float = 5.0) -> StreamRelay:
    """Relay what the log holds now, once."""
    nc = await nats.connect(server.url, **server.login("relay"))
    relay = StreamRelay(nc, EventLogSource(), events_stream_settings(), batch_size=batch_size, ack_timeout=ack_timeout)
    try:
        await relay.run(follow=False)
    finally:
        await nc.close()
        await relay.close()
    return relay


def test_the_log_is_published_in_order_once_with_its_offset(nats_server: Callable[..., NatsServer]) -> None:
    server = nats_server()
    events = _append(120)
    relay = asyncio.run(_relay(server, batch_size=50))
    assert relay.stats.published == 120
    assert get_offset(OFFSET) == events[-1].sequence
    found = asyncio.run(_stream_messages(server))
    _assert_exactly_once_in_order(found, events)
    assert found[0][1] == "dancu.events.birth_registered.00"
    assert found[1][1] == "dancu.events.death_recorded.00"
    # Nothing new: nothing published again; new events follow on.
    more = _append(5)
    again = asyncio.run(_relay(server))
    assert again.stats.published == 5
    _assert_exactly_once_in_order(asyncio.run(_stream_messages(server)), more)


def test_a_batch_published_twice_is_stored_once(nats_server: Callable[..., NatsServer]) -> None:
    server = nats_server()
    _append(30)
    messages = EventLogSource().read((0, 0), 100).messages

    async def twice() -> StreamRelay:
        nc = await nats.connect(server.url, **server.login("relay"))
        relay = StreamRelay(nc, EventLogSource(), events_stream_settings())
        try:
            await relay.ensure_stream()
            await relay.resync()
            await relay.publish_batch(messages)
            relay._last_id = None  # as after a crash that lost what it knew: the same batch again
            await relay.publish_batch(messages)
        finally:
            await nc.close()
            await relay.close()
        return relay

    relay = asyncio.run(twice())
    assert (relay.stats.published, relay.stats.duplicates) == (30, 30)
    assert len(asyncio.run(_stream_messages(server))) == 30


def test_a_message_whose_predecessor_is_not_stored_is_refused(nats_server: Callable[..., NatsServer]) -> None:
    """A message lost on a broken connection cannot be overtaken by the next one: the server refuses it."""
    server = nats_server()
    events = _append(3)
    messages = EventLogSource().read((0, 0), 100).messages

    async def with_a_gap() -> StreamRelay:
        nc = await nats.connect(server.url, **server.login("relay"))
        relay = StreamRelay(nc, EventLogSource(), events_stream_settings())
        try:
            await relay.ensure_stream()
            await relay.resync()
            await relay.publish_batch(messages[:1])
            relay._last_id = messages[1].msg_id  # the second event was sent, but never reached the server
            with pytest.raises(PublishFailed, match="0 of 1"):
                await relay.publish_batch(messages[2:])
        finally:
            await nc.close()
            await relay.close()
        return relay

    asyncio.run(with_a_gap())
    assert [m[2] for m in asyncio.run(_stream_messages(server))] == [str(events[0].event_id)]
    asyncio.run(_relay(server))  # the relay re-reads where the stream stands and goes on from there
    _assert_exactly_once_in_order(asyncio.run(_stream_messages(server)), events)


def test_an_emptied_stream_resumes_from_the_offset(nats_server: Callable[..., NatsServer]) -> None:
    server = nats_server()
    _append(20)
    asyncio.run(_relay(server))

    async def purge() -> None:
        nc = await nats.connect(server.url, **server.login("relay"))
        await nc.jetstream().purge_stream(EVENTS_STREAM)
        await nc.close()

    asyncio.run(purge())  # as when retention has aged everything out
    later = _append(3)[-3:]
    asyncio.run(_relay(server))
    _assert_exactly_once_in_order(asyncio.run(_stream_messages(server)), later)


def _relay_in_child(server: NatsServer, batch_size: int) -> int:
    """Fork a process that relays (so that it can be killed with SIGKILL); its pid."""
    for alias in connections:
        connections[alias].close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork in a process with threads: the child only relays
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            asyncio.run(_relay(server, batch_size=batch_size, ack_timeout=30))
        finally:
            os._exit(0)
    return pid


def _stream_count(server: NatsServer) -> int:
    async def count() -> int:
        nc = await nats.connect(server.url, **server.login("relay"))
        try:
            return int((await nc.jetstream().stream_info(EVENTS_STREAM)).state.messages)
        except nats.js.errors.NotFoundError:
            return 0
        finally:
            await nc.close()

    return asyncio.run(count())


def test_kill_9_mid_batch_then_restart_loses_and_duplicates_nothing(nats_server: Callable[..., NatsServer]) -> None:
    server = nats_server()
    events = _append(6000)
    pid = _relay_in_child(server, batch_size=10000)  # one batch: any kill while it is stored is mid-batch
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline:
        stored = _stream_count(server)
        if stored > 0:
            break
        time.sleep(0.005)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    # What the killed relay had already written to its socket is still stored after its death (the relay writes a
    # batch in one piece): what is left is the count once it stops moving.
    left, settled = _stream_count(server), time.monotonic()
    while time.monotonic() - settled < 1.0:
        time.sleep(0.1)
        now = _stream_count(server)
        if now != left:
            left, settled = now, time.monotonic()
    assert 0 < stored <= left <= len(events), "the relay was to be killed while its batch was being stored"
    assert get_offset(OFFSET) == 0  # its batch was never acknowledged whole: no offset committed
    relay = asyncio.run(_relay(server, batch_size=1000))
    # It went on from the stream's last message: the rest stored once, nothing sent again.
    assert (relay.stats.published, relay.stats.duplicates) == (len(events) - left, 0)
    _assert_exactly_once_in_order(asyncio.run(_stream_messages(server)), events)
    assert get_offset(OFFSET) == events[-1].sequence


def test_server_restart_mid_stream_loses_nothing(nats_server: Callable[..., NatsServer]) -> None:
    server = nats_server()
    events = _append(3000)

    async def scenario() -> tuple[StreamRelay, int]:
        stop = asyncio.Event()
        nc = await nats.connect(server.url, **server.login("relay"), max_reconnect_attempts=-1, reconnect_time_wait=0.2)
        relay = StreamRelay(nc, EventLogSource(), events_stream_settings(), batch_size=200, ack_timeout=2)
        task = asyncio.create_task(relay.run(follow=True, stop=stop, interval=0.05))
        try:
            deadline = time.monotonic() + 60
            while relay.stats.published < 400 and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            server.stop()
            published_before = relay.stats.published
            await asyncio.sleep(0.5)
            server.start()
            deadline = time.monotonic() + 60
            while relay.stats.position[0] < events[-1].sequence and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await task
            await nc.close()
            await relay.close()
        return relay, published_before

    relay, published_before = asyncio.run(scenario())
    assert published_before < len(events) == relay.stats.published
    _assert_exactly_once_in_order(asyncio.run(_stream_messages(server)), events)
