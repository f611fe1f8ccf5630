"""Open-loop load at a fixed rate (what wrk cannot do): latency measured from each request's scheduled time, so a
stall shows in the percentiles instead of hiding as fewer requests (no coordinated omission).

    .venv/bin/python bench/rate_load.py --url http://127.0.0.1:8012/v1/verify --rate 2000 --seconds 15 \\
        --token TOKEN --bodies bodies.json

Loopback only; bounded by --seconds (at most 120).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from urllib.parse import urlsplit


async def run(url: str, rate: int, seconds: int, token: str, bodies: list[bytes], connections: int) -> None:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("loopback targets only")
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[float] = asyncio.Queue()

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        while True:
            scheduled = await queue.get()
            body = random.choice(bodies)
            head = (
                f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            writer.write(head + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - scheduled)
            if b" 200 " not in status_line:
                errors += 1
            queue.task_done()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    start = time.perf_counter()
    total = rate * seconds
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait(scheduled)
    await queue.join()
    elapsed = time.perf_counter() - start
    for task in workers:
        task.cancel()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    print(
        f"open loop at {rate}/s for {seconds} s: {len(latencies):,} answered ({len(latencies) / elapsed:,.0f}/s), "
        f"p50 {pct(0.50):.2f} ms, p90 {pct(0.90):.2f} ms, p99 {pct(0.99):.2f} ms, max {latencies[-1] * 1000:.1f} ms, "
        f"non-200 {errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--token", required=True)
    parser.add_argument("--bodies", required=True, help="JSON file: a list of request bodies (objects)")
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if args.seconds > 120:
        raise SystemExit("at most 120 seconds")
    with open(args.bodies) as handle:
        bodies = [json.dumps(b, ensure_ascii=False).encode() for b in json.load(handle)]
    asyncio.run(run(args.url, args.rate, args.seconds, args.token, bodies, args.connections))


if __name__ == "__main__":
    main()
