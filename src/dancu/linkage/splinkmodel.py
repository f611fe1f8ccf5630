"""The Splink model of dancu's reconciliation: blocking rules and comparisons, EM training, and prediction on DuckDB
or Spark with the same settings (Splink 5: ``Linker``, ``DuckDBAPI`` / ``SparkAPI``, ``SettingsCreator``).

Blocking (which pairs are compared at all): the folded name's words in any order; given name, birth year and sex;
the full date of birth; given name and province. Comparisons: the diacritics-free name (exact, same words in another
order, Jaro-Winkler), given and family names, the date of birth (exact, day and month swapped, year only, same
year, a year apart), sex, province. The trained model is a JSON document kept with each job, so a job run again
gives the same answers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

#: The columns both sides give Splink.
COLUMNS = (
    "uid",
    "name_folded",
    "name_sorted",
    "family_f",
    "middle_f",
    "given_f",
    "birth_year",
    "birth_month",
    "birth_day",
    "sex",
    "province",
)

log = logging.getLogger(__name__)

_LEFT = "dancu_records"
_TRAINING = "dancu_training"
_RIGHT = "dancu_registry"


def settings(prior: float, *, trained: list[tuple[list[Any], list[Any]]] | None = None) -> Any:
    """A new, untrained model (``prior``: the chance that a record and a registry person picked at random are the
    same person, about one over the registry's size)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    # One comparison for the whole name and its parts: separate comparisons of family, middle and given names would
    # count the same evidence several times (they are not independent given a match).
    given = "given_f_l = given_f_r"
    name = cl.CustomComparison(
        output_column_name="full_name",
        comparison_levels=[
            cll.NullLevel("name_folded"),
            cll.ExactMatchLevel("name_folded").configure(m_probability=0.6),
            cll.ExactMatchLevel("name_sorted").configure(label_for_charts="same words, other order", m_probability=0.1),
            cll.JaroWinklerLevel("name_folded", 0.95).configure(m_probability=0.15),
            cll.CustomLevel(f"{given} AND family_f_l = family_f_r", "same family and given names").configure(
                m_probability=0.05
            ),
            cll.JaroWinklerLevel("name_sorted", 0.92).configure(m_probability=0.04),
            cll.CustomLevel(given, "same given name").configure(m_probability=0.02),
            cll.JaroWinklerLevel("name_folded", 0.85).configure(m_probability=0.02),
            cll.ElseLevel().configure(m_probability=0.02),
        ],
    )
    same_year = "birth_year_l = birth_year_r"
    birth = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.CustomLevel("birth_year_l IS NULL OR birth_year_r IS NULL").configure(is_null_level=True),
            cll.CustomLevel(
                f"{same_year} AND birth_month_l = birth_month_r AND birth_day_l = birth_day_r", "exact"
            ).configure(m_probability=0.7),
            cll.CustomLevel(
                f"{same_year} AND birth_month_l = birth_day_r AND birth_day_l = birth_month_r",
                "day and month swapped",
            ).configure(m_probability=0.08),
            cll.CustomLevel(f"{same_year} AND (birth_month_l IS NULL OR birth_month_r IS NULL)", "year only").configure(
                m_probability=0.08
            ),
            cll.CustomLevel(same_year, "same year").configure(m_probability=0.06),
            cll.CustomLevel("abs(birth_year_l - birth_year_r) <= 1", "a year apart").configure(m_probability=0.04),
            cll.ElseLevel().configure(m_probability=0.04),
        ],
    )
    comparisons = [name, birth, cl.ExactMatch("sex"), cl.ExactMatch("province")]
    if trained is not None:
        for comparison, (m, u) in zip(comparisons, trained, strict=True):
            comparison.configure(m_probabilities=m, u_probabilities=u)
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="uid",
        probability_two_random_records_match=prior,
        blocking_rules_to_generate_predictions=[
            block_on("name_sorted"),
            block_on("given_f", "birth_year", "sex"),
            block_on("birth_year", "birth_month", "birth_day"),
            block_on("given_f", "family_f", "province"),
        ],
        comparisons=comparisons,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def _duckdb_linker(con: Any, model: Any) -> Any:
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(con.cursor())
    left = db_api.register(_LEFT, dataset_display_name=_LEFT)
    right = db_api.register(_RIGHT, dataset_display_name=_RIGHT)
    return Linker([left, right], model, log_level=logging.WARNING)


