"""Gateway benchmarks on a populated registry (made by synth_bench.py --keep DIR), side by side in one run:

1. projection rebuild of every person (seconds);
2. the floor of the HTTP stack: the same granian/Starlette setup answering a constant JSON, measured right before
   each gateway build and once after the last (the machine is shared: each build is compared with its neighbours);
3. with --rate R, POST /v1/verify in open loop at R calls/s (bench/rate_load.py: latency percentiles), first, on
   the freshly started gateway (a steady rate, not the aftermath of the saturating run);
4. POST /v1/verify with authentication and a durable ledger entry, random PINs, closed loop (wrk);
5. POST /v1/verify/batch with 1,000 items (verifications/s);
6. resident memory of the gateway's worker processes.

Usage: .venv/bin/python bench/gateway_bench.py --var-dir DIR [--seconds 20] [--connections 128] [--rate 2000]
       [--compare-src OTHER/src ...]   (another source tree measured side by side, e.g. `git archive main src`)
       [--rate-runs N]   (only the open loop at --rate, N rounds, the builds alternating on fresh gateways)
       [--rounds N]      (only the closed-loop verification: N rounds of floor then each build, short runs, medians)
Load from wrk through ../shared/tools/http-load (loopback only, bounded).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
# ../shared/tools/http-load next to the main checkout, or two levels up from a worktree under wt/
HTTP_LOAD = next(
    (path for path in (ROOT.parent / "shared" / "tools" / "http-load", ROOT.parent.parent / "shared" / "tools" /
     "http-load") if path.exists()),
    ROOT.parent / "shared" / "tools" / "http-load",
)  # fmt: skip

FLOOR_APP = """
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

BODY = (b'{"request_id":"0123456789abcdef0123456789abcdef","found":true,"attributes":{"full_name":"match",'
        b'"full_name_without_diacritics":"match","birth_date":"not_provided","sex":"match"},"reasons":[]}')

async def constant(request):
    await request.body()
    return Response(BODY, media_type="application/json")

app = Starlette(routes=[Route("/v1/verify", constant, methods=["POST"])])
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_port(port: int) -> None:
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def serve(
    target: str, port: int, env: dict[str, str], factory: bool, scratch: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start granian with 2 workers. Each start begins from the same state of the disk: the earlier runs' ledgers in
    ``scratch`` (the bench's own temporary directory, never a ledger named by the caller's environment) are deleted
    and what is left to write is written (``sync``). Otherwise a run's fsyncs wait behind the writeback of the
    previous runs' ledgers (~100 MB each), and whichever build runs later in a round is measured slower."""
    if scratch is not None:
        for old in scratch.glob("ledger*"):
            old.unlink()
    os.sync()
    time.sleep(0.5)
    args = [str(BIN / "dancu-serve"), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "2", "--log-level", "error"]  # fmt: skip
    if factory:
        args.append("--factory")
    process = subprocess.Popen([*args, target], env=env, start_new_session=True)
    wait_port(port)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(20)


def load(url: str, seconds: int, connections: int, script: str) -> dict[str, float]:
    out = subprocess.run(
        [str(HTTP_LOAD), url, str(seconds), str(connections), script], capture_output=True, text=True, check=True
    ).stdout

    def grab(pattern: str) -> str:
        found = re.search(pattern, out)
        return found.group(1) if found else "0"

    def ms(text: str) -> float:
        found = re.match(r"([\d.]+)(us|ms|s|m)?$", text)
        if not found:
            return float("nan")
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}.get(found.group(2) or "ms", 1.0)
        return float(found.group(1)) * scale

    return {
        "rps": float(grab(r"Requests/sec:\s+([\d.]+)")),
        "p50": ms(grab(r"(?m)^\s+50%\s+(\S+)")),
        "p99": ms(grab(r"(?m)^\s+99%\s+(\S+)")),
        "non2xx": float(grab(r"Non-2xx or 3xx responses: (\d+)")),
    }


