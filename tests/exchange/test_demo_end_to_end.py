"""Issue 16's "Done when", end to end with the processes ``make demo`` runs (the web under granian, ``dancu follow
--follow``, ``dancu subscriptions deliver --follow``, ``dancu demo_subscriber``; with NATS, ``dancu relay`` and the
gateway for the agency's token), over a small demo population: the level-1 demo citizen declares a birth in the
portal, the civil-status officer ``hotich`` takes and approves it in the back office, the demo social-insurance fund
receives ``birth.registered`` by signed webhook, and the parent's "who accessed my data" says the fund was notified.
The same birth reaches a durable pull consumer over NATS JetStream (as ``examples/nats_consumer.py`` reads), and the
pseudonym it carries resolves through the web API, recorded in the child's access history."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.nats import NatsServer
from tests.live import BIN, _free_port, sign_in
from tests.registry.live_demo import makefile_variable

pytestmark = [pytest.mark.slow, pytest.mark.nats]

DEMO_PEOPLE = "600"  # the demo's first households (synth draws chunk by chunk from the seed): enough for its citizens
FUND = "Bảo hiểm xã hội Việt Nam (demo)"
HISTORY = """
import json
from dancu.exchange.access import records_of
print(json.dumps([[r.channel, r.organisation, r.reference] for r in records_of("{pin}")]))
"""


def port() -> int:
    """A free loopback port; from ``DANCU_TEST_PORTS`` (``first-last``) where the machine reserves a range."""
    wanted = os.environ.get("DANCU_TEST_PORTS")
    if not wanted:
        return _free_port()
    first, last = (int(p) for p in wanted.split("-"))
    import socket

    for candidate in range(first, last + 1):
        if candidate in _taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
        _taken.add(candidate)
        return candidate
    raise RuntimeError(f"no free port in {wanted}")


_taken: set[int] = set()


@dataclass
class Demo:
    root: Path
    var: Path
    env: dict[str, str]
    web: str
    gateway: str
    fund: str
    nats: NatsServer
    citizens: dict[str, Any]
    officials: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def dancu(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "dancu"), *args], env=self.env, cwd=self.root, capture_output=True, timeout=600, check=False
        )
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        return done.stdout.decode()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(self.root.glob("*.log")))


def _wait_until_it_answers(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90  # a busy machine starts granian slowly
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{log.stem} did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("e2e")
    var = root / "var"
    web, gateway, fund = (f"http://127.0.0.1:{port()}" for _ in range(3))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANCU_", "DATABASE_URL", "NATS_"))}
    env.update(DANCU_VAR_DIR=str(var), DANCU_DEMO="1", DANCU_SECURE_COOKIES="0", DANCU_GATEWAY_ISSUER=gateway)
    (root / "nats").mkdir()
    # nats-server with dancu's generated configuration (the relay's user and the fund's), on a port from port().
    import tests.fixtures.nats as nats_fixture

    chosen = port()
    original, nats_fixture.free_port = nats_fixture.free_port, lambda: chosen  # type: ignore[assignment]
    try:
        nats = NatsServer(root / "nats", ["demo-bhxh"])
    finally:
        nats_fixture.free_port = original  # type: ignore[assignment]
    demo = Demo(root, var, env, web, gateway, fund, nats, {}, {})

    # What `make demo` runs before it serves (the Makefile's recipe), on a smaller population.
    demo.dancu("migrate", "--no-input", "-v0")
    demo.dancu("load_geo", "-v0")
    demo.dancu(
        "synth", "--people", DEMO_PEOPLE, "--province", makefile_variable("DEMO_PROVINCE"),
        "--seed", makefile_variable("DEMO_SEED"), "--as-of", makefile_variable("DEMO_AS_OF"), "--no-progress", "-v0",
    )  # fmt: skip
    demo.dancu("load_catalogue", "-v0")
    demo.dancu("demo_gateway", "-v0")
    demo.dancu("demo_citizens", "--url", web, "-v0")
    demo.dancu("demo_officials", "-v0")
    # As `make demo` does with NATS_URL set: the fund also reads births over NATS (thin: the child by a pseudonym).
    demo.dancu("demo_subscriber", "--setup", "--url", f"{fund}/hooks", "--nats", "-v0")
    demo.dancu("collectstatic", "--no-input", "-v0")
    demo.dancu("project", "--rebuild", "-v0")  # the gateway's projection: the fund's key, for its access token
    demo.citizens = json.loads((var / "demo-citizens.json").read_text())
    demo.officials = json.loads((var / "demo-officials.json").read_text())

    nats.start()
    relay = nats.login("relay")
    nats_env = {**env, "NATS_URL": nats.url, "DANCU_NATS_USER": relay["user"], "DANCU_NATS_PASSWORD": relay["password"]}
    commands: dict[str, tuple[list[str], dict[str, str], str | None]] = {
        "follow": (["dancu", "follow", "--follow", "-v0"], env, None),
        "relay": (["dancu", "relay", "-v0"], nats_env, None),
        "fund": (["dancu", "demo_subscriber", "--port", fund.rsplit(":", 1)[1], "-v0"], env, f"{fund}/events.json"),
        "deliver": (["dancu", "subscriptions", "-v0", "deliver", "--follow"], env, None),
        "gateway": (
            ["dancu-serve", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
             "--port", gateway.rsplit(":")[-1], "--workers", "1", "--log-level", "warning",
             "dancu.gateway.app:app_factory"],
            env, f"{gateway}/v1/health",
        ),
        "web": (
            ["dancu-serve", "--interface", "wsgi", "--host", "127.0.0.1", "--port", web.rsplit(":")[-1],
             "--workers", "1", "--blocking-threads", "4", "--log-level", "warning", "--static-path-route", "/static",
             "--static-path-mount", str(var / "static"), "dancu.wsgi:application"],
            env, f"{web}/api/openapi.json",
        ),
    }  # fmt: skip
    try:
        for name, (args, process_env, ready) in commands.items():
            log = root / f"{name}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [str(BIN / args[0]), *args[1:]], env=process_env, cwd=root, stdout=output, stderr=subprocess.STDOUT
                )
            demo.processes[name] = process
            if ready:
                _wait_until_it_answers(ready, process, log)
        yield demo
    finally:
        for process in demo.processes.values():
            process.terminate()
        for process in demo.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        nats.stop()


def _poll(what: Callable[[], Any], *, seconds: float, demo: Demo, waiting_for: str) -> Any:
    """``what()`` until it returns something true, for at most ``seconds`` (a bound for a busy machine, not a
    measure: the latency is in bench/)."""
    deadline = time.monotonic() + seconds
    while True:
        found = what()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"no {waiting_for} within {seconds} s\n{demo.logs()}")
        time.sleep(0.3)


def _received(demo: Demo) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{demo.fund}/events.json", timeout=5) as answer:
        return [e for e in json.loads(answer.read()) if e["type"] == "birth.registered"]


def _declare_birth(browser: Any, demo: Demo, child: str) -> str:
    """The level-1 demo citizen declares a newborn in the portal (no paper copy, so no payment); the birth
    registration's dossier number."""
    from playwright.sync_api import expect

    me = demo.citizens["level1"]
    context = browser.new_context(locale="vi-VN", base_url=demo.web)
    try:
        page = context.new_page()
        sign_in(page, me["pin"], me["password"])
        page.get_by_role("link", name="Dịch vụ công").click()
        page.get_by_role("link", name="Khai sinh cho trẻ").click()
        expect(page.locator("#prefilled")).to_contain_text(me["full_name"])
        page.get_by_label("Họ, chữ đệm và tên của trẻ").fill(child)
        page.get_by_label("Giới tính").select_option("F")
        page.get_by_label("Ngày sinh").fill((date.today() - timedelta(days=2)).isoformat())
        page.get_by_label("Giấy chứng sinh").set_input_files(
            {"name": "giay-chung-sinh.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n% certificate\n"}
        )
        page.get_by_label("Số bản sao trích lục khai sinh giấy").fill("0")
        page.get_by_role("button", name="Nộp tờ khai").click()
        card = page.locator('[data-procedure="birth-registration"]')
        card.wait_for()
        import re

        found = re.search(r"HS\.\d+\.\d+", card.inner_text())
        assert found, card.inner_text()
        return found.group(0)
    finally:
        context.close()


