"""The relay from an outbox to NATS JetStream: the event log (or another ordered source) published to a stream.

The stream always holds a prefix of the source, in the source's order, each message once:

- every message carries ``Nats-Msg-Id`` (the event id): the server drops a message it has already stored within
  its duplicate window, so re-publishing after a crash stores nothing twice;
- every message carries ``Nats-Expected-Last-Msg-Id`` (the id of the message before it): the server refuses a
  message whose predecessor is not the stream's last, so a message lost on a broken connection can never be
  overtaken by the ones published after it (the check comes after de-duplication, so a re-published message is
  still acknowledged as a duplicate);
- where it resumes (at start, after any failed publish) is read from the stream itself: the ``Dancu-Position``
  header of its last message. The offset in the database is advanced only after a batch's acknowledgements, and
  is used when the stream is empty (nothing stored yet, or everything aged out), so nothing is published twice
  even after an outage longer than the duplicate window.

Publishes are pipelined for throughput: a batch is encoded as protocol frames and written in one piece, only its
last message asks for an acknowledgement (the prefix rule above makes that one stand for the whole batch), and the
next batch is read from the source while this one is acknowledged (bench/RESULTS.md, issue 16). ``dancu relay``
(the ``exchange`` app, which knows the registry's provinces and the subscriptions) runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson
from django.db import close_old_connections, connections, transaction

from dancu.events.models import ConsumerOffset
from dancu.events.services import EventRecord, read_events

logger = logging.getLogger(__name__)

#: The header that says where in the source a message comes from (the event log's sequence, or more).
POSITION_HEADER = "Dancu-Position"
#: The internal stream's default name and subject prefix: ``dancu.events.<type>.<province>``.
EVENTS_STREAM = "DANCU_EVENTS"
EVENTS_SUBJECT_PREFIX = "dancu.events"
#: Subject token for an event whose province is not known (no commune, nobody resident).
NO_PROVINCE = "00"
#: The server's error code for "Nats-Expected-Last-Msg-Id does not match".
WRONG_LAST_MSG_ID = 10070


_TOKEN_UNSAFE = str.maketrans({ch: "_" for ch in ".*> \t\r\n"})


@functools.lru_cache(maxsize=4096)
def subject_token(value: str) -> str:
    """A subject token from an event type or code: dots, spaces and wildcards become '_' so every subject has the
    same depth (``dancu.events.*.01`` is every event of Hà Nội)."""
    return value.translate(_TOKEN_UNSAFE) or "_"


def canonical_uuid(value: str) -> str:
    """An event id as 8-4-4-4-12 (SQLite hands the 32 hex digits back, PostgreSQL the dashed form)."""
    if len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(UUID(value))


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """A stream the relay creates when missing (limits retention; file storage)."""

    name: str
    subjects: list[str]
    duplicate_window: float = 600.0
    max_age_days: float = 90.0
    replicas: int = 1

    def as_config(self) -> Any:
        from nats.js.api import RetentionPolicy, StorageType, StreamConfig

        return StreamConfig(
            name=self.name,
            subjects=self.subjects,
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=self.replicas,
            max_age=self.max_age_days * 86400 if self.max_age_days else None,
            duplicate_window=self.duplicate_window,
        )


def events_stream_settings(name: str = EVENTS_STREAM, prefix: str = EVENTS_SUBJECT_PREFIX) -> StreamSettings:
    """The internal stream's settings, from the environment (docs/operator.md: DANCU_NATS_*)."""
    return StreamSettings(
        name=name,
        subjects=[f"{prefix}.>"],
        duplicate_window=float(os.environ.get("DANCU_NATS_DUPLICATE_WINDOW", "600")),
        max_age_days=float(os.environ.get("DANCU_NATS_MAX_AGE_DAYS", "90")),
        replicas=int(os.environ.get("DANCU_NATS_REPLICAS", "1")),
    )


Position = tuple[int, int]


