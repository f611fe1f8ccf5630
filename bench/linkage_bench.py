"""Bulk reconciliation (issue 18): a dirty telecom file of N records against the registry in --var-dir (made with
``dancu synth``), the whole job timed by stage, the peak memory of the worker process, the deterministic stage's
records/s, the precision and recall of each stage per corruption kind, and the floor: a plain Splink prediction of
the same pairs with the same model outside dancu (DuckDBAPI + Linker.inference.predict on the same two tables).

    DANCU_VAR_DIR=var/bench1m dancu synth --people 1000000 --seed 1 --as-of 2026-11-23
    .venv/bin/python bench/linkage_bench.py --var-dir var/bench1m --records 200000

The first job trains the model (saved); the second, timed, is the job as run in production with saved parameters.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def dancu(var_dir: Path, *args: str, timed: bool = False) -> tuple[str, float, int]:
    env = {**os.environ, "DANCU_VAR_DIR": str(var_dir), "DANCU_DEMO": "1", "DANCU_LINKAGE_KEEP_WORK": "1"}
    command = [str(BIN / "dancu"), *args]
    if timed:
        command = ["/usr/bin/time", "-v", *command]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return done.stdout, seconds, int(rss.group(1)) if rss else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var-dir", type=Path, required=True)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    var = args.var_dir.resolve()
    out = var / "linkage"
    dancu(var, "linkage", "demo", "--records", "10")
    dirty, truth = out / f"bench-{args.records}.csv", out / f"bench-{args.records}-truth.csv"
    if not dirty.exists():
        _, seconds, _ = dancu(var, "linkage", "generate", str(dirty), "--truth", str(truth),
                              "--records", str(args.records), "--seed", str(args.seed))  # fmt: skip
        print(f"generated {args.records:,} records in {seconds:.1f} s")
    submit = ["linkage", "submit", str(dirty), "--system", "demo-telecom", "--purpose", "subscriber-reconciliation",
              "--sector", "telecom"]  # fmt: skip
    jobs = []
    for attempt in ("first (trains the model if none is saved)", "timed (saved model)"):
        stdout, _, _ = dancu(var, *submit)
        job = stdout.split()[1]
        _, seconds, rss = dancu(var, "linkage", "run", "--once", timed=True)
        status, _, _ = dancu(var, "linkage", "status", job)
        summary = json.loads(status.splitlines()[1])
        jobs.append((job, seconds, rss, summary))
        print(f"{attempt}: job {job} {seconds:.1f} s wall, peak RSS {rss / 1024:.0f} MiB, stages {summary['seconds']}")
    job, seconds, rss, summary = jobs[-1]
    print(json.dumps(summary["results"]))
    work = out / job / "work.duckdb"
    floor_and_deterministic(work, out / job / "records.parquet", args.records)
    sys.path.insert(0, str(ROOT / "bench"))
    from linkage_eval import evaluate, report

    print(report(evaluate(str(dirty), str(truth), str(out / job / "results.csv"))))


def floor_and_deterministic(work: Path, records: Path, count: int) -> None:
    """The deterministic stage again on the job's tables (records/s), and the floor: plain Splink on the same two
    tables with the same model."""
    import logging

    import duckdb
    from splink import DuckDBAPI, Linker

    source = duckdb.connect(str(work), read_only=True)
    model = None
    floor_dir = work.parent / "floor"
    floor_dir.mkdir(exist_ok=True)
    for table in ("dancu_records", "dancu_registry"):
        source.execute(f"COPY {table} TO '{floor_dir / table}.parquet' (FORMAT parquet)")
    source.close()
    registry = next((work.parent.parent / "registry").glob("registry-*.parquet"))
    model = json.loads((work.parent.parent / "registry" / "model.json").read_text())["model"]
    con = duckdb.connect(str(floor_dir / "deterministic.duckdb"))
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")
    import django

    django.setup()
    from dancu.linkage import pipeline

    pipeline.attach(con, records, registry)
    con.execute("CREATE TABLE registry_t AS SELECT * FROM registry")  # the view's folding done once, as a job's
    con.execute("CREATE OR REPLACE VIEW registry AS SELECT * FROM registry_t")
    con.execute("CREATE TABLE records_t AS SELECT * FROM records")
    con.execute("CREATE OR REPLACE VIEW records AS SELECT * FROM records_t")
    started = time.perf_counter()
    exact = pipeline.deterministic(con)
    seconds = time.perf_counter() - started
    print(
        f"deterministic stage: {count:,} records, {exact:,} matched, {seconds:.2f} s, {count / seconds:,.0f} records/s"
    )
    con.close()
    floor = duckdb.connect(str(floor_dir / "floor.duckdb"))
    for table in ("dancu_records", "dancu_registry"):
        floor.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{floor_dir / table}.parquet')")
    db_api = DuckDBAPI(floor)
    left = db_api.register("dancu_records", dataset_display_name="dancu_records")
    right = db_api.register("dancu_registry", dataset_display_name="dancu_registry")
    started = time.perf_counter()
    linker = Linker([left, right], model, log_level=logging.WARNING)
    pairs = linker.inference.predict(threshold_match_probability=0.5)
    kept = floor.execute(f"SELECT count(*) FROM {pairs.physical_name}").fetchall()[0][0]
    print(f"floor (plain Splink predict, same model and tables): {time.perf_counter() - started:.1f} s, {kept:,} pairs")


if __name__ == "__main__":
    main()
