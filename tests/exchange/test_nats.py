"""Life events over NATS against a real nats-server with dancu's generated configuration: each system reads only
its own shaped deliveries through its own durable pull consumer, replays from a sequence or a time, and cannot read
another system's subjects or the internal stream."""

from __future__ import annotations

import asyncio
import io
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import nats
import orjson
import pytest
from django.core.management import call_command
from django.utils import timezone
from nats.js.api import ConsumerConfig, DeliverPolicy

from dancu.core.ids import uuid7
from dancu.events.models import Event
from dancu.events.relay import NatsOptions
from dancu.exchange.choices import SubscriptionChannel, SubscriptionStatus, SystemStatus
from dancu.exchange.models import ConnectedSystem, Subscription
from dancu.exchange.nats import relay
from dancu.exchange.nats.config import DELIVERIES_STREAM, delivery_subject_root, inbox_prefix
from dancu.exchange.nats.deliveries import relay_lag
from tests import factories
from tests.fixtures.nats import NatsServer

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PINS = ("001090000001", "001090000002")


def _subscribe(system: ConnectedSystem, event_types: list[str], fields: list[str] = ()) -> Subscription:  # type: ignore[assignment]
    return Subscription.objects.create(
        system=system,
        purpose=factories.purpose(),
        name=f"nats-{system.client_id}",
        event_types=event_types,
        fields=list(fields),
        channel=SubscriptionChannel.NATS,
        status=SubscriptionStatus.ACTIVE,
    )


def _events() -> list[Event]:
    now = timezone.now()
    rows = [
        ("death.recorded", PINS[0], {"death_date": "2026-11-01", "place_text": "Hà Nội"}),
        ("name.changed", PINS[1], {"full_name": "Trần Thị Bình"}),
        ("death.recorded", PINS[1], {"death_date": "2026-11-02", "place_text": ""}),
        ("person.registered", PINS[0], {}),  # not a life event: no delivery
        ("name.changed", PINS[0], {"full_name": "Lê Văn Cường"}),
    ]
    Event.objects.bulk_create(
        Event(
            event_id=uuid7(),
            type=kind,
            pin=pin,
            effective_date=date(2026, 11, 1),
            recorded_at=now,
            actor="test",
            payload=payload,
        )
        for kind, pin, payload in rows
    )
    return list(Event.objects.order_by("sequence"))


def _relay_once(server: NatsServer) -> list[relay.StreamRelay]:
    login = server.login("relay")
    options = NatsOptions(url=server.url, user=login["user"], password=login["password"])
    return asyncio.run(relay.run(options, follow=False, stop=asyncio.Event()))


async def _connect_as(server: NatsServer, client_id: str, errors: list[str] | None = None) -> Any:
    async def on_error(error: Exception) -> None:
        if errors is not None:
            errors.append(str(error))

    return await nats.connect(
        server.url, **server.login(client_id), inbox_prefix=inbox_prefix(client_id), error_cb=on_error
    )


async def _read_own(server: NatsServer, client_id: str, *, config: ConsumerConfig | None = None) -> list[Any]:
    """What a system's own durable pull consumer gives it (acknowledged), as the example consumer reads."""
    nc = await _connect_as(server, client_id)
    try:
        js = nc.jetstream(timeout=2)
        sub = await js.pull_subscribe(
            f"{delivery_subject_root(client_id)}.>", durable=client_id, stream=DELIVERIES_STREAM, config=config
        )
        found = []
        while True:
            try:
                batch = await sub.fetch(100, timeout=0.5)
            except (nats.errors.TimeoutError, TimeoutError):
                return found
            for msg in batch:
                found.append(msg)
                await msg.ack()
    finally:
        await nc.close()