def _approve(browser: Any, demo: Demo, number: str) -> None:
    """The civil-status officer takes the dossier, then decides it (only the officer who took it may)."""
    from playwright.sync_api import expect

    context = browser.new_context(locale="vi-VN", base_url=demo.web)
    try:
        page = context.new_page()
        page.goto("/login/")
        page.get_by_label("Tên đăng nhập").fill("hotich")
        page.get_by_label("Mật khẩu").fill(demo.officials["hotich"])
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_role("link", name="Hồ sơ", exact=True).click()
        page.locator("#queue a", has_text=number).click()
        page.get_by_role("button", name="Nhận xử lý").click()
        page.get_by_label("Tôi xác nhận:").check()
        page.get_by_role("button", name="Duyệt").click()
        expect(page.locator("#dossier-status")).to_have_text("Đã trả kết quả")
    finally:
        context.close()


async def _read_over_nats(demo: Demo) -> list[dict[str, Any]]:
    """The fund's own durable pull consumer, as examples/nats_consumer.py creates and reads it."""
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig

    from dancu.exchange.nats.config import DELIVERIES_STREAM, delivery_subject_root, inbox_prefix

    nc = await nats.connect(demo.nats.url, **demo.nats.login("demo-bhxh"), inbox_prefix=inbox_prefix("demo-bhxh"))
    try:
        js = nc.jetstream(timeout=5)
        sub = await js.pull_subscribe(
            f"{delivery_subject_root('demo-bhxh')}.>",
            durable="demo-bhxh",
            stream=DELIVERIES_STREAM,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=30),
        )
        found = []
        while True:
            try:
                messages = await sub.fetch(100, timeout=1)
            except TimeoutError:
                return found
            for msg in messages:
                payload = json.loads(msg.data)
                found.append({"msg_id": msg.headers["Nats-Msg-Id"], "nats_subject": msg.subject, **payload})
                await msg.ack()
    finally:
        await nc.close()