def train(con: Any, registry_size: int, *, seed: int = 18) -> dict[str, Any]:
    """Train a model against the registry: u by random sampling of record x registry pairs; m from the pairs the
    deterministic stage proved (the PIN and the name or date of birth agree: labels that cost nothing), so the
    model learns how often names are typed without diacritics, parts swapped, dates swapped or given as a year in
    this system's own records. Needs tables ``dancu_training`` (every valid record, Splink's columns),
    ``dancu_registry`` and ``dancu_labels`` (rid, pid of the proved pairs) in ``con``. Returns the model as a dict."""
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(con.cursor())
    left = db_api.register(_TRAINING, dataset_display_name=_TRAINING)
    right = db_api.register(_RIGHT, dataset_display_name=_RIGHT)
    linker = Linker([left, right], settings(1.0 / max(registry_size, 1)), log_level=logging.WARNING)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    con.execute(
        f"""CREATE OR REPLACE TABLE dancu_label_pairs AS
            SELECT '{_TRAINING}' AS source_dataset_l, rid AS uid_l, '{_RIGHT}' AS source_dataset_r,
                   pid AS uid_r FROM dancu_labels"""
    )
    if con.execute("SELECT count(*) FROM dancu_label_pairs").fetchall()[0][0]:
        linker.training.estimate_m_from_pairwise_labels(db_api.register("dancu_label_pairs"))
    model: dict[str, Any] = linker.misc.save_model_to_json()
    return model


def _orient(pairs: Any) -> str:
    """SQL giving (rid, pid, probability) from Splink's pairs, whichever side Splink put each source on."""
    return (
        f"SELECT CASE WHEN source_dataset_l = '{_LEFT}' THEN uid_l ELSE uid_r END::BIGINT AS rid, "
        f"CASE WHEN source_dataset_l = '{_LEFT}' THEN uid_r ELSE uid_l END::BIGINT AS pid, "
        f"match_probability AS probability FROM {pairs}"
    )


def predict_duckdb(con: Any, model: dict[str, Any], threshold: float) -> int:
    """Score the blocked pairs of ``dancu_records`` x ``dancu_registry`` on DuckDB into table ``linked_pairs``
    (rid, pid, probability) at or above ``threshold``; returns the number of pairs kept."""
    linker = _duckdb_linker(con, model)
    pairs = linker.inference.predict(threshold_match_probability=threshold)
    con.execute(f"CREATE OR REPLACE TABLE linked_pairs AS {_orient(pairs.physical_name)}")
    result = con.execute("SELECT count(*) FROM linked_pairs").fetchall()[0]
    return int(result[0]) if result else 0


def spark_session(master: str, checkpoints: Path) -> Any:
    """A Spark session for Splink (its SQL functions need the JVM; Java 17 is on the machines); Splink checkpoints
    intermediate tables under ``checkpoints`` (on a cluster: a shared path, e.g. HDFS or S3)."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    spark = (
        SparkSession.builder.master(master)
        .appName("dancu-linkage")
        .config("spark.jars", similarity_jar_location())  # Splink's string similarity functions (Jaro-Winkler)
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    spark.sparkContext.setCheckpointDir(str(checkpoints))
    return spark


def rebuilt(model: dict[str, Any]) -> Any:
    """The saved model rebuilt for any backend: the same comparisons written by :func:`settings` (each backend's
    SQL made by Splink, as a saved model's SQL is in the dialect it was trained on), with the saved probabilities."""
    trained = []
    for comparison in model["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        trained.append(([lv.get("m_probability") for lv in levels], [lv.get("u_probability") for lv in levels]))
    return settings(float(model["probability_two_random_records_match"]), trained=trained)


def predict_spark(
    spark: Any, records: Path, registry: Path, model: dict[str, Any], threshold: float, out: Path
) -> None:
    """The same prediction on Spark: both sides read from Parquet, the pairs written to Parquet ``out``."""
    from splink import Linker, SparkAPI

    db_api = SparkAPI(spark_session=spark)
    left = db_api.register(spark.read.parquet(str(records)).select(*COLUMNS), dataset_display_name=_LEFT)
    right = db_api.register(spark.read.parquet(str(registry)).select(*COLUMNS), dataset_display_name=_RIGHT)
    linker = Linker([left, right], rebuilt(model), log_level=logging.WARNING)
    pairs = linker.inference.predict(threshold_match_probability=threshold).as_spark_dataframe()
    pairs.createOrReplaceTempView("dancu_pairs")
    spark.sql(_orient("dancu_pairs")).write.mode("overwrite").parquet(str(out))
