"""Benchmark: `dancu synth` of N people into a fresh SQLite file and a fresh PostgreSQL database.

Usage: .venv/bin/python bench/synth_bench.py [--people 1000000] [--only sqlite|postgres] [--keep DIR]
Prints wall time, people/s, events and the peak resident memory of the synth process.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DANCU = str(ROOT / ".venv" / "bin" / "dancu")
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def run(env: dict[str, str], *args: str) -> tuple[float, int, str]:
    """Run a dancu command; return (seconds, peak RSS in MiB of that child, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([DANCU, *args], env=env, check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) // 1024, done.stdout.strip()


def fresh_postgres(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def bench(target: str, people: int, var_dir: Path) -> None:
    env = dict(os.environ, DANCU_VAR_DIR=str(var_dir))
    if target == "postgres":
        env["DATABASE_URL"] = fresh_postgres("dancu_bench")
    run(env, "migrate", "-v0")
    run(env, "load_geo")
    seconds, peak, out = run(env, "synth", "--people", str(people), "--seed", "7", "--no-progress")
    print(f"{target}: {people:,} people in {seconds:.1f} s ({people / seconds:,.0f} people/s), peak RSS {peak} MiB")
    print(f"  {out}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--keep", type=Path, help="Keep the SQLite database in this directory (for the other benches).")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for target in ("sqlite", "postgres"):
        if args.only and target != args.only:
            continue
        if target == "sqlite" and args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            bench(target, args.people, args.keep)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                bench(target, args.people, Path(tmp))


if __name__ == "__main__":
    main()
