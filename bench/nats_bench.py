"""The relay into NATS JetStream, next to the bare nats-py publish rate (the floor), and a replay by one pull consumer.

On its own nats-server (a free port, a temporary store, dancu's generated configuration) and its own SQLite registry
(a temporary var/): E events are appended to the event log (registry-like payloads), then

1. floor: the same E messages (same subjects, sizes and headers, no expected-last-id) published with bare nats-py
   ``publish_async`` in windows of B, every acknowledgement awaited, into a stream of their own;
2. relay: ``StreamRelay`` (the event log read by sequence, provinces resolved, ordered publishes, offsets
   committed) into DANCU_EVENTS, from nothing to the last event;
3. replay: R messages (default 1,000,000) published into a stream, then read from the start by one pull consumer
   (``fetch`` of F messages, acknowledging the last of each fetch: AckAll), and again from the start as
   ``examples/nats_consumer.py --bulk`` reads (``pull_batches``: batches of F on the system's inbox, two in flight,
   the last of each acknowledged).

Usage: .venv/bin/python bench/nats_bench.py [--events 200000] [--batch 2000] [--replay 1000000] [--fetch 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


SERVER_PID = 0


class Meter:
    """Wall time, this process's CPU time and the nats-server's CPU time over a section: on a shared machine the CPU
    per message is the steadier figure (the wall time also counts waiting for a core)."""

    def __enter__(self) -> Meter:
        self.wall, self.cpu, self.server = time.perf_counter(), time.process_time(), server_cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.server = server_cpu() - self.server

    def line(self, count: int) -> str:
        return (
            f"{count / self.wall:,.0f}/s wall; CPU per message: client {self.cpu / count * 1e6:.1f} us, "
            f"nats-server {self.server / count * 1e6:.1f} us (= {count / self.cpu:,.0f}/s per client core)"
        )


def server_cpu() -> float:
    fields = Path(f"/proc/{SERVER_PID}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def setup_django(var: Path, *, registry: bool = True) -> None:
    os.environ["DANCU_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")
    if registry:  # the replay alone needs no database
        subprocess.run([str(ROOT / ".venv" / "bin" / "dancu"), "migrate", "-v0"], env=os.environ.copy(), check=True)
        subprocess.run([str(ROOT / ".venv" / "bin" / "dancu"), "load_geo"], env=os.environ.copy(), check=True)
    import django

    django.setup()


def append_events(count: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from dancu.core.ids import uuid7
    from dancu.events.models import Event

    now = timezone.now()
    kinds = [
        ("birth.registered", {"full_name": "Nguyễn Văn An", "sex": "M", "birth_date": "2026-11-01",
                              "birth_commune": "00004", "mother": "001190000001", "father": "001090000001"}),
        ("residence.permanent.registered", {"commune": "00004", "address_line": "Số 1 phố Hàng Bạc",
                                            "household": "HK0000001", "valid_from": "2026-11-02"}),
        ("death.recorded", {"death_date": "2026-11-03", "place_text": "Bệnh viện Bạch Mai"}),
    ]  # fmt: skip
    step = 20000
    for start in range(0, count, step):
        with transaction.atomic():
            Event.objects.bulk_create(
                Event(
                    event_id=uuid7(),
                    type=kinds[n % 3][0],
                    pin=f"001{n % 10**9:09d}",
                    effective_date=date(2026, 11, 1),
                    recorded_at=now,
                    actor="bench",
                    source="",
                    payload=kinds[n % 3][1],
                )
                for n in range(start, min(start + step, count))
            )


async def floor(url: str, login: dict[str, str], messages: list[tuple[str, bytes, str]], window: int) -> Meter:
    import nats
    from nats.js.api import StreamConfig

    nc = await nats.connect(url, **login)
    js = nc.jetstream(publish_async_max_pending=window * 2)
    # The relay's subjects, in a stream of their own (deleted before the relay makes DANCU_EVENTS).
    await js.add_stream(StreamConfig(name="BENCH_FLOOR", subjects=["dancu.events.>"], duplicate_window=600))
    with Meter() as meter:
        for offset in range(0, len(messages), window):
            futures = [
                await js.publish_async(subject, data, headers={"Nats-Msg-Id": msg_id})
                for subject, data, msg_id in messages[offset : offset + window]
            ]
            await asyncio.wait_for(asyncio.gather(*futures), timeout=60)
    await js.delete_stream("BENCH_FLOOR")
    await nc.close()
    return meter


async def relay(url: str, login: dict[str, str], batch: int) -> tuple[int, Meter]:
    import nats

    from dancu.exchange.nats.relay import event_relay

    nc = await nats.connect(url, **login)
    loop = asyncio.get_running_loop()
    from concurrent.futures import ThreadPoolExecutor

    db = ThreadPoolExecutor(max_workers=1)
    stream_relay = await loop.run_in_executor(db, lambda: event_relay(nc, batch_size=batch, db=db))
    with Meter() as meter:
        await stream_relay.run(follow=False)
    await stream_relay.close()
    db.shutdown()
    await nc.close()
    return stream_relay.stats.published, meter


async def replay(server: Any, count: int, fetch: int) -> tuple[Meter, Meter, float]:
    """R messages in the deliveries stream, then read as the system 'bench' reads: its credentials, its durable."""
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig

    from dancu.exchange.nats.config import DELIVERIES_STREAM, inbox_prefix

    nc = await nats.connect(server.url, **server.login("relay"))
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=DELIVERIES_STREAM, subjects=["dancu.deliver.>"], storage=StorageType.FILE))
    body = b'{"id":"01234567-89ab-7def-8123-456789abcdef","type":"death.recorded","version":1,' + b"x" * 200 + b"}"
    started = time.perf_counter()
    # Filled with plain publishes (no acknowledgement asked: the stream stores them all the same), flushed per window.
    window = 10000
    for _offset in range(0, count, window):
        for _ in range(window):
            await nc.publish("dancu.deliver.bench.death_recorded.01", body)
        await nc.flush(timeout=60)
    while (await js.stream_info(DELIVERIES_STREAM)).state.messages < count:
        await asyncio.sleep(0.1)
    fill = count / (time.perf_counter() - started)
    reader = await nats.connect(server.url, **server.login("bench"), inbox_prefix=inbox_prefix("bench"))
    rjs = reader.jetstream()
    # AckAll, and room for a whole fetch in flight (the default max_ack_pending, 1,000, would make every fetch of
    # more wait out its timeout).
    config = ConsumerConfig(ack_policy=AckPolicy.ALL, max_ack_pending=fetch * 4)
    sub = await rjs.pull_subscribe("dancu.deliver.bench.>", durable="bench", stream=DELIVERIES_STREAM, config=config)
    read = 0
    with Meter() as meter:
        while read < count:
            msgs = await sub.fetch(fetch, timeout=30)
            read += len(msgs)
            await msgs[-1].ack()
    await sub.unsubscribe()
    # The same from the start again, read as examples/nats_consumer.py --bulk reads (pull_batches).
    from examples.nats_consumer import pull_batches

    await rjs.delete_consumer(DELIVERIES_STREAM, "bench")
    await rjs.pull_subscribe("dancu.deliver.bench.>", durable="bench", stream=DELIVERIES_STREAM, config=config)
    sizes = [0]

    def handle(msg: Any) -> None:
        sizes[0] += len(msg.data)

    with Meter() as bulk:
        read = await pull_batches(reader, "bench", handle, batch=fetch, wait=5.0, once=True, limit=count)
    assert read == count and sizes[0] == count * len(body), (read, sizes[0])
    await reader.close()
    await js.delete_stream(DELIVERIES_STREAM)
    await nc.close()
    return meter, bulk, fill


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--replay", type=int, default=1_000_000)
    parser.add_argument("--fetch", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        setup_django(var, registry=bool(args.events))
        from tests.fixtures.nats import NatsServer  # the tests' server, with dancu's generated configuration

        (var / "server").mkdir()
        server = NatsServer(var / "server", ["bench"])
        server.start()
        global SERVER_PID
        SERVER_PID = server.process.pid if server.process else 0
        try:
            started = time.perf_counter()
            if args.events:
                append_events(args.events)
                print(f"event log: {args.events} events appended in {time.perf_counter() - started:.1f} s")
            from dancu.events.relay import EventLogSource

            source = EventLogSource().read((0, 0), args.events).messages if args.events else []
            messages = [(m.subject, m.data, m.msg_id) for m in source]
            login = server.login("relay")
            if args.events:
                floor_meter = asyncio.run(floor(server.url, login, messages, args.batch))
                print(f"floor (bare nats-py publish_async, windows of {args.batch}): {floor_meter.line(len(messages))}")
                published, meter = asyncio.run(relay(server.url, login, args.batch))
                print(f"relay (event log -> DANCU_EVENTS, batches of {args.batch}): {published} events: "
                      f"{meter.line(published)}; {floor_meter.wall / meter.wall * published / len(messages):.0%} "
                      "of the floor's wall rate")  # fmt: skip
            if args.replay:
                meter, bulk, fill = asyncio.run(replay(server, args.replay, args.fetch))
                print(f"replay: {args.replay:,} messages (stored at {fill:,.0f}/s) read by one pull consumer, "
                      f"fetch {args.fetch}, AckAll: {meter.line(args.replay)}")  # fmt: skip
                ratio = meter.wall / bulk.wall
                print(f"replay, pull_batches (examples/nats_consumer.py --bulk, batches of {args.fetch}, two in "
                      f"flight, AckAll): {bulk.line(args.replay)}; {ratio:.1f}x fetch's wall rate")  # fmt: skip
        finally:
            server.stop()


if __name__ == "__main__":
    main()