def lua(path: Path, method_path: str, bodies: list[str], token: str) -> str:
    quoted = ",".join(json.dumps(b, ensure_ascii=False) for b in bodies)  # Lua 5.1 has no \u escapes
    path.write_text(
        f"bodies = {{{quoted}}}\n"
        'wrk.method = "POST"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'request = function() return wrk.format("POST", "{method_path}", nil, bodies[math.random(#bodies)]) end\n'
    )
    return str(path)


def get_token(base: str, key_path: Path) -> str:
    from joserfc import jwt
    from joserfc.jwk import OKPKey

    key = OKPKey.import_key(json.loads(key_path.read_text()))
    now = int(time.time())
    claims = {"iss": "demo-bank", "sub": "demo-bank", "aud": f"{base}/oauth/token", "iat": now, "exp": now + 60,
              "jti": uuid.uuid4().hex}  # fmt: skip
    assertion = jwt.encode({"alg": "Ed25519", "kid": key.kid}, claims, key, algorithms=["Ed25519"])
    form = ("grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type"
            f"%3Ajwt-bearer&client_assertion={assertion}&scope=kyc-banking").encode()  # fmt: skip
    request = urllib.request.Request(f"{base}/oauth/token", data=form, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


def cpu_seconds(pgid: int) -> float:
    """CPU time (user + system, every thread) used so far by the processes of a process group (Linux)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.getpgid(int(pid)) != pgid:
                continue
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ProcessLookupError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def load_with_cpu(process: subprocess.Popen[bytes], *args: Any) -> dict[str, float]:
    """:func:`load`, and the server's CPU microseconds per request during it (less sensitive than requests/s to
    what else runs on a shared machine)."""
    before = cpu_seconds(process.pid)
    result = load(*args)
    spent = cpu_seconds(process.pid) - before
    requests = result["rps"] * args[1]
    result["cpu_us"] = spent / requests * 1e6 if requests else float("nan")
    return result


def memory_mib(pgid: int) -> tuple[float, float]:
    """(RSS, private memory) of a process group in MiB. RSS counts the memory-mapped projection's pages, which are
    the kernel's shared file cache; private memory (Private_Clean + Private_Dirty) is what the processes own."""
    rss = private = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.getpgid(int(pid)) != pgid:
                continue
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    name, _, rest = line.partition(":")
                    if name == "Rss":
                        rss += int(rest.split()[0])
                    elif name in ("Private_Clean", "Private_Dirty"):
                        private += int(rest.split()[0])
        except (OSError, ProcessLookupError):
            continue
    return rss / 1024, private / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var-dir", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=128)
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--rate", type=int, default=0, help="Also run bench/rate_load.py at this many verifications/s.")
    parser.add_argument(
        "--rate-runs", type=int, default=0,
        help="Only the open loop at --rate: this many rounds, each build on a fresh gateway and ledger in turn.",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, default=0,
        help="Only the closed-loop single verification: this many rounds of (floor, each build) in short runs, "
        "then the median share of the floor per build (a steadier figure on a shared machine).",
    )  # fmt: skip
    parser.add_argument(
        "--compare-src", type=Path, action="append", default=[],
        help="Also measure the gateway of another source tree (e.g. an earlier commit's src/ from git archive), "
        "side by side in the same run; repeatable.",
    )  # fmt: skip
    args = parser.parse_args()
    var = args.var_dir.resolve()
    env = os.environ | {"DANCU_VAR_DIR": str(var)}
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    subprocess.run([str(BIN / "dancu"), "migrate", "-v0"], env=env, check=True)
    if not args.skip_rebuild:
        started = time.perf_counter()
        subprocess.run([str(BIN / "dancu"), "demo_gateway"], env=env, check=True)
        subprocess.run([str(BIN / "dancu"), "project", "--rebuild"], env=env, check=True)
        print(f"(demo system + first projection + explicit rebuild: {time.perf_counter() - started:.1f} s in all)")
    # The demo bank's grants are sized for a demo (5,000/s); lift them so the limits are not what is measured.
    lift = (
        "from dancu.exchange.models import Grant; "
        "Grant.objects.filter(system__client_id='demo-bank').update(rate_per_second=10**6, daily_quota=10**9)"
    )
    subprocess.run([str(BIN / "dancu"), "shell", "-c", lift], env=env, check=True, capture_output=True)
    subprocess.run([str(BIN / "dancu"), "project", "-v0"], env=env, check=True)
    sys.path.insert(0, str(ROOT / "src"))
    os.environ["DANCU_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")
    import django

    django.setup()
    from dancu.registry.models import Person

    total = Person.objects.count()
    pins = list(Person.objects.filter(id__in=random.Random(3).sample(range(1, total + 1), 5000)).values_list(
        "pin", "full_name", "sex"))  # fmt: skip

    gw_port = free_port()  # never fixed ports: other runs share the machine
    floor_port = next(port for port in iter(free_port, 0) if port != gw_port)
    base = f"http://127.0.0.1:{gw_port}"
    gw_env = env | {"DANCU_GATEWAY_ISSUER": base, "DANCU_GATEWAY_WORKERS": "2"}
    with tempfile.TemporaryDirectory() as tmp:
        floor_dir = Path(tmp)
        (floor_dir / "floor_app.py").write_text(FLOOR_APP)
        single = [json.dumps({"pin": p, "purpose": "kyc-banking", "full_name": n, "sex": s}, ensure_ascii=False)
                  for p, n, s in pins]  # fmt: skip
        batch = [json.dumps({"purpose": "kyc-banking", "items": [
            {"pin": p, "full_name": n, "sex": s} for p, n, s in random.Random(i).sample(pins, 1000)]},
            ensure_ascii=False) for i in range(3)]  # fmt: skip

        def measure_floor() -> dict[str, float]:
            floor = serve("floor_app:app", floor_port, os.environ | {"PYTHONPATH": str(floor_dir)}, factory=False)
            try:
                return load_with_cpu(floor, f"http://127.0.0.1:{floor_port}/", args.seconds, args.connections,
                                     lua(floor_dir / "floor.lua", "/v1/verify", single, "x"))  # fmt: skip
            finally:
                stop(floor)

        @contextlib.contextmanager
        def gateway_of(src: Path | None, ledger: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
            """A gateway of the given source tree (None: this one) on a fresh ledger, and an access token for it."""
            build_env = gw_env | {"DANCU_LEDGER": str(floor_dir / ledger)}
            if src is not None:
                build_env["PYTHONPATH"] = str(src.resolve())
            gateway = serve("dancu.gateway.app:app_factory", gw_port, build_env, factory=True, scratch=floor_dir)
            try:
                yield gateway, get_token(base, var / "demo-client" / "demo-bank.private.jwk.json")
            finally:
                stop(gateway)

        builds = [*((str(path), path) for path in args.compare_src), ("this tree", None)]
        if args.rate_runs:  # open loop only, builds alternating, so that the machine's drift hits each alike
            bodies = floor_dir / "bodies.json"
            bodies.write_text(json.dumps([json.loads(b) for b in single], ensure_ascii=False))
            for round_ in range(args.rate_runs):
                for number, (label, src) in enumerate(builds):
                    with gateway_of(src, f"ledger-{round_}-{number}.sqlite3") as (_gateway, token):
                        out = subprocess.run(
                            [sys.executable, str(ROOT / "bench" / "rate_load.py"), "--url", base + "/v1/verify",
                             "--rate", str(args.rate or 2000), "--seconds", str(min(args.seconds, 120)),
                             "--token", token, "--bodies", str(bodies)],
                            capture_output=True, text=True, check=True,
                        ).stdout.strip()  # fmt: skip
                    load_average = " ".join(Path("/proc/loadavg").read_text().split()[:3])
                    print(f"round {round_ + 1} [{label}] (load {load_average}): {out}", flush=True)
            return
        if args.rounds:  # closed loop only: short runs, the floor between rounds, the builds' order rotating
            runs: list[tuple[int, str, dict[str, float]]] = []
            floors = [measure_floor()]
            for round_ in range(args.rounds):
                for number in range(len(builds)):
                    label, src = builds[(number + round_) % len(builds)]
                    with gateway_of(src, f"ledger-r{round_}-{number}.sqlite3") as (gateway, token):
                        runs.append((round_, label, load_with_cpu(
                            gateway, base + "/", args.seconds, args.connections,
                            lua(floor_dir / "v.lua", "/v1/verify", single, token),
                        )))  # fmt: skip
                floors.append(measure_floor())
            for label, _ in builds:
                shares, cpus = [], []
                for round_, run_label, verify in runs:
                    if run_label != label:
                        continue
                    before, after = floors[round_], floors[round_ + 1]
                    shares.append(verify["rps"] / ((before["rps"] + after["rps"]) / 2))
                    cpus.append((before["cpu_us"] + after["cpu_us"]) / 2 / verify["cpu_us"])
                print(f"[{label}] share of the floor, {len(shares)} rounds: "
                      + " ".join(f"{share:.0%}" for share in shares)
                      + f"; median {statistics.median(shares):.0%}. Floor/verify CPU: "
                      + " ".join(f"{cpu:.0%}" for cpu in cpus) + f"; median {statistics.median(cpus):.0%}")  # fmt: skip
            print("floors (req/s): " + " ".join(f"{floor['rps']:,.0f}" for floor in floors))
            return
        # The machine is shared and its load drifts: the floor is measured before each build and after the last,
        # and each build is compared with the mean of the floors either side of it.
        floors = []
        results = []
        for number, (label, src) in enumerate(builds):
            # Each build writes a fresh ledger of its own, so that none is measured against a bigger file.
            floors.append(measure_floor())
            with gateway_of(src, f"ledger-{number}.sqlite3") as (gateway, token):
                open_loop = ""
                if args.rate:
                    bodies = floor_dir / "bodies.json"
                    bodies.write_text(json.dumps([json.loads(b) for b in single], ensure_ascii=False))
                    open_loop = subprocess.run(
                        [sys.executable, str(ROOT / "bench" / "rate_load.py"), "--url", base + "/v1/verify",
                         "--rate", str(args.rate), "--seconds", str(min(args.seconds, 120)), "--token", token,
                         "--bodies", str(bodies)],
                        capture_output=True, text=True, check=True,
                    ).stdout.strip()  # fmt: skip
                verify = load_with_cpu(
                    gateway, base + "/", args.seconds, args.connections,
                    lua(floor_dir / "v.lua", "/v1/verify", single, token),
                )  # fmt: skip
                batched = load(base + "/", args.seconds, 4, lua(floor_dir / "b.lua", "/v1/verify/batch", batch, token))
                memory = memory_mib(gateway.pid)
            results.append((label, verify, batched, memory, open_loop))
        floors.append(measure_floor())
    for number, (label, verify, batched, memory, open_loop) in enumerate(results):
        before, after = floors[number], floors[number + 1]
        floor_rps = (before["rps"] + after["rps"]) / 2
        print(f"[{label}]")
        print(f"floor (constant JSON, same server) before and after: {before['rps']:,.0f} and {after['rps']:,.0f} "
              f"req/s, p99 {before['p99']:.2f} and {after['p99']:.2f} ms")  # fmt: skip
        print(f"verify (auth + projection + durable ledger, {total:,} people): {verify['rps']:,.0f} req/s "
              f"= {verify['rps'] / floor_rps:.0%} of the floor, p50 {verify['p50']:.2f} ms, "
              f"p99 {verify['p99']:.2f} ms, non-2xx {verify['non2xx']:.0f}")  # fmt: skip
        floor_cpu = (before["cpu_us"] + after["cpu_us"]) / 2
        print(f"server CPU per request: floor {floor_cpu:.0f} us, verify {verify['cpu_us']:.0f} us "
              f"(floor/verify = {floor_cpu / verify['cpu_us']:.0%})")  # fmt: skip
        print(f"batch of 1,000: {batched['rps']:,.1f} req/s = {batched['rps'] * 1000:,.0f} verifications/s, "
              f"p50 {batched['p50']:.1f} ms, non-2xx {batched['non2xx']:.0f}")  # fmt: skip
        print(f"gateway memory (granian + 2 workers) after the load: {memory[0]:,.0f} MiB RSS, "
              f"{memory[1]:,.0f} MiB private")  # fmt: skip
        if open_loop:
            print(open_loop)


if __name__ == "__main__":
    main()
