"""Linkage settings with their defaults (each can be set in Django settings or the environment)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings


def _get(name: str, default: object) -> object:
    return getattr(settings, name, os.environ.get(f"DANCU_{name}", default))


def linkage_dir() -> Path:
    """Where jobs keep their files (input, intermediate tables, results) and the registry export lives."""
    return Path(str(_get("LINKAGE_DIR", Path(settings.VAR_DIR) / "linkage")))


def engine() -> str:
    """``duckdb`` (one machine) or ``spark`` (the probabilistic stage on Spark, ``LINKAGE_SPARK_MASTER``)."""
    return str(_get("LINKAGE_ENGINE", "duckdb"))


def spark_master() -> str:
    return str(_get("LINKAGE_SPARK_MASTER", "local[2]"))


def result_days() -> int:
    """How long results are kept after a job is done."""
    return int(str(_get("LINKAGE_RESULT_DAYS", 30)))


def max_file_bytes() -> int:
    return int(str(_get("LINKAGE_MAX_FILE_BYTES", 4 * 1024**3)))


def max_invalid_share() -> float:
    """Above this share of invalid records the whole file is refused (``too_many_invalid_records``)."""
    return float(str(_get("LINKAGE_MAX_INVALID_SHARE", 0.05)))


def match_probability() -> float:
    """A probabilistic match at or above this probability is a match; between ``review_probability`` and it, the
    record is ambiguous."""
    return float(str(_get("LINKAGE_MATCH_PROBABILITY", 0.9)))


def review_probability() -> float:
    return float(str(_get("LINKAGE_REVIEW_PROBABILITY", 0.5)))


def ambiguity_odds() -> float:
    """How many times likelier (in odds) the best person must be than the next one for a match."""
    return float(str(_get("LINKAGE_AMBIGUITY_ODDS", 10)))


def subscription_limit() -> int:
    """Telecom: more numbers than this per person are reported (Decree 163/2024/NĐ-CP art. 17 asks extra checks
    beyond three; the registry default follows the operator's own rule)."""
    return int(str(_get("LINKAGE_SUBSCRIPTION_LIMIT", 3)))


def stale_seconds() -> int:
    """A running job whose worker has not beaten for this long is taken over (resumed) by another worker."""
    return int(str(_get("LINKAGE_STALE_SECONDS", 300)))


def memory_limit() -> str:
    return str(_get("LINKAGE_DUCKDB_MEMORY", "3GB"))


def keep_work() -> bool:
    """Keep a done job's DuckDB working file (it holds a copy of the registry side): for benchmarks only."""
    return str(_get("LINKAGE_KEEP_WORK", "")).lower() in ("1", "true", "yes")
