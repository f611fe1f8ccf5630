"""Soak: the gateway at a fixed rate of verifications and the portal at a fixed rate of birth declarations, together,
for a given time, on a registry of its own, with every process as `make demo` runs it (web, gateway, projector, app
consumers). Open loop (latency from each request's scheduled time, so a stall shows), loopback only, bounded.

Every --sample seconds: requests sent and answered, errors (gateway: not 200; portal: not a 302 to the case), p99 of
each; resident memory (RSS) of every process; at start and end also their open files. Writes a JSON summary and a
Markdown table (--out), for bench/RESULTS.md.

Usage: .venv/bin/python bench/soak.py [--minutes 30] [--verify-rate 2000] [--declare-rate 10] [--people 50000]
       [--parents 64] [--sample 30] [--out bench/soak-RESULT.md] [--keep DIR]
The lead's run: --minutes 30 --verify-rate 2000 --declare-rate 10. A validation: --minutes 3 with lower rates.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway_bench import get_token  # noqa: E402
from oidc_bench import free_port  # noqa: E402
from portal_submit_bench import ACCOUNTS, FAMILY, GIVEN, MIDDLE, PASSWORD, sign_in  # noqa: E402

MAX_SECONDS = 1800 + 60
CERTIFICATE = b"%PDF-1.7\n% soak birth certificate\n" + b"0" * 20_000
BOUNDARY = "----dancusoakAq7Vx2"


@dataclass
class Window:
    """One sampling window of one load."""

    sent: int = 0
    answered: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000 if ordered else 0.0
        return {"sent": self.sent, "answered": self.answered, "errors": self.errors, "p99_ms": round(p99, 1)}


class Load:
    """Requests at a fixed rate over a pool of keep-alive connections (open loop)."""

    def __init__(self, name: str, port: int, rate: float, connections: int, make: Any, ok: Any) -> None:
        self.name, self.port, self.rate, self.connections = name, port, rate, connections
        self.make, self.ok = make, ok
        self.window = Window()
        self.total = Window()
        self.queue: asyncio.Queue[float] = asyncio.Queue()

    async def _worker(self) -> None:
        reader = writer = None
        while True:
            scheduled = await self.queue.get()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                assert reader is not None
                writer.write(self.make())
                status_line = await reader.readline()
                length, headers = 0, []
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    headers.append(line)
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                good = self.ok(status_line, headers)
                if b"connection: close" in b"".join(headers).lower():
                    writer.close()
                    writer = None
            except (OSError, asyncio.IncompleteReadError, ValueError):
                good = False
                if writer is not None:
                    writer.close()
                writer = None
            elapsed = time.perf_counter() - scheduled
            for window in (self.window, self.total):
                window.answered += 1
                window.errors += 0 if good else 1
                window.latencies.append(elapsed)
            self.queue.task_done()

    async def run(self, seconds: float) -> None:
        workers = [asyncio.create_task(self._worker()) for _ in range(self.connections)]
        start = time.perf_counter()
        for i in range(int(self.rate * seconds)):
            scheduled = start + i / self.rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.window.sent += 1
            self.total.sent += 1
            self.queue.put_nowait(scheduled)
        with contextlib.suppress(TimeoutError):  # answers still missing a minute after the last one was sent
            await asyncio.wait_for(self.queue.join(), 60)
        for task in workers:
            task.cancel()

    def take(self) -> dict[str, float]:
        window, self.window = self.window, Window()
        return window.summary()


def processes(pgids: dict[str, int]) -> dict[str, dict[str, int]]:
    """RSS (KiB) and open files of every process of the given process groups, by role and pid."""
    found: dict[str, dict[str, int]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            pgid = int(stat.rsplit(")", 1)[1].split()[2])
            role = next((name for name, group in pgids.items() if group == pgid), None)
            if role is None:
                continue
            rss = next(int(line.split()[1]) for line in (proc / "status").read_text().splitlines()
                       if line.startswith("VmRSS:"))  # fmt: skip
            files = len(os.listdir(proc / "fd"))
        except (OSError, StopIteration, IndexError, ValueError):
            continue
        found[f"{role}:{proc.name}"] = {"rss_kib": rss, "open_files": files}
    return found


def setup(var: Path, args: argparse.Namespace, env: dict[str, str]) -> list[dict[str, str]]:
    def dancu(*command: str) -> None:
        subprocess.run([str(BIN / "dancu"), *command], env=env, check=True, capture_output=True, text=True)

    for command in (
        ("migrate", "--no-input", "-v0"), ("load_geo", "-v0"),
        ("synth", "--people", str(args.people), "--province", "01", "--seed", "23", "-v0"),
        ("load_catalogue", "-v0"), ("demo_gateway", "-v0"), ("project", "--rebuild", "-v0"),
    ):  # fmt: skip
        dancu(*command)
    script = ACCOUNTS % {"bench": str(ROOT / "bench"), "count": args.parents, "password": PASSWORD}
    done = subprocess.run([str(BIN / "python"), "-c", script], env=env, check=True, capture_output=True, text=True)
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--verify-rate", type=float, default=2000)
    parser.add_argument("--declare-rate", type=float, default=10)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--parents", type=int, default=64)
    parser.add_argument("--sample", type=float, default=30)
    parser.add_argument("--out", type=Path, default=Path("soak-result.md"))
    parser.add_argument("--keep", type=Path, help="build (or reuse) the registry in this directory and keep it")
    args = parser.parse_args()
    seconds = args.minutes * 60
    if seconds > MAX_SECONDS:
        raise SystemExit("at most 30 minutes")
    var = args.keep or Path(tempfile.mkdtemp(prefix="dancu-soak-"))
    var.mkdir(parents=True, exist_ok=True)
    web_port, gateway_port = free_port(), free_port()
    gateway = f"http://127.0.0.1:{gateway_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANCU_", "DATABASE_URL"))}
    env.update(DANCU_VAR_DIR=str(var), DANCU_SECURE_COOKIES="0", DANCU_RATE_LIMIT_FACTOR="1000000", DANCU_DEMO="1",
               DANCU_GATEWAY_ISSUER=gateway, DANCU_GATEWAY_WORKERS="2", DANCU_GATEWAY_TOKEN_TTL="7200",
               DJANGO_SETTINGS_MODULE="dancu.settings")  # fmt: skip
    started = time.monotonic()
    parents_file = var / "soak-parents.json"
    if parents_file.exists():
        parents = json.loads(parents_file.read_text())
    else:
        parents = setup(var, args, env)
        parents_file.write_text(json.dumps(parents))
    print(f"setup {time.monotonic() - started:.0f} s in {var}", flush=True)
    metrics = var / "soak-metrics"
    metrics.mkdir(exist_ok=True)
    for old in metrics.iterdir():
        old.unlink()
    logs = var / "soak-logs"
    logs.mkdir(exist_ok=True)
    procs = {
        "web": start([str(BIN / "dancu-serve"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(web_port),
                      "--workers", "2", "--blocking-threads", "4", "--workers-kill-timeout", "8", "--log-level",
                      "warning", "dancu.wsgi:application"], env, logs / "web.log"),
        "gateway": start([str(BIN / "dancu-serve"), "--interface", "asgi", "--factory", "--host", "127.0.0.1", "--port",
                          str(gateway_port), "--workers", "2", "--workers-kill-timeout", "8", "--log-level",
                          "warning", "dancu.gateway.app:app_factory"],
                         env | {"PROMETHEUS_MULTIPROC_DIR": str(metrics)}, logs / "gateway.log"),
        "projector": start([str(BIN / "dancu"), "project", "--follow", "-v0"], env, logs / "projector.log"),
        "follow": start([str(BIN / "dancu"), "follow", "--follow", "-v0"], env, logs / "follow.log"),
    }  # fmt: skip
    try:
        wait_for(f"http://127.0.0.1:{web_port}/readyz")
        wait_for(f"{gateway}/readyz")
        token = get_token(gateway, var / "demo-client" / "demo-bank.private.jwk.json")
        with sqlite3.connect(var / "dancu.sqlite3") as db:
            pins = [row[0] for row in db.execute("SELECT pin, sex FROM registry_person ORDER BY random() LIMIT 5000")]
        sessions = [(*sign_in(f"http://127.0.0.1:{web_port}", p["pin"]), p["commune"]) for p in parents]
        summary = asyncio.run(soak(args, seconds, web_port, gateway_port, token, pins, sessions, procs))
    finally:
        stops = {}
        for name, process in procs.items():
            began = time.monotonic()
            with_signal = process.poll() is None
            if with_signal:
                os.killpg(process.pid, signal.SIGTERM)
            try:
                code = process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                code = process.wait()
            stops[name] = {"exit": code, "seconds": round(time.monotonic() - began, 1)}
    summary["stops"] = stops
    summary["var"] = str(var)
    summary["command"] = " ".join([".venv/bin/python", "bench/soak.py", *sys.argv[1:]])
    write(summary, args.out)


async def soak(
    args: argparse.Namespace, seconds: float, web_port: int, gateway_port: int, token: str, pins: list[str],
    sessions: list[tuple[str, str, str]], procs: dict[str, subprocess.Popen[bytes]],
) -> dict[str, Any]:  # fmt: skip
    rng = random.Random(5)
    verify_head = (
        f"POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1:{gateway_port}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\n"
    ).encode()

    def verify() -> bytes:
        body = json.dumps({"pin": rng.choice(pins), "purpose": "kyc-banking", "sex": rng.choice("MF")}).encode()
        return verify_head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body

    counter = iter(range(10**9))
    dates = [(date.today() - timedelta(days=d)).isoformat() for d in range(1, 50)]

    def declare() -> bytes:
        n = next(counter)
        session, csrf, commune = sessions[n % len(sessions)]
        k = n // len(sessions)
        name = f"{FAMILY[k % len(FAMILY)]} {MIDDLE[(k // len(FAMILY)) % len(MIDDLE)]} {GIVEN[(k // 140) % len(GIVEN)]}"
        fields = {"csrfmiddlewaretoken": csrf, "child_full_name": name, "child_sex": "F",
                  "child_birth_date": dates[(k // 3080) % len(dates)], "child_birth_commune": commune,
                  "extract_copies": "0"}  # fmt: skip
        parts = [
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
            for key, value in fields.items()
        ]
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="birth_certificate"; filename="gcs.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n".encode()
            + CERTIFICATE
            + f"\r\n--{BOUNDARY}--\r\n".encode()
        )
        body = b"".join(parts)
        head = (
            f"POST /portal/thu-tuc/khai-sinh/ HTTP/1.1\r\nHost: 127.0.0.1:{web_port}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nCookie: sessionid={session}; csrftoken={csrf}"
            f"\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    loads = {
        "gateway": Load("gateway", gateway_port, args.verify_rate, 128, verify, lambda s, h: b" 200 " in s),
        "portal": Load("portal", web_port, args.declare_rate, 16, declare,
                       lambda s, h: b" 302 " in s and any(b"/thu-tuc/ho-so/" in line for line in h)),
    }  # fmt: skip
    pgids = {name: process.pid for name, process in procs.items()}
    first = processes(pgids)
    samples: list[dict[str, Any]] = []
    began = time.monotonic()

    async def sampler() -> None:
        while True:
            await asyncio.sleep(args.sample)
            samples.append({
                "t": round(time.monotonic() - began), **{name: load.take() for name, load in loads.items()},
                "rss_kib": {key: value["rss_kib"] for key, value in processes(pgids).items()},
            })  # fmt: skip
            row = samples[-1]
            print(f"t={row['t']}s gateway {row['gateway']} portal {row['portal']}", flush=True)

    watcher = asyncio.create_task(sampler())
    await asyncio.gather(*(load.run(seconds) for load in loads.values()))
    watcher.cancel()
    last = processes(pgids)
    totals = {name: load.total.summary() for name, load in loads.items()}
    return {"seconds": round(time.monotonic() - began), "rates": {"verify": args.verify_rate,
            "declare": args.declare_rate}, "totals": totals, "samples": samples,
            "processes_start": first, "processes_end": last}  # fmt: skip


def write(summary: dict[str, Any], out: Path) -> None:
    out.with_suffix(".json").write_text(json.dumps(summary, indent=1))
    lines = [
        f"Soak: `{summary['command']}`, {summary['seconds']} s.", "",
        "| load | rate/s | sent | answered | errors | p99 ms (whole run) | p99 ms per window (min / median / max) |",
        "|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for name, rate in (("gateway", summary["rates"]["verify"]), ("portal", summary["rates"]["declare"])):
        total = summary["totals"][name]
        p99s = [s[name]["p99_ms"] for s in summary["samples"] if s[name]["answered"]] or [0.0]
        lines.append(
            f"| {name} | {rate:g} | {total['sent']:,} | {total['answered']:,} | {total['errors']:,} | "
            f"{total['p99_ms']} | {min(p99s)} / {statistics.median(p99s)} / {max(p99s)} |"
        )
    lines += [
        "",
        "| process | RSS start MiB | RSS end MiB | open files start | open files end |",
        "|---|---|---|---|---|",
    ]
    start, end = summary["processes_start"], summary["processes_end"]
    for key in sorted(set(start) | set(end)):
        a, b = start.get(key, {}), end.get(key, {})
        lines.append(
            f"| {key} | {a.get('rss_kib', 0) / 1024:.0f} | {b.get('rss_kib', 0) / 1024:.0f} | "
            f"{a.get('open_files', '-')} | {b.get('open_files', '-')} |"
        )
    lines += ["", "Stops (SIGTERM to each process group): " + ", ".join(
        f"{name} exit {s['exit']} in {s['seconds']} s" for name, s in summary["stops"].items())]  # fmt: skip
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
