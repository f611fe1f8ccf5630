"""Life-event webhooks: fan-out throughput and commit-to-delivery latency, against loopback receivers.

1. throughput: N events (one person each) released to 10 webhook subscriptions (the fan-out: deliveries and access
   records), then sent by the worker (``webhooks.Deliverer``: claim, sign with Ed25519, POST in a thread pool, record
   the outcomes) to a receiver that answers 204 — deliveries per second, fan-out and sending apart;
2. latency: events appended at a steady rate while the worker (``webhooks.run``, as ``dancu subscriptions deliver
   --follow`` runs it) runs in its own process (``--latency-in-process``: in a thread of the producer's);
   the delay from the event's recording to its delivery (Delivery.latency_ms), p50 / p99 / max;
3. the floor: the same receiver driven by bare urllib3 from the same thread pool, no database, no signing.

The receiver is a minimal asyncio HTTP/1.1 server (keep-alive, 204) in its own process, on one port, one path per
subscription. Events are appended with ``events.services.append_event`` (death.recorded of synthetic PINs), so the
registry is not what is measured.

Usage: .venv/bin/python bench/webhooks_bench.py [--events 2000] [--subscriptions 10] [--rate 200] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def receiver(port: int) -> None:
    """Answers every POST with 204, keeping the connection open (no signature check: that is the agency's cost)."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    class Protocol(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while True:
                head_end = self.buffer.find(b"\r\n\r\n")
                if head_end < 0:
                    return
                head = self.buffer[:head_end].lower()
                start = head.find(b"content-length:")
                length = int(head[start + 15 : head.find(b"\r\n", start) if head.find(b"\r\n", start) > 0 else None])
                if len(self.buffer) < head_end + 4 + length:
                    return
                self.buffer = self.buffer[head_end + 4 + length :]
                self.transport.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")  # type: ignore[attr-defined]

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Protocol, "127.0.0.1", port, backlog=1024)
        await server.serve_forever()

    asyncio.run(main())