@pytest.mark.nats
def test_each_system_reads_only_its_own_deliveries_shaped_by_its_grant(
    nats_server: Callable[..., NatsServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    social = factories.connected_system("bhxh")
    bank = factories.connected_system("bank-b")
    suspended = factories.connected_system("suspended-c")
    _subscribe(social, ["death.recorded", "name.changed"])  # thin: pseudonyms, no names
    _subscribe(bank, ["death.recorded"], ["pin", "death_date"])
    _subscribe(suspended, ["death.recorded"])
    ConnectedSystem.objects.filter(pk=suspended.pk).update(status=SystemStatus.SUSPENDED)
    events = _events()
    server = nats_server(client_ids=["bhxh", "bank-b", "suspended-c"])

    assert relay_lag() == {"published_up_to": 0, "events_not_published": events[-1].sequence}
    relays = _relay_once(server)
    assert [r.stream.name for r in relays] == ["DANCU_EVENTS", DELIVERIES_STREAM]
    assert relays[0].stats.published == len(events)
    assert relay_lag() == {"published_up_to": events[-1].sequence, "events_not_published": 0}

    social_msgs = asyncio.run(_read_own(server, "bhxh"))
    life = [e for e in events if e.type != "person.registered"]
    assert [m.headers["Nats-Msg-Id"].split(".")[0] for m in social_msgs] == [str(e.event_id) for e in life]
    assert all(m.subject.startswith("dancu.deliver.bhxh.") for m in social_msgs)
    assert social_msgs[0].subject == "dancu.deliver.bhxh.death_recorded.00"
    payloads = [orjson.loads(m.data) for m in social_msgs]
    assert payloads[0]["type"] == "death.recorded"
    assert "pin" not in payloads[0]["subject"] and payloads[0]["subject"]["pseudonym"]
    assert payloads[0]["data"] == {}  # death_date not granted
    assert b"Tr\xe1\xba\xa7n" not in social_msgs[1].data  # the new name is not granted either
    # One person's events in the order they were recorded.
    assert payloads[0]["subject"] == payloads[3]["subject"] != payloads[1]["subject"]

    bank_msgs = asyncio.run(_read_own(server, "bank-b"))
    bank_payloads = [orjson.loads(m.data) for m in bank_msgs]
    assert [p["subject"] for p in bank_payloads] == [{"pin": PINS[0]}, {"pin": PINS[1]}]
    assert [p["data"]["death_date"] for p in bank_payloads] == ["2026-11-01", "2026-11-02"]

    assert asyncio.run(_read_own(server, "suspended-c")) == []  # a suspended system receives nothing

    # Again, as the operator runs it: nothing published twice.
    login = server.login("relay")
    monkeypatch.setenv("NATS_URL", server.url)
    monkeypatch.setenv("DANCU_NATS_USER", login["user"])
    monkeypatch.setenv("DANCU_NATS_PASSWORD", login["password"])
    out = io.StringIO()
    call_command("relay", "--once", stdout=out)
    assert out.getvalue().splitlines() == [
        f"DANCU_EVENTS: 0 published, 0 duplicates, position {events[-1].sequence}",
        f"{DELIVERIES_STREAM}: 0 published, 0 duplicates, position {events[-1].sequence}",
    ]

    # Replay: the durable consumer made again from a stream sequence, or from a time.
    async def replay(policy: DeliverPolicy, **start: Any) -> list[Any]:
        nc = await _connect_as(server, "bhxh")
        await nc.jetstream(timeout=2).delete_consumer(DELIVERIES_STREAM, "bhxh")
        await nc.close()
        return await _read_own(server, "bhxh", config=ConsumerConfig(deliver_policy=policy, **start))

    third = social_msgs[2].metadata
    from_sequence = asyncio.run(replay(DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=third.sequence.stream))
    assert [m.data for m in from_sequence] == [m.data for m in social_msgs[2:]]
    from_time = asyncio.run(replay(DeliverPolicy.BY_START_TIME, opt_start_time=third.timestamp.isoformat()))
    assert from_time and from_time[-1].data == social_msgs[-1].data

    # The example consumer of docs/integrators.md, as an agency runs it: a replay from the first sequence.
    example = subprocess.run(
        [sys.executable, str(EXAMPLES / "nats_consumer.py"), "--url", server.url, "--client-id", "bhxh",
         "--password", server.password("bhxh"), "--from-sequence", "1", "--once", "--wait", "1"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    lines = example.stdout.splitlines()
    assert [line.split()[1] for line in lines] == ["death.recorded", "name.changed", "death.recorded", "name.changed"]
    # The same replay in bulk (batches pulled on the system's inbox, one acknowledgement per batch): same events.
    bulk = subprocess.run(
        [sys.executable, str(EXAMPLES / "nats_consumer.py"), "--url", server.url, "--client-id", "bhxh",
         "--password", server.password("bhxh"), "--from-sequence", "1", "--once", "--wait", "1", "--bulk",
         "--batch", "3"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert bulk.stdout.splitlines() == lines


@pytest.mark.nats
def test_a_system_cannot_read_another_systems_subjects_or_the_internal_stream(
    nats_server: Callable[..., NatsServer],
) -> None:
    other = factories.connected_system("bank-b")
    _subscribe(other, ["death.recorded"], ["pin", "death_date"])
    _events()
    server = nats_server(client_ids=["bhxh", "bank-b"])
    _relay_once(server)

    async def attempts() -> tuple[list[str], list[str]]:
        errors: list[str] = []
        refused: list[str] = []
        nc = await _connect_as(server, "bhxh", errors)
        js = nc.jetstream(timeout=1)
        tries = {
            "another's filter": lambda: js.pull_subscribe(
                "dancu.deliver.bank-b.>", durable="bhxh", stream=DELIVERIES_STREAM
            ),
            "another's consumer": lambda: js.pull_subscribe(
                "dancu.deliver.bank-b.>", durable="bank-b", stream=DELIVERIES_STREAM
            ),
            "the internal stream": lambda: js.pull_subscribe("dancu.events.>", durable="bhxh", stream="DANCU_EVENTS"),
            "stream info": lambda: js.stream_info(DELIVERIES_STREAM),
        }
        for name, attempt in tries.items():
            try:
                await attempt()
            except (nats.errors.TimeoutError, nats.js.errors.Error, nats.errors.Error):
                refused.append(name)
        await nc.subscribe("dancu.deliver.>")  # a plain subscription to every system's subjects
        await nc.subscribe("_INBOX.>")  # or to other clients' replies
        await nc.flush()
        await asyncio.sleep(0.3)
        await nc.close()
        return refused, errors

    refused, errors = asyncio.run(attempts())
    assert refused == ["another's filter", "another's consumer", "the internal stream", "stream info"]
    joined = "\n".join(errors).lower()
    assert 'subscription to "dancu.deliver.>"' in joined
    assert 'subscription to "_inbox.>"' in joined
    assert "permissions violation for publish" in joined
    assert asyncio.run(_read_own(server, "bank-b"))  # the owner still reads its own


def test_nats_config_writes_users_for_approved_systems_with_private_files(tmp_path: Path, settings: Any) -> None:
    settings.VAR_DIR = tmp_path
    factories.connected_system("bhxh")
    factories.connected_system("pending-x", approved=False)
    out = tmp_path / "nats" / "nats-server.conf"
    call_command("nats_config", "--out", str(out), "--port", "14222", verbosity=0)
    text = out.read_text()
    assert '"bhxh"' in text and "pending-x" not in text
    assert "$JS.API.CONSUMER.MSG.NEXT.DANCU_DELIVERIES.bhxh" in text
    credentials = tmp_path / "nats" / "credentials.json"
    for path in (out, credentials):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    password = orjson.loads(credentials.read_bytes())["bhxh"]["password"]
    call_command("nats_config", "--out", str(out), verbosity=0)  # again: the same passwords
    assert orjson.loads(credentials.read_bytes())["bhxh"]["password"] == password
    assert password in out.read_text()


def test_a_generated_password_never_begins_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--password -x...`` reads as an option on a command line (the example consumer refused one, now and then)."""
    from dancu.exchange.nats import config

    drawn = iter(["-starts-with-a-dash", "_fine-after-all"])
    monkeypatch.setattr(config.secrets, "token_urlsafe", lambda size: next(drawn))
    assert config._password() == "_fine-after-all"
