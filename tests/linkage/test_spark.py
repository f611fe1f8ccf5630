"""The same job on local Spark finds the same matches as on DuckDB (issue 18 part 5). Needs pyspark (installed by
``make install``, the ``spark`` extra) and Java 17; it starts a local Spark of two threads (about 20 s)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest

from dancu.linkage import services
from dancu.linkage.choices import JobStatus
from tests.linkage.test_services import _submit, dirty_file, linkage_dir, telecom  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.spark]


def _answers(job: Any) -> dict[str, tuple[str, str]]:
    path = services.results_path(job)
    assert path is not None
    with path.open(encoding="utf-8") as f:
        return {row["record_id"]: (row["result"], row["registry_pin"]) for row in csv.DictReader(f)}


def test_local_spark_gets_the_same_matches_as_duckdb(
    settings: Any,
    telecom: Any,  # noqa: F811
    dirty_file: tuple[Path, Path],  # noqa: F811
) -> None:
    if shutil.which("java") is None:
        pytest.skip("needs Java 17 for local Spark")
    system, purpose = telecom
    on_duckdb = services.run(services.claim(_submit(system, purpose, dirty_file[0]).id))  # type: ignore[arg-type]
    settings.LINKAGE_ENGINE = "spark"
    settings.LINKAGE_SPARK_MASTER = "local[2]"
    job = _submit(system, purpose, dirty_file[0])
    assert job.engine == "spark"
    on_spark = services.run(services.claim(job.id))  # type: ignore[arg-type]
    assert on_duckdb.status == on_spark.status == JobStatus.DONE
    assert on_spark.model == on_duckdb.model, "the same saved model"
    duckdb_answers, spark_answers = _answers(on_duckdb), _answers(on_spark)
    assert sum(result == "pin_corrected" for result, _pin in spark_answers.values()) > 10
    assert spark_answers == duckdb_answers