def setup(var: Path) -> None:
    os.environ.update(DANCU_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="dancu.settings", DANCU_DEMO="1")
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def subscribe(count: int, port: int) -> list[int]:
    from dancu.exchange import services, subscriptions
    from dancu.exchange.models import AssessmentCriterion

    services.ensure_reference_data()
    ids = []
    for i in range(count):
        system = services.register_system(
            client_id=f"bench-{i}", organisation=f"Agency {i}", name="events", kind="ministry",
            jwks={"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                            "kid": "k"}]},
        )  # fmt: skip
        for criterion in AssessmentCriterion.objects.all():
            services.record_assessment(system, criterion.code, met=True, evidence="bench", reviewer="bench")
        services.approve_system(system)
        requested = subscriptions.request_subscription(
            system, purpose="social-insurance", name="deaths", event_types=["death.recorded"],
            fields=["pin", "death_date"], endpoint_url=f"http://127.0.0.1:{port}/s{i}", signing="v1a",
        )  # fmt: skip
        ids.append(subscriptions.approve_subscription(requested.subscription, by="bench").pk)
    return ids


def append(count: int, offset: int) -> None:
    from django.db import transaction

    from dancu.events.services import append_event

    for i in range(count):
        with transaction.atomic():
            append_event(
                "death.recorded", pin=f"0012{offset + i:08d}", effective_date=date(2026, 12, 1), actor="bench",
                payload={"death_date": "2026-12-01", "place_text": ""},
            )  # fmt: skip


def throughput(events: int, workers: int, senders: int = 1) -> dict[str, float]:
    from dancu.exchange.consumers import follow
    from dancu.exchange.models import Delivery

    append(events, 0)
    started = time.perf_counter()
    follow()
    fanned = time.perf_counter() - started
    total = Delivery.objects.count()
    started = time.perf_counter()
    if senders > 1:  # several sender processes at once (safe: dancu.exchange.webhooks' claims and leases)
        from django.db import connections

        connections.close_all()
        context = multiprocessing.get_context("fork")
        processes = [context.Process(target=_send_all, args=(workers // senders,)) for _ in range(senders)]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        assert all(process.exitcode == 0 for process in processes)
    else:
        _send_all(workers)
    sent = time.perf_counter() - started
    assert Delivery.objects.filter(status="delivered").count() == total, "not every delivery was delivered"
    return {"deliveries": total, "fan_out_s": fanned, "send_s": sent}


def _send_all(workers: int) -> None:
    """One sender: rounds until nothing is waiting (the receiver answers 204 to all)."""
    from django.db import connection

    from dancu.exchange.models import Delivery
    from dancu.exchange.webhooks import Deliverer

    deliverer = Deliverer(workers=workers)
    try:
        while True:
            done, failed = deliverer.run_once(limit=2000)
            assert not failed, "the receiver refused deliveries"
            if not done and not Delivery.objects.filter(status="pending").exists():
                return
            if not done:
                time.sleep(0.01)  # the other senders hold the rest (leased)
    finally:
        deliverer.close()
        connection.close()


def floor(port: int, requests: int, workers: int) -> float:
    import urllib3

    pool = urllib3.PoolManager(maxsize=workers)
    body = b'{"id":"x","type":"death.recorded","data":{}}' * 4

    def one(_: int) -> None:
        pool.request("POST", f"http://127.0.0.1:{port}/floor", body=body, headers={"content-type": "application/json"})

    with ThreadPoolExecutor(workers) as pool_threads:
        started = time.perf_counter()
        list(pool_threads.map(one, range(requests)))
        return requests / (time.perf_counter() - started)


def _deliver_forever(workers: int, fan_out: bool) -> None:
    """A sender as production runs it (``dancu subscriptions deliver --follow [--no-fan-out]``): its own process,
    (fan-out then) sending, every 50 ms when idle, until SIGTERM."""
    from django.db import connection

    from dancu.core.processes import stop_on_signals
    from dancu.exchange.consumers import follow
    from dancu.exchange.webhooks import Deliverer, run

    stop = stop_on_signals()
    try:
        run(
            follow=True, interval=0.05, fan_out=follow if fan_out else None, stop=stop,
            deliverer=Deliverer(workers=workers),
        )  # fmt: skip
    finally:
        connection.close()


def _fan_out_forever() -> None:
    """The fan-out alone (as ``dancu follow`` runs the subscriptions' consumer), every 50 ms when idle."""
    from django.db import connection

    from dancu.core.processes import stop_on_signals
    from dancu.exchange.consumers import follow

    stop = stop_on_signals()
    try:
        while not stop.is_set():
            if not follow():
                stop.wait(0.05)
    finally:
        connection.close()


def latency(
    rate: float,
    seconds: float,
    ids: list[int],
    subscriptions: int,
    workers: int,
    *,
    in_process: bool = False,
    senders: int = 1,
) -> dict[str, float]:
    """Events appended at ``rate`` per second, one transaction each, by this process, while the worker (fan-out, then
    sending) runs in its own process (``in_process``: in a thread of this one, sharing its interpreter, as the
    first version of this bench did; ``senders`` > 1: the fan-out in one process and that many sending processes,
    the threads shared among them); ``subscriptions`` of them active."""
    import signal
    import threading

    from django.db import connection

    from dancu.core.processes import Stop
    from dancu.exchange.consumers import follow
    from dancu.exchange.models import Delivery, Subscription
    from dancu.exchange.webhooks import Deliverer, run

    Subscription.objects.filter(pk__in=ids[subscriptions:]).update(status="suspended")
    stop = Stop()

    def work() -> None:
        try:
            run(follow=True, interval=0.05, fan_out=follow, stop=stop, deliverer=Deliverer(workers=workers))
        finally:
            connection.close()

    workers_: list[Any]
    if in_process:
        workers_ = [threading.Thread(target=work)]
    else:
        connection.close()
        context = multiprocessing.get_context("fork")
        if senders == 1:
            workers_ = [context.Process(target=_deliver_forever, args=(workers, True))]
        else:
            workers_ = [context.Process(target=_fan_out_forever)] + [
                context.Process(target=_deliver_forever, args=(workers // senders, False)) for _ in range(senders)
            ]
    for worker in workers_:
        worker.start()
    try:
        first = Delivery.objects.count()
        count = int(rate * seconds)
        started = time.perf_counter()
        for i in range(count):
            pause = started + i / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            append(1, 10_000_000 + i)
        achieved = count / (time.perf_counter() - started)
        deadline = time.monotonic() + 120
        while Delivery.objects.filter(status="delivered").count() < first + count * subscriptions:
            assert time.monotonic() < deadline, "deliveries did not finish within two minutes"
            time.sleep(0.5)
    finally:
        for worker in workers_:
            if in_process:
                stop.set()
            else:
                os.kill(worker.pid, signal.SIGTERM)
            worker.join(60)
    values = sorted(Delivery.objects.order_by("-id").values_list("latency_ms", flat=True)[: count * subscriptions])
    return {
        "rate": achieved,
        "p50_ms": statistics.median(values),
        "p99_ms": values[int(len(values) * 0.99) - 1],
        "max_ms": values[-1],
        "deliveries": len(values),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--subscriptions", type=int, default=10)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--senders", type=int, default=1, help="sender processes (the threads shared among them)")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--latency-subscriptions", type=int, default=10, help="subscriptions receiving the paced events"
    )
    parser.add_argument(
        "--latency-in-process", action="store_true", help="the latency run's worker as a thread of the producer"
    )
    parser.add_argument("--skip-throughput", action="store_true", help="the latency run only")
    args = parser.parse_args()
    port = _free_port()
    server = multiprocessing.Process(target=receiver, args=(port,), daemon=True)
    server.start()
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        setup(var)
        ids = subscribe(args.subscriptions, port)
        print(
            f"floor: bare urllib3, {args.workers} threads, no database: {floor(port, 10_000, args.workers):,.0f} req/s"
        )
        if not args.skip_throughput:
            result = throughput(args.events, args.workers, args.senders)
            print(
                f"throughput: {args.events:,} events x {args.subscriptions} subscriptions = {result['deliveries']:,} "
                f"deliveries; fan-out {result['fan_out_s']:.1f} s "
                f"({result['deliveries'] / result['fan_out_s']:,.0f}/s, with access records); sending "
                f"{result['send_s']:.1f} s ({result['deliveries'] / result['send_s']:,.0f} deliveries/s, "
                f"{args.senders} sender process(es))"
            )
        lat = latency(
            args.rate,
            args.seconds,
            ids,
            args.latency_subscriptions,
            args.workers,
            in_process=args.latency_in_process,
            senders=args.senders,
        )
        print(
            f"latency at {lat['rate']:.0f} events/s x {args.latency_subscriptions} subscriptions "
            f"({lat['deliveries']:,} deliveries): p50 {lat['p50_ms']:.0f} ms, p99 {lat['p99_ms']:.0f} ms, "
            f"max {lat['max_ms']:.0f} ms"
        )
    server.terminate()


if __name__ == "__main__":
    main()