def position_text(position: Position) -> str:
    return str(position[0]) if not position[1] else f"{position[0]}.{position[1]}"


def parse_position(text: str) -> Position:
    sequence, _, second = text.partition(".")
    return int(sequence), int(second or 0)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message to publish: where it comes from in the source, its id, subject and body. The position is the
    event's sequence and a second key for sources that publish several messages per event (a subscription's id),
    0 otherwise; a source never splits one event's messages between two reads."""

    position: Position
    msg_id: str
    subject: str
    data: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Batch:
    """What a source read: the messages (maybe none) and how far it read (whole events)."""

    messages: list[OutboxMessage]
    read_to: Position


class Source:
    """An ordered source of messages: ``read(after, limit)`` returns the next messages after a position, in order
    of strictly increasing position, for about ``limit`` events (never part of one). Runs in the relay's database
    thread (Django's ORM is synchronous)."""

    offset_name: str

    def read(self, after: Position, limit: int) -> Batch:
        raise NotImplementedError


ProvinceResolver = Callable[[Sequence[EventRecord]], list[str]]


def _no_province(records: Sequence[EventRecord]) -> list[str]:
    return [NO_PROVINCE] * len(records)


class EventLogSource(Source):
    """The event log as a source: each event in full (the internal stream; only the relay and gateway nodes read
    it), its subject by type and the person's province (``resolve_provinces``, given by the app that knows them)."""

    def __init__(
        self,
        *,
        prefix: str = EVENTS_SUBJECT_PREFIX,
        offset_name: str = f"nats:{EVENTS_STREAM}",
        resolve_provinces: ProvinceResolver = _no_province,
    ) -> None:
        self.prefix = prefix
        self.offset_name = offset_name
        self.resolve_provinces = resolve_provinces

    def read(self, after: Position, limit: int) -> Batch:
        records = list(read_events(after[0], limit=limit, batch_size=limit))
        provinces = self.resolve_provinces(records) if records else []
        dumps = orjson.dumps
        prefix = self.prefix
        ids = [canonical_uuid(record.event_id) for record in records]  # one spelling on SQLite and PostgreSQL
        messages = [
            OutboxMessage(
                (record.sequence, 0),
                event_id,
                f"{prefix}.{subject_token(record.type)}.{subject_token(province or NO_PROVINCE)}",
                dumps(
                    {
                        "sequence": record.sequence,
                        "event_id": event_id,
                        "type": record.type,
                        "pin": record.pin,
                        "effective_date": record.effective_date,
                        "recorded_at": record.recorded_at,
                        "actor": record.actor,
                        "source": record.source,
                        "payload": record.payload,
                    }
                ),
            )
            for record, event_id, province in zip(records, ids, provinces, strict=True)
        ]
        return Batch(messages, (records[-1].sequence, 0) if records else after)


def get_offset(name: str) -> int:
    return ConsumerOffset.objects.filter(consumer=name).values_list("sequence", flat=True).first() or 0


def commit_offset(name: str, position: int) -> None:
    """Advance a relay's offset (never backwards: a slower relay of the same source cannot undo a faster one)."""
    with transaction.atomic():
        row, _ = ConsumerOffset.objects.select_for_update().get_or_create(consumer=name)
        if position > row.sequence:
            row.sequence = position
            row.save(update_fields=["sequence", "updated_at"])


class _PendingBatch:
    """The acknowledgements of one batch as they arrive (in any order), by position in the batch."""

    def __init__(self, batch_id: str, size: int) -> None:
        self.id = batch_id
        self.size = size
        self.count = 0
        self.results: list[dict[str, Any] | None] = [None] * size
        self.done = asyncio.Event()
        if not size:
            self.done.set()


#: What may not be in a subject (it would end the protocol line) or in a header line's name or value.
_UNSAFE_SUBJECT = re.compile(r"[\s]|^$")
_LINE_BREAK = re.compile(r"[\r\n]")


