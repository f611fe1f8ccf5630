"""Instructions per call of the gateway, counted by valgrind's callgrind: a figure that does not move with the load
of a shared machine, for deciding whether a change to the application saves work.

Timed runs on this VM drift by up to 30% from one minute to the next, so a change worth a few percent cannot be seen
in requests/s. Callgrind counts the instructions executed, and two runs of the same build agree to about 0.1%.
Each figure is the difference between a run of N calls and a run of none (start-up and warm-up cancel out), divided
by N. The application is driven in process (as bench/inproc_bench.py does, on uvloop, C concurrent callers, no HTTP
server): the HTTP server's own work, the same for every build and for the floor, is not counted.

Modes, each in its own pair of runs:
- ``floor``: Starlette answering a constant JSON (the floor of gateway_bench.py);
- ``verify``: POST /v1/verify, everything real (ledger writes in the writer thread, fsync'd);
- ``noledger``: the same, with ``AsyncLedger.append`` answering at once (what the handler costs without the ledger);
- ``nowrite``: the same, with the ledger's hand-off but ``Ledger.append_batch`` writing nothing (what the queue, the
  thread hand-off and the wake-ups cost). ``verify`` - ``nowrite`` is the write itself.

Caveats: callgrind runs the program ~50 times slower and one thread at a time, so work paced by the clock (the WAL
checkpointer each second, the projection's freshness check every 2 ms, the configuration refresh) runs more often per
call than at full speed, and GIL hand-offs and cache misses, which cost time but few instructions, are not seen.
Compare builds with each other, not these figures with timed ones. OpenSSL under valgrind may not use the CPU's SHA
instructions, so SHA-256 counts more than it costs.

Usage: .venv/bin/python bench/gateway_instructions.py --var-dir DIR [--calls 2000] [--concurrency 32]
       [--modes floor,verify,noledger,nowrite] [--compare-src OTHER/src ...]
(DIR made by synth_bench.py --keep and projected, as for gateway_bench.py; needs valgrind.)
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODES = ("floor", "verify", "noledger", "nowrite")
_RUNS = itertools.count()


def child(args: argparse.Namespace) -> None:
    """Run ``args.calls`` calls of one mode in this process (under callgrind)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import inproc_bench as ib

    if args.src:  # the build measured: ahead of the tree inproc_bench put on the path
        sys.path.insert(0, str(Path(args.src).resolve()))
    var = args.var_dir.resolve()
    os.environ.update({"DANCU_VAR_DIR": str(var), "DANCU_GATEWAY_ISSUER": "http://127.0.0.1:8001",
                       "DANCU_LEDGER": str(args.ledger)})  # fmt: skip
    import json

    import uvloop

    async def main() -> None:
        people = ib.sample_people(var, 5000)
        bodies = [json.dumps({"pin": p, "purpose": "kyc-banking", "full_name": n, "sex": s}, ensure_ascii=False)
                  .encode() for p, n, s in people]  # fmt: skip
        headers = [(b"authorization", f"Bearer {ib.token_for(var)}".encode()), (b"content-type", b"application/json")]
        shutdown: Any = None
        if args.mode == "floor":
            app = ib.floor_app()
        else:
            from dancu.gateway.app import create_app
            from dancu.gateway.config import GatewayConfig

            app = create_app(GatewayConfig.from_env())
            shutdown = await ib.lifespan(app)
            gateway = app.state.gateway
            if args.mode == "noledger":

                async def append(entry: Any) -> int:
                    return 0

                gateway.ledger.append = append
            elif args.mode == "nowrite":
                gateway.ledger.ledger.append_batch = lambda entries, **options: list(range(len(entries)))
        await ib.drive(app, "/v1/verify", bodies, headers, 300, args.concurrency)  # warm up, in both runs
        if args.calls:
            await ib.drive(app, "/v1/verify", bodies, headers, args.calls, args.concurrency)
        if shutdown is not None:
            await shutdown()

    uvloop.run(main())


def count(args: argparse.Namespace, mode: str, src: Path | None, calls: int, scratch: Path) -> int:
    """Instructions of one child run under callgrind."""
    ledger = scratch / f"ledger-{next(_RUNS)}.sqlite3"  # a new ledger for each run
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={scratch / 'callgrind.out'}",
        sys.executable, str(Path(__file__).resolve()), "--child", "--mode", mode, "--var-dir", str(args.var_dir),
        "--calls", str(calls), "--concurrency", str(args.concurrency), "--ledger", str(ledger),
    ]  # fmt: skip
    if src is not None:
        command += ["--src", str(src)]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    out = run.stderr
    if run.returncode != 0:
        raise SystemExit(f"the {mode} run failed (exit {run.returncode}):\n{out[-3000:]}")
    found = re.search(r"Collected : (\d+)", out)
    if not found:
        raise SystemExit(f"callgrind printed no total:\n{out[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var-dir", type=Path, required=True)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--compare-src", type=Path, action="append", default=[])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="verify", help=argparse.SUPPRESS)
    parser.add_argument("--src", default="", help=argparse.SUPPRESS)
    parser.add_argument("--ledger", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if not (args.var_dir / "dancu.sqlite3").is_file() or not (args.var_dir / "gateway-projection.sqlite3").is_file():
        raise SystemExit(f"{args.var_dir} has no projected registry: make one with bench/synth_bench.py --keep DIR, "
                         "then run bench/gateway_bench.py --var-dir DIR once (it projects it)")  # fmt: skip
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed (Debian: apt-get install valgrind)")
    modes = [mode for mode in args.modes.split(",") if mode]
    unknown = set(modes) - set(MODES)
    if unknown:
        raise SystemExit(f"unknown modes {sorted(unknown)}; choose from {', '.join(MODES)}")
    builds: list[tuple[str, Path | None]] = [*((str(path), path) for path in args.compare_src), ("this tree", None)]
    for path in args.compare_src:  # a tree from before the C was removed, from `git archive`: not built
        for module, what in (("_hmac", "its HMACs run"), ("_ledger", "its ledger writes")):
            if (
                not list((path / "dancu" / "gateway").glob(f"{module}*.so"))
                and (path / "dancu" / "gateway" / f"{module}.c").exists()
            ):
                print(f"note: {path} has no compiled {module} module (copy src/dancu/gateway/{module}*.so into it): "
                      f"{what} in pure Python")  # fmt: skip
    print(f"instructions per call (callgrind; {args.calls} calls minus none, concurrency {args.concurrency})")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for mode in modes:
            for label, src in builds if mode != "floor" else [("", None)]:
                per_call = count(args, mode, src, args.calls, scratch) - count(args, mode, src, 0, scratch)
                print(f"  {mode:9s} {label:30s} {per_call / args.calls:10,.0f}", flush=True)


if __name__ == "__main__":
    main()
