"""The gateway's own cost per call, in process (no HTTP server, no load generator): a quick, low-noise check of
what a change to the application saves, before measuring it for real with gateway_bench.py.

Drives the ASGI application directly with C concurrent callers (asyncio tasks), side by side with a Starlette app
answering a constant JSON, and prints microseconds of CPU per call for each. ``--profile FILE`` writes cProfile
statistics of the verify run.

Usage: .venv/bin/python bench/inproc_bench.py --var-dir DIR [--calls 20000] [--concurrency 64] [--batch]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import random
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]

LAST_SYS = 0.0

FLOOR_BODY = (
    b'{"request_id":"0123456789abcdef0123456789abcdef","found":true,"attributes":{"full_name":"match",'
    b'"full_name_without_diacritics":"match","birth_date":"not_provided","sex":"match"},"reasons":[]}'
)


def floor_app() -> App:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def constant(request: Request) -> Response:
        await request.body()
        return Response(FLOOR_BODY, media_type="application/json")

    return Starlette(routes=[Route("/v1/verify", constant, methods=["POST"])])


async def call(app: App, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-length", str(len(body)).encode()), *headers],
        "client": ("127.0.0.1", 1234), "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def drive(app: App, path: str, bodies: list[bytes], headers: list[tuple[bytes, bytes]], calls: int,
                concurrency: int) -> tuple[float, float, int]:  # fmt: skip
    """(wall seconds, CPU seconds, non-200 answers) for ``calls`` calls made by ``concurrency`` tasks."""
    errors = 0
    left = calls

    async def worker(seed: int) -> None:
        nonlocal errors, left
        pick = random.Random(seed)
        while left > 0:
            left -= 1
            if await call(app, path, pick.choice(bodies), headers) != 200:
                errors += 1

    started, cpu = time.perf_counter(), os.times()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    end = os.times()
    global LAST_SYS
    LAST_SYS = end.system - cpu.system
    return time.perf_counter() - started, end.user + end.system - cpu.user - cpu.system, errors


def thread_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of each thread of this process, by native thread id (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(tid)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


async def lifespan(app: App) -> Callable[[], Awaitable[None]]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    started = asyncio.Event()
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        return await queue.get()

    async def send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()
        if message["type"].startswith("lifespan.shutdown"):
            done.set()

    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send))
    await queue.put({"type": "lifespan.startup"})
    await started.wait()

    async def shutdown() -> None:
        await queue.put({"type": "lifespan.shutdown"})
        await done.wait()
        await task

    return shutdown


def token_for(var: Path) -> str:
    from joserfc import jwt

    from dancu.core.crypto import Keyring
    from dancu.gateway.auth import AUDIENCE, TOKEN_ALGORITHM, _okp

    keys = Keyring(var / "keys", create=False)
    kid, private = keys.token_signing_key()
    now = int(time.time())
    claims = {"iss": "http://127.0.0.1:8001", "sub": "demo-bank", "aud": AUDIENCE, "iat": now, "exp": now + 3600,
              "jti": uuid.uuid4().hex, "scope": "kyc-banking"}  # fmt: skip
    header = {"alg": TOKEN_ALGORITHM, "kid": kid, "typ": "at+jwt"}
    return str(jwt.encode(header, claims, _okp(kid, private), algorithms=[TOKEN_ALGORITHM]))


def sample_people(var: Path, n: int) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(var / "dancu.sqlite3")
    total = conn.execute("SELECT MAX(id) FROM registry_person").fetchone()[0]
    ids = random.Random(3).sample(range(1, total + 1), min(n, total))
    rows: list[tuple[str, str, str]] = []
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        rows += conn.execute(
            f"SELECT pin, full_name, sex FROM registry_person WHERE id IN ({','.join('?' * len(chunk))})", chunk
        ).fetchall()
    conn.close()
    return rows


async def main_async(args: argparse.Namespace) -> None:
    var = args.var_dir.resolve()
    os.environ.update({"DANCU_VAR_DIR": str(var), "DANCU_GATEWAY_ISSUER": "http://127.0.0.1:8001"})
    ledger = Path(args.ledger) if args.ledger else var / "inproc-ledger.sqlite3"
    os.environ["DANCU_LEDGER"] = str(ledger)
    from dancu.gateway.app import create_app
    from dancu.gateway.config import GatewayConfig

    people = sample_people(var, 5000)
    if args.batch:
        path = "/v1/verify/batch"
        bodies = [json.dumps({"purpose": "kyc-banking", "items": [{"pin": p, "full_name": n, "sex": s} for p, n, s in
                  random.Random(i).sample(people, 1000)]}, ensure_ascii=False).encode() for i in range(3)]  # fmt: skip
    else:
        path = "/v1/verify"
        bodies = [json.dumps({"pin": p, "purpose": "kyc-banking", "full_name": n, "sex": s}, ensure_ascii=False)
                  .encode() for p, n, s in people]  # fmt: skip
    headers = [(b"authorization", f"Bearer {token_for(var)}".encode()), (b"content-type", b"application/json")]

    floor = floor_app()
    await drive(floor, "/v1/verify", bodies, headers, min(2000, args.calls), args.concurrency)  # warm up
    wall, cpu, _ = await drive(floor, "/v1/verify", bodies, headers, args.calls, args.concurrency)
    print(f"floor  (Starlette, constant JSON): {cpu / args.calls * 1e6:8.1f} us CPU/call, "
          f"{args.calls / wall:9,.0f} calls/s (kernel {LAST_SYS / args.calls * 1e6:.1f} us)")  # fmt: skip

    app = create_app(GatewayConfig.from_env())
    shutdown = await lifespan(app)
    try:
        await drive(app, path, bodies, headers, min(2000, args.calls), args.concurrency)  # warm up
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        before = thread_cpu()
        wall, cpu, errors = await drive(app, path, bodies, headers, args.calls, args.concurrency)
        after = thread_cpu()
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
    finally:
        await shutdown()
    unit = 1000 if args.batch else 1
    main_thread = after.get(threading.get_native_id(), 0.0) - before.get(threading.get_native_id(), 0.0)
    others = sum(after.values()) - sum(before.values()) - main_thread
    print(f"{path}: {cpu / args.calls * 1e6:8.1f} us CPU/call, {args.calls / wall:9,.0f} calls/s "
          f"({args.calls * unit / wall:,.0f} verifications/s; kernel {LAST_SYS / args.calls * 1e6:.1f} us), "
          f"non-200 {errors}")  # fmt: skip
    print(f"  of which the event loop's thread {main_thread / args.calls * 1e6:.1f} us, other threads (ledger writer, "
          f"checkpointer) {others / args.calls * 1e6:.1f} us")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var-dir", type=Path, required=True)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--batch", action="store_true", help="Measure POST /v1/verify/batch (1,000 items) instead.")
    parser.add_argument("--ledger", help="Ledger file (default DIR/inproc-ledger.sqlite3).")
    parser.add_argument("--profile", help="Write cProfile statistics of the gateway run to this file.")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(main_async(args))
    except ImportError:
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