def _has_raw_send(nc: Any) -> bool:
    """Whether the connection is nats-py's client with the write buffer the raw path uses (else ``publish``)."""
    return callable(getattr(nc, "_send_command", None)) and callable(getattr(nc, "_flush_pending", None))


class PublishFailed(Exception):
    """A batch was not entirely acknowledged; the relay re-reads where the stream stands and goes on from there."""


@dataclass
class RelayStats:
    published: int = 0
    duplicates: int = 0
    batches: int = 0
    resyncs: int = 0
    position: Position = (0, 0)


class StreamRelay:
    """Publishes one source to one stream, in order, each message once (see the module's docstring)."""

    def __init__(
        self,
        nc: Any,
        source: Source,
        stream: StreamSettings,
        *,
        batch_size: int = 2000,
        ack_timeout: float = 5.0,
        db: ThreadPoolExecutor | None = None,
    ) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.source = source
        self.stream = stream
        self.batch_size = batch_size
        self.ack_timeout = ack_timeout
        self.stats = RelayStats()
        self._last_id: str | None = None
        self._last_seq: int | None = None
        self._inbox: str | None = None
        self._batch: _PendingBatch | None = None
        self._batches = 0
        self._position: Position = (0, 0)
        self._own_db = db is None
        self._db = db or ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-db")

    async def _in_db(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    async def close(self) -> None:
        """Close the database thread's connection (and the thread, if the relay made it)."""
        await self._in_db(connections.close_all)
        if self._own_db:
            self._db.shutdown(wait=True)

    async def ensure_stream(self) -> None:
        """Create the stream if it is missing (an existing stream's settings are the operator's: left as they are)."""
        from nats.js.errors import NotFoundError

        try:
            await self.js.stream_info(self.stream.name)
        except NotFoundError:
            await self.js.add_stream(self.stream.as_config())
            logger.info("created stream %s", self.stream.name)

    async def resync(self) -> Position:
        """Where to go on from: the stream's last message (its id and position), else the committed offset."""
        from nats.js.errors import NotFoundError

        info = await self.js.stream_info(self.stream.name)
        offset = await self._in_db(get_offset, self.source.offset_name)
        self._last_id = None
        self._last_seq = info.state.last_seq
        position: Position = (offset, 0)
        if info.state.messages:
            try:
                last = await self.js.get_msg(self.stream.name, seq=info.state.last_seq)
            except NotFoundError:  # aged out between the two calls
                last = None
            if last is not None and last.headers:
                self._last_id = last.headers.get("Nats-Msg-Id")
                stored = parse_position(last.headers.get(POSITION_HEADER, "0"))
                position = max(position, stored)
                done = stored[0] if not stored[1] else stored[0] - 1  # that event may have more messages to come
                if done > offset:
                    await self._in_db(commit_offset, self.source.offset_name, done)
        self._position = position
        self.stats.position = position
        return position

    async def _ack_inbox(self) -> str:
        """One subscription for every acknowledgement (cheaper than a future and a timer per message)."""
        if self._inbox is None:
            prefix = self.nc.new_inbox()
            await self.nc.subscribe(f"{prefix}.*", cb=self._on_ack)
            self._inbox = f"{prefix}."
        return self._inbox

    async def _on_ack(self, msg: Any) -> None:
        batch = self._batch
        token = msg.subject[len(self._inbox or "") :]
        batch_id, _, index = token.partition("_")
        if batch is None or batch.id != batch_id:
            return  # an acknowledgement that came after its batch was given up
        i = int(index)
        if batch.results[i] is not None:
            return
        try:
            body = orjson.loads(msg.data) if msg.data else {"error": {"code": 503, "description": "no responders"}}
        except orjson.JSONDecodeError:
            body = {"error": {"code": 0, "description": "unreadable acknowledgement"}}
        batch.results[i] = body
        batch.count += 1
        if batch.count == batch.size:
            batch.done.set()

    async def publish_batch(self, messages: list[OutboxMessage]) -> None:
        """Publish in order, each expecting its predecessor; return once every one is acknowledged (stored or a
        duplicate), else raise PublishFailed (the stream still holds a prefix of the source in order).

        With nats-py's client (the raw path) only the batch's last message asks for an acknowledgement: the stream
        is always a prefix of the source (each message expects its predecessor as the stream's last), so the last
        message stored, or found a duplicate, means every one before it is stored too; a message lost or refused on
        the way makes every later one refused, the last included. The newly stored count comes from the stream
        sequence the acknowledgement names."""
        inbox = await self._ack_inbox()
        self._batches += 1
        raw = _has_raw_send(self.nc)
        batch = _PendingBatch(f"b{self._batches}", 1 if raw else len(messages))
        self._batch = batch
        failure: str = ""
        try:
            if raw:
                await self._send_raw(messages, f"{inbox}{batch.id}_0")
            else:
                await self._send_each(messages, f"{inbox}{batch.id}_")
        except Exception as error:  # the connection's buffer is full or closed: what was sent is awaited below
            failure = f"{type(error).__name__}: {error}"
        try:
            await asyncio.wait_for(batch.done.wait(), timeout=self.ack_timeout)
        except TimeoutError:
            pass
        finally:
            self._batch = None
        duplicates = 0
        acked = 0
        for result in batch.results:
            if result is None:
                failure = failure or "no acknowledgement in time"
                break
            if "error" in result:
                failure = failure or f"refused: {result['error'].get('description', '')}"
                break
            acked += 1
            if result.get("duplicate"):
                duplicates += 1
        if acked < batch.size:
            raise PublishFailed(f"{acked if not raw else 0} of {len(messages)} acknowledged: {failure}")
        if raw:
            last = batch.results[0] or {}
            seq = last.get("seq")
            if last.get("duplicate"):  # the last was stored before: so was every one before it
                duplicates, self._last_seq = len(messages), None
            else:
                stored = (
                    len(messages) if self._last_seq is None or not seq else min(len(messages), seq - self._last_seq)
                )
                duplicates, self._last_seq = len(messages) - max(stored, 0), seq
        self._last_id = messages[-1].msg_id
        self._position = messages[-1].position
        self.stats.published += len(messages) - duplicates
        self.stats.duplicates += duplicates
        self.stats.batches += 1
        self.stats.position = self._position

    async def _send_each(self, messages: list[OutboxMessage], reply: str) -> None:
        """Through nats-py's ``publish``, one call per message (its header checks and encoding each time)."""
        publish = self.nc.publish
        previous = self._last_id
        for i, message in enumerate(messages):
            headers = {
                "Nats-Msg-Id": message.msg_id,
                POSITION_HEADER: position_text(message.position),
                **message.headers,
            }
            if previous is not None:
                headers["Nats-Expected-Last-Msg-Id"] = previous
            await publish(message.subject, message.data, reply=f"{reply}{i}", headers=headers)
            previous = message.msg_id

    async def _send_raw(self, messages: list[OutboxMessage], reply: str) -> None:
        """The batch as NATS protocol frames (``HPUB``), encoded here and handed to the connection's write buffer in
        one piece, then flushed once: the bytes ``publish`` would write, without its per-call validation and header
        encoding (a profile showed them at a third of the relay's time), and with a reply subject on the last message
        only (see :meth:`publish_batch`). Subjects and header values are checked here instead (no whitespace in a
        subject, no line break in a header)."""
        nc = self.nc
        if nc.is_closed:
            raise ConnectionError("the NATS connection is closed")
        previous = self._last_id
        frames: list[bytes] = []
        append = frames.append
        last = len(messages) - 1
        for i, message in enumerate(messages):
            extra = ""
            if message.headers:
                extra = "".join(f"{k}: {v}\r\n" for k, v in message.headers.items())
                if any(_LINE_BREAK.search(k + v) or not k.strip() for k, v in message.headers.items()):
                    raise ValueError(f"message {message.msg_id}: a header with a line break or no name")
            if _UNSAFE_SUBJECT.search(message.subject) or _LINE_BREAK.search(message.msg_id):
                raise ValueError(f"message {message.msg_id}: subject or id not safe to send")
            expected = f"Nats-Expected-Last-Msg-Id: {previous}\r\n" if previous is not None else ""
            header = (
                f"NATS/1.0\r\nNats-Msg-Id: {message.msg_id}\r\n{POSITION_HEADER}: {position_text(message.position)}"
                f"\r\n{extra}{expected}\r\n"
            ).encode()
            data = message.data
            target = f"{message.subject} {reply}" if i == last else message.subject
            append(f"HPUB {target} {len(header)} {len(header) + len(data)}\r\n".encode() + header + data + b"\r\n")
            previous = message.msg_id
        await nc._send_command(b"".join(frames))
        await nc._flush_pending()

    async def run_once(self) -> int:
        """Publish everything the source has now; returns how many messages were newly stored."""
        before = self.stats.published
        reading = self._read_ahead(self._position)
        while True:
            batch = await reading
            if batch.read_to <= self._position:
                return self.stats.published - before
            # The next batch is read (in the database thread) while this one is published and acknowledged; should
            # this one fail, that read is dropped and the relay resumes from the stream.
            reading = self._read_ahead(batch.read_to)
            if batch.messages:
                await self.publish_batch(batch.messages)
            self._position = batch.read_to
            self.stats.position = batch.read_to
            await self._in_db(commit_offset, self.source.offset_name, batch.read_to[0])

    def _read_ahead(self, after: Position) -> asyncio.Future[Batch]:
        future = asyncio.ensure_future(self._in_db(self._read, after))
        future.add_done_callback(lambda done: done.cancelled() or done.exception())  # a dropped read's error is quiet
        return future

    def _read(self, after: Position) -> Batch:
        close_old_connections()
        return self.source.read(after, self.batch_size)

    async def run(self, *, follow: bool = True, interval: float = 0.2, stop: asyncio.Event | None = None) -> None:
        """Relay until ``stop`` is set (or once, without ``follow``), re-reading the stream after any failure."""
        stop = stop or asyncio.Event()
        backoff = 0.1
        synced = False
        while not stop.is_set():
            try:
                if not synced:
                    await self.ensure_stream()
                    await self.resync()
                    synced = True
                published = await self.run_once()
                backoff = 0.1
                if not follow:
                    return
                if not published:
                    await pause(stop, interval)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a failed publish or a lost server: wait, re-read the stream, go on
                synced = False
                self.stats.resyncs += 1
                logger.warning("relay %s: %s; resuming from the stream", self.stream.name, error)
                await pause(stop, backoff)
                backoff = min(backoff * 2, 5.0)


@dataclass(frozen=True, slots=True)
class NatsOptions:
    """How to reach NATS: the URL and the relay's own credentials (docs/operator.md)."""

    url: str
    user: str | None = None
    password: str | None = None
    name: str = "dancu-relay"

    @classmethod
    def from_environment(cls) -> NatsOptions:
        return cls(
            url=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"),
            user=os.environ.get("DANCU_NATS_USER") or None,
            password=os.environ.get("DANCU_NATS_PASSWORD") or None,
        )


async def connect(options: NatsOptions) -> Any:
    """A connection that keeps reconnecting while the server is away (publishes wait in its buffer)."""
    import nats

    async def on_error(error: Exception) -> None:
        logger.warning("NATS: %s: %s", type(error).__name__, error)

    async def on_disconnect() -> None:
        logger.warning("NATS: disconnected; reconnecting")

    return await nats.connect(
        options.url,
        error_cb=on_error,
        disconnected_cb=on_disconnect,
        user=options.user,
        password=options.password,
        name=options.name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=2,
        allow_reconnect=True,
    )


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
