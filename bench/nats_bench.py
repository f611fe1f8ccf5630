"""The relay into NATS JetStream, next to the bare nats-py publish rate (the floor), and a replay by one pull consumer.

On its own nats-server (a free port, a temporary store, dancu's generated configuration) and its own SQLite registry
(a temporary var/): E events are appended to the event log (registry-like payloads), then

1. floor: the same E messages (same subjects, sizes and headers, no expected-last-id) published with bare nats-py
   ``publish_async`` in windows of B, every acknowledgement awaited, into a stream of their own;
2. relay: ``StreamRelay`` (the event log read by sequence, provinces resolved, ordered publishes, offsets
   committed) into DANCU_EVENTS, from nothing to the last event;
3. replay: R messages (default 1,000,000) published into a stream, then read from the start by one pull consumer
   (``fetch`` of F messages, acknowledging the last of each fetch: AckAll).

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def setup_django(var: Path) -> None:
    os.environ["DANCU_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")
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


async def floor(url: str, login: dict[str, str], messages: list[tuple[str, bytes, str]], window: int) -> float:
    import nats
    from nats.js.api import StreamConfig

    nc = await nats.connect(url, **login)
    js = nc.jetstream(publish_async_max_pending=window * 2)
    # The relay's subjects, in a stream of their own (deleted before the relay makes DANCU_EVENTS).
    await js.add_stream(StreamConfig(name="BENCH_FLOOR", subjects=["dancu.events.>"], duplicate_window=600))
    started = time.perf_counter()
    for offset in range(0, len(messages), window):
        futures = [
            await js.publish_async(subject, data, headers={"Nats-Msg-Id": msg_id})
            for subject, data, msg_id in messages[offset : offset + window]
        ]
        await asyncio.wait_for(asyncio.gather(*futures), timeout=30)
    elapsed = time.perf_counter() - started
    await js.delete_stream("BENCH_FLOOR")
    await nc.close()
    return len(messages) / elapsed


async def relay(url: str, login: dict[str, str], batch: int) -> tuple[int, float]:
    import nats

    from dancu.exchange.nats.relay import event_relay

    nc = await nats.connect(url, **login)
    loop = asyncio.get_running_loop()
    from concurrent.futures import ThreadPoolExecutor

    db = ThreadPoolExecutor(max_workers=1)
    stream_relay = await loop.run_in_executor(db, lambda: event_relay(nc.jetstream(), batch_size=batch, db=db))
    started = time.perf_counter()
    await stream_relay.run(follow=False)
    elapsed = time.perf_counter() - started
    await stream_relay.close()
    db.shutdown()
    await nc.close()
    return stream_relay.stats.published, elapsed


async def replay(url: str, login: dict[str, str], count: int, fetch: int) -> tuple[float, float]:
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig

    nc = await nats.connect(url, **login)
    js = nc.jetstream(publish_async_max_pending=20000)
    await js.add_stream(StreamConfig(name="BENCH_REPLAY", subjects=["dancu.deliver.bench.>"], storage=StorageType.FILE))
    body = b'{"id":"01234567-89ab-7def-8123-456789abcdef","type":"death.recorded","version":1,' + b"x" * 200 + b"}"
    started = time.perf_counter()
    window = 10000
    for _offset in range(0, count, window):
        futures = [await js.publish_async("dancu.deliver.bench.death_recorded.01", body) for _ in range(window)]
        await asyncio.wait_for(asyncio.gather(*futures), timeout=30)
    fill = count / (time.perf_counter() - started)
    sub = await js.pull_subscribe(
        "dancu.deliver.bench.>",
        durable="reader",
        stream="BENCH_REPLAY",
        config=ConsumerConfig(ack_policy=AckPolicy.ALL),
    )
    read = 0
    started = time.perf_counter()
    while read < count:
        msgs = await sub.fetch(fetch, timeout=10)
        read += len(msgs)
        await msgs[-1].ack()
    elapsed = time.perf_counter() - started
    await js.delete_stream("BENCH_REPLAY")
    await nc.close()
    return read / elapsed, fill


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--replay", type=int, default=1_000_000)
    parser.add_argument("--fetch", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        setup_django(var)
        from tests.fixtures.nats import NatsServer

        (var / "server").mkdir()
        server = NatsServer(var / "server", [])
        server.start()
        try:
            started = time.perf_counter()
            append_events(args.events)
            print(f"event log: {args.events} events appended in {time.perf_counter() - started:.1f} s")
            from dancu.events.relay import EventLogSource

            messages = [(m.subject, m.data, m.msg_id) for m in EventLogSource().read((0, 0), args.events).messages]
            login = server.login("relay")
            floor_rate = asyncio.run(floor(server.url, login, messages, args.batch))
            published, elapsed = asyncio.run(relay(server.url, login, args.batch))
            print(f"floor (bare nats-py publish_async, windows of {args.batch}): {floor_rate:,.0f} msg/s")
            print(
                f"relay (event log -> DANCU_EVENTS, batches of {args.batch}): {published} events in {elapsed:.2f} s = "
                f"{published / elapsed:,.0f} events/s ({published / elapsed / floor_rate:.0%} of the floor)"
            )
            if args.replay:
                rate, fill = asyncio.run(replay(server.url, login, args.replay, args.fetch))
                print(f"replay: {args.replay:,} messages (published at {fill:,.0f}/s) read by one pull consumer, "
                      f"fetch {args.fetch}, AckAll: {rate:,.0f} msg/s")  # fmt: skip
        finally:
            server.stop()


if __name__ == "__main__":
    main()
