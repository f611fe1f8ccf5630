"""The fan-out to NATS subscriptions: what keeping each released subject's pseudonym (so that it resolves, exchange
0008) costs, side by side with subscriptions that receive PINs (no pseudonym kept), on the same registry.

Rounds alternate: N events (death.recorded of synthetic PINs, appended with ``events.services.append_event``)
released by ``exchange.consumers.follow`` to S NATS subscriptions granted ``pin``, then N new events to S thin ones
(the subject by a pseudonym: one SubjectPseudonym row per event and subscription besides the access record). Only
one kind is active in a round. Nothing is published: the relay is measured by bench/nats_bench.py.

Usage: .venv/bin/python bench/nats_fanout_bench.py [--events 2000] [--subscriptions 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from webhooks_bench import append, setup


def subscribe(count: int, kind: str) -> list[int]:
    from dancu.exchange import services, subscriptions
    from dancu.exchange.models import AssessmentCriterion

    services.ensure_reference_data()
    ids = []
    for i in range(count):
        system = services.register_system(
            client_id=f"bench-{kind}-{i}", organisation=f"Agency {i}", name="events", kind="ministry",
            jwks={"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                            "kid": "k"}]},
        )  # fmt: skip
        for criterion in AssessmentCriterion.objects.all():
            services.record_assessment(system, criterion.code, met=True, evidence="bench", reviewer="bench")
        services.approve_system(system)
        requested = subscriptions.request_subscription(
            system, purpose="social-insurance", name="deaths", event_types=["death.recorded"],
            fields=["pin"] if kind == "pin" else [], channel="nats",
        )  # fmt: skip
        ids.append(requested.subscription.pk)
    return ids


def only(active: list[int], others: list[int]) -> None:
    from dancu.exchange import subscriptions
    from dancu.exchange.models import Subscription

    for pk in others:
        subscriptions.set_subscription_status(Subscription.objects.get(pk=pk), "suspended", reason="bench")
    for pk in active:
        subscriptions.approve_subscription(Subscription.objects.get(pk=pk), by="bench")


def fan_out(events: int, offset: int) -> tuple[float, float]:
    """Wall and CPU time of the fan-out (SQLite runs in this process: its work is in the CPU time, which a shared
    machine's other load does not inflate as it does the wall time)."""
    from dancu.exchange.consumers import follow

    append(events, offset)
    started, cpu = time.perf_counter(), time.process_time()
    follow()
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--subscriptions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var:
        setup(Path(var))
        from dancu.exchange.models import AccessRecord, SubjectPseudonym

        with_pin, thin = subscribe(args.subscriptions, "pin"), subscribe(args.subscriptions, "thin")
        offset = 0
        times: dict[str, list[tuple[float, float]]] = {"pin": [], "thin": []}
        for _ in range(args.rounds):
            for kind, active, others in (("pin", with_pin, thin), ("thin", thin, with_pin)):
                only(active, others)
                times[kind].append(fan_out(args.events, offset))
                offset += args.events
        released = args.events * args.subscriptions
        print(f"load average {os.getloadavg()[0]:.2f}; {args.events} events x {args.subscriptions} subscriptions "
              f"per round; {AccessRecord.objects.count()} access records, {SubjectPseudonym.objects.count()} "
              "pseudonyms kept")  # fmt: skip
        for kind in ("pin", "thin"):
            walls = " ".join(f"{wall:.2f}" for wall, _ in times[kind])
            cpus = " ".join(f"{cpu:.2f}" for _, cpu in times[kind])
            best = released / min(cpu for _, cpu in times[kind])
            print(f"{kind:>4}: wall s {walls}; CPU s {cpus}; {best:,.0f} releases per CPU second (best round)")
        for i, name in ((0, "wall"), (1, "CPU")):
            ratio = sum(t[i] for t in times["thin"]) / sum(t[i] for t in times["pin"])
            print(f"thin / pin {name} time: {ratio:.2f}")


if __name__ == "__main__":
    main()