def _nats_births(demo: Demo) -> list[dict[str, Any]]:
    try:  # in a thread of its own: Playwright's sync API keeps an event loop running in this one
        with ThreadPoolExecutor(1) as thread:
            read = thread.submit(asyncio.run, _read_over_nats(demo)).result()
        return [e for e in read if e["type"] == "birth.registered"]
    except Exception as error:  # the stream is made by the relay's first publish: not there yet
        if type(error).__name__ in ("NotFoundError", "ServiceUnavailableError"):
            return []
        raise


def _token(demo: Demo) -> str:
    """The fund's access token from the gateway (client credentials with its Ed25519 key), as an agency gets one."""
    from joserfc import jwt
    from joserfc.jwk import OKPKey

    key = OKPKey.import_key(json.loads((demo.var / "demo-client" / "demo-bhxh.private.jwk.json").read_text()))
    now = int(time.time())
    claims = {
        "iss": "demo-bhxh", "sub": "demo-bhxh", "aud": f"{demo.gateway}/oauth/token", "iat": now, "exp": now + 60,
        "jti": uuid.uuid4().hex,
    }  # fmt: skip
    assertion = jwt.encode({"alg": "Ed25519", "kid": key.kid}, claims, key, algorithms=["Ed25519"])
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
    request = urllib.request.Request(
        f"{demo.gateway}/oauth/token", data=urllib.parse.urlencode(form).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return str(json.loads(answer.read())["access_token"])


def _get(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def _post(url: str, body: dict[str, Any], token: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_a_birth_declared_in_the_portal_reaches_the_fund_and_the_parents_history(demo: Demo, browser: Any) -> None:
    from playwright.sync_api import expect

    assert _received(demo) == []
    # The fund checks every signature: an unsigned or wrongly signed call is refused and not shown.
    forged = urllib.request.Request(
        f"{demo.fund}/hooks", data=b'{"id": "x", "type": "birth.registered"}', method="POST",
        headers={"webhook-id": "x", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1a,AAAA"},
    )  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=5)
    assert refused.value.code == 401

    child = "Trần Bảo Ngọc"
    number = _declare_birth(browser, demo, child)
    assert _received(demo) == []  # declared is not registered: nothing is sent before the officer decides
    _approve(browser, demo, number)

    # The webhook worker signs (v1a), the fund verifies and keeps the event: within seconds on an idle machine.
    births = _poll(lambda: _received(demo), seconds=60, demo=demo, waiting_for="birth.registered at the fund")
    assert len(births) == 1
    birth = births[0]
    mother = demo.citizens["level1"]
    assert birth["data"]["full_name"] == child
    assert birth["data"]["mother"] == {"pin": mother["pin"]} or birth["data"]["father"] == {"pin": mother["pin"]}
    child_pin = birth["subject"]["pin"]
    with urllib.request.urlopen(f"{demo.fund}/", timeout=5) as page:
        shown = page.read().decode()
    assert child in shown and child_pin in shown

    # The parent's "who accessed my data": the fund was notified of the birth.
    context = browser.new_context(locale="vi-VN", base_url=demo.web)
    try:
        page = context.new_page()
        sign_in(page, mother["pin"], mother["password"])
        page.get_by_role("link", name="Ai đã truy cập dữ liệu của tôi").click()
        notified = page.locator("#access-table tr[data-kind=life_event]")
        expect(notified).to_have_count(1)
        expect(notified).to_contain_text(FUND)
        expect(notified).to_contain_text("Thông báo sự kiện")
    finally:
        context.close()

    # The same birth over NATS: the relay publishes it to the fund's own subjects; its durable pull consumer reads
    # it, the child by a pseudonym (a thin subscription), with Nats-Msg-Id = <event id>.<subscription id>.
    token = _token(demo)
    mine = _get(f"{demo.web}/api/v1/subscriptions/", token)
    nats_subscription = next(s["id"] for s in mine if s["channel"] == "nats")
    over_nats = _poll(lambda: _nats_births(demo), seconds=60, demo=demo, waiting_for="birth.registered over NATS")
    assert len(over_nats) == 1
    message = over_nats[0]
    assert message["id"] == birth["id"]
    assert message["msg_id"] == f"{birth['id']}.{nats_subscription}"
    assert message["nats_subject"].startswith("dancu.deliver.demo-bhxh.birth_registered.")
    assert set(message["subject"]) == {"pseudonym"} and child_pin not in json.dumps(message)
    pseudonym = message["subject"]["pseudonym"]

    # The pseudonym resolves through the web API with the fund's gateway token; the lookup is in the child's history.
    url = f"{demo.web}/api/v1/subscriptions/{nats_subscription}/resolve"
    assert _post(url, {"pseudonym": pseudonym}, token) == (200, {"pin": child_pin})
    status, unknown = _post(url, {"pseudonym": "A" * 22}, token)
    assert (status, unknown["code"]) == (404, "pseudonym_unknown")
    history = json.loads(demo.dancu("shell", "-c", HISTORY.format(pin=child_pin)).strip().splitlines()[-1])
    assert ["life_event", FUND, f"pseudonym:{nats_subscription}"] in history
