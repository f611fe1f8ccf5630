"""An agency's consumer of dancu life events over NATS JetStream: its own durable pull consumer, with its own
credentials, acknowledging each event once it is processed; replay from a stream sequence or a time.

    # read from where the consumer stands (created on first run: from the start of what the stream holds)
    python examples/nats_consumer.py --url nats://127.0.0.1:4222 --client-id bhxh --password "$NATS_PASSWORD"
    # replay: the durable consumer is made again from a time (or --from-sequence N, a stream sequence)
    python examples/nats_consumer.py ... --from-time 2026-12-01T00:00:00+07:00
    # a large replay (millions of events): batches of 2,000 pulled on your own inbox, one acknowledgement per batch
    python examples/nats_consumer.py ... --from-sequence 1 --bulk --once

Needs `nats-py` (pip install nats-py); see docs/integrators.md ("Life events over NATS"). Each message is one life
event shaped by your subscription's grant (JSON, schema in the docs); ``Nats-Msg-Id`` is ``<event id>.<subscription
id>``: the same event delivered twice (after a replay, say) has the same id, so keep the ids you have processed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from datetime import datetime
from typing import Any

import nats
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

STREAM = "DANCU_DELIVERIES"


def handle(event: dict[str, Any], subject: str) -> None:
    """Your processing: here, print one line. Raise to have the event delivered again later (no ack)."""
    person = event["subject"].get("pin") or event["subject"].get("pseudonym", "")[:12]
    print(f"{event['recorded_at']}  {event['type']:<30} {person:<14} {subject}  {json.dumps(event['data'])}")


async def consume(args: argparse.Namespace) -> None:
    # Your replies come to your own inbox prefix: the server lets you read nothing else.
    nc = await nats.connect(
        args.url, user=args.client_id, password=args.password, inbox_prefix=f"_INBOX_{args.client_id}"
    )
    js = nc.jetstream(timeout=5)
    durable = args.client_id  # the one consumer your credentials may use
    config = ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=30, max_ack_pending=1000)
    if args.from_sequence or args.from_time:
        with contextlib.suppress(NotFoundError):  # a replay: the consumer is made again from where you say
            await js.delete_consumer(STREAM, durable)
        if args.from_sequence:
            config.deliver_policy, config.opt_start_seq = DeliverPolicy.BY_START_SEQUENCE, args.from_sequence
        else:
            config.deliver_policy = DeliverPolicy.BY_START_TIME
            config.opt_start_time = datetime.fromisoformat(args.from_time).isoformat()
    if args.bulk:  # every message of a batch handled before its one acknowledgement (AckAll)
        config.ack_policy, config.max_ack_pending = AckPolicy.ALL, args.batch * 4
    sub = await js.pull_subscribe(f"dancu.deliver.{args.client_id}.>", durable=durable, stream=STREAM, config=config)
    if args.bulk:
        seen = await pull_batches(nc, durable, lambda msg: handle(json.loads(msg.data), msg.subject),
                                  batch=args.batch, wait=args.wait, once=args.once, limit=args.limit)  # fmt: skip
        await nc.close()
        return
    seen = 0
    while args.limit is None or seen < args.limit:
        try:
            messages = await sub.fetch(100, timeout=args.wait)
        except TimeoutError:  # nothing new within --wait seconds
            if args.once:
                break
            continue
        for msg in messages:
            handle(json.loads(msg.data), msg.subject)
            await msg.ack()  # only once processed: after a crash, unacknowledged events come again
            seen += 1
    await nc.close()


async def pull_batches(
    nc: Any,
    durable: str,
    handle: Any,
    *,
    batch: int = 2000,
    wait: float = 5.0,
    once: bool = True,
    limit: int | None = None,
) -> int:
    """Read a durable pull consumer (AckAll) fast: batches asked for with ``$JS.API.CONSUMER.MSG.NEXT`` on your own
    inbox, two in flight, each message handed to ``handle`` in order, the last of each batch acknowledged (AckAll:
    that acknowledges the batch). ``fetch`` waits for each message with a task and a timer; this reads them from one
    plain subscription. Returns how many were handled; stops when the consumer has nothing more (``once``: the
    reply subject's pending count reaches 0), after ``limit`` messages, or never."""
    inbox = nc.new_inbox()
    state: dict[str, Any] = {"seen": 0, "in_batch": 0, "last_reply": "", "expired": False, "caught_up": False}
    wake = asyncio.Event()
    request = json.dumps({"batch": batch, "expires": int(wait * 1e9)}).encode()
    subject = f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.{durable}"

    async def on_message(msg: Msg) -> None:
        if not msg.reply:  # a status (408: the request expired unfilled): ask again
            state["expired"] = True
            wake.set()
            return
        handle(msg)
        state["seen"] += 1
        state["in_batch"] += 1
        state["last_reply"] = msg.reply
        # $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>
        state["caught_up"] = msg.reply.endswith(".0")
        if state["in_batch"] >= batch or state["caught_up"]:
            wake.set()

    sub = await nc.subscribe(inbox, cb=on_message, pending_msgs_limit=batch * 4)
    for _ in range(2):
        await nc.publish(subject, request, reply=inbox)
    try:
        while limit is None or state["seen"] < limit:
            try:
                await asyncio.wait_for(wake.wait(), timeout=wait + 5)
            except TimeoutError:
                state["expired"] = True
            wake.clear()
            if state["last_reply"]:
                await nc.publish(state["last_reply"], b"+ACK")  # acknowledges every message up to it
                state["last_reply"] = ""
            if once and (state["caught_up"] or state["expired"]):
                break
            while state["in_batch"] >= batch:  # a batch filled: keep two in flight
                state["in_batch"] -= batch
                await nc.publish(subject, request, reply=inbox)
            if state["expired"]:
                state["expired"], state["in_batch"] = False, 0
                await nc.publish(subject, request, reply=inbox)
        await nc.flush()
    finally:
        await sub.unsubscribe()
    return int(state["seen"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="nats://127.0.0.1:4222")
    parser.add_argument("--client-id", required=True, help="Your connected system's client id (the NATS user).")
    parser.add_argument("--password", required=True, help="Your NATS password (given by the operator).")
    parser.add_argument("--from-sequence", type=int, help="Replay from this stream sequence.")
    parser.add_argument("--from-time", help="Replay what was published since this ISO time.")
    parser.add_argument("--once", action="store_true", help="Stop when nothing new comes within --wait seconds.")
    parser.add_argument("--wait", type=float, default=5.0)
    parser.add_argument("--limit", type=int, help="Stop after this many events.")
    parser.add_argument("--bulk", action="store_true", help="Large replays: batches, one acknowledgement each.")
    parser.add_argument("--batch", type=int, default=2000, help="--bulk: messages per batch.")
    asyncio.run(consume(parser.parse_args()))


if __name__ == "__main__":
    main()
