"""The matching stages of one job, on DuckDB files in the job's directory (memory bounded, spills to disk).

1. deterministic: records whose 12-digit PIN is in the registry and agrees with the name or the date of birth are
   that person (the PIN normalised as verification does, :func:`dancu.core.pin.normalise_pin`);
2. probabilistic: the rest (PIN missing, old 9-digit, malformed, unknown, or belonging to someone else) linked with
   Splink against the whole registry; a record is matched when its best pair reaches ``LINKAGE_MATCH_PROBABILITY``
   and no other person comes near, ambiguous when it does, not found otherwise;
3. answers: per record a result code, which fields differ (never the registry's values), the registry's PIN only
   where the grant allows it, the death date where the grant's status flag allows it, and the sector's flags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dancu.linkage import conf, splinkmodel

REGISTRY_VIEW = """
CREATE OR REPLACE VIEW registry AS
SELECT pid, pin, lower(full_name) AS full_name, name_folded,
       array_to_string(list_sort(string_split(name_folded, ' ')), ' ') AS name_sorted,
       string_split(name_folded, ' ')[1] AS family_f,
       nullif(array_to_string(string_split(name_folded, ' ')[2:-2], ' '), '') AS middle_f,
       string_split(name_folded, ' ')[-1] AS given_f,
       birth_date, year(birth_date)::INTEGER AS birth_year,
       CASE WHEN birth_precision = 'year' THEN NULL ELSE month(birth_date)::INTEGER END AS birth_month,
       CASE WHEN birth_precision = 'day' THEN day(birth_date)::INTEGER END AS birth_day,
       sex, status, death_date, province
FROM read_parquet('{path}')
"""


@dataclass(frozen=True)
class Permissions:
    """What the grant lets the answers carry."""

    correct_pin: bool
    status: bool


def connect(workdir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(workdir / "work.duckdb"))
    (workdir / "tmp").mkdir(exist_ok=True)
    con.execute(f"SET memory_limit = '{conf.memory_limit()}'")
    con.execute(f"SET temp_directory = '{workdir / 'tmp'}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """One count (every result fetched to its end: DuckDB 2 keeps an unfinished result on the connection)."""
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def attach(con: duckdb.DuckDBPyConnection, records: Path, registry: Path) -> None:
    con.execute(f"CREATE OR REPLACE VIEW records AS SELECT * FROM read_parquet('{records}')")
    con.execute(REGISTRY_VIEW.format(path=registry))


#: Which fields of a record differ from the registry's (the same test in both stages).
_DIFFERENCES = """
list_filter([
  CASE WHEN r.full_name IS DISTINCT FROM g.full_name THEN 'full_name' END,
  CASE WHEN r.birth_year IS DISTINCT FROM g.birth_year
         OR (r.birth_month IS NOT NULL AND g.birth_month IS NOT NULL AND r.birth_month <> g.birth_month)
         OR (r.birth_day IS NOT NULL AND g.birth_day IS NOT NULL AND r.birth_day <> g.birth_day)
         OR (r.birth_date IS NULL AND r.birth_month IS NOT NULL) THEN 'birth_date' END,
  CASE WHEN r.sex IS NOT NULL AND r.sex <> g.sex THEN 'sex' END
], lambda x: x IS NOT NULL)
"""


def deterministic(con: duckdb.DuckDBPyConnection) -> int:
    """Table ``exact``: records matched by PIN (the PIN agrees with the name or the date of birth). Returns how
    many."""
    con.execute(
        f"""
        CREATE OR REPLACE TABLE exact AS
        SELECT r.rid, g.pid, {_DIFFERENCES} AS differences
        FROM records r JOIN registry g ON r.pin = g.pin
        WHERE r.problem IS NULL
          AND (r.name_folded = g.name_folded OR r.name_sorted = g.name_sorted
               OR (r.birth_year = g.birth_year AND r.birth_month IS NOT DISTINCT FROM g.birth_month
                   AND r.birth_day IS NOT DISTINCT FROM g.birth_day))
        """
    )
    return scalar(con, "SELECT count(*) FROM exact")


def prepare_probabilistic(con: duckdb.DuckDBPyConnection, workdir: Path, *, for_spark: bool = False) -> tuple[int, int]:
    """Tables ``dancu_records`` (records left by the first stage) and ``dancu_registry`` with Splink's columns (also
    written to Parquet ``for_spark``). Returns (records left, registry size)."""
    columns = ", ".join(c for c in splinkmodel.COLUMNS if c != "uid")
    con.execute(
        f"""CREATE OR REPLACE TABLE dancu_records AS SELECT rid AS uid, {columns} FROM records
            WHERE problem IS NULL AND rid NOT IN (SELECT rid FROM exact)"""
    )
    con.execute(f"CREATE OR REPLACE TABLE dancu_registry AS SELECT pid AS uid, {columns} FROM registry")
    for table in ("dancu_records", "dancu_registry") if for_spark else ():
        con.execute(f"COPY {table} TO '{workdir / (table + '.parquet')}' (FORMAT parquet)")
    left = con.execute("SELECT count(*) FROM dancu_records").fetchall()[0]
    right = con.execute("SELECT count(*) FROM dancu_registry").fetchall()[0]
    return (int(left[0]) if left else 0), (int(right[0]) if right else 0)


def decide(con: duckdb.DuckDBPyConnection) -> None:
    """Table ``linked``: per record of the second stage, its best person, the probability, and whether it is
    ambiguous: the best is below the match probability, or another person above the review probability is not at
    least ``LINKAGE_AMBIGUITY_ODDS`` times less likely than the best (in odds)."""
    match = conf.match_probability()
    review = conf.review_probability()
    odds = conf.ambiguity_odds()
    con.execute(
        f"""
        CREATE OR REPLACE TABLE linked AS
        WITH ranked AS (
          SELECT rid, pid, probability,
                 row_number() OVER (PARTITION BY rid ORDER BY probability DESC, pid) AS rank
          FROM linked_pairs WHERE probability >= {review}
        )
        SELECT b.rid, b.pid, b.probability,
               (b.probability < {match}
                OR (s.pid IS NOT NULL
                    AND b.probability / greatest(1 - b.probability, 1e-300)
                        < {odds} * s.probability / greatest(1 - s.probability, 1e-300))) AS ambiguous
        FROM ranked b LEFT JOIN ranked s ON s.rid = b.rid AND s.rank = 2
        WHERE b.rank = 1
        """
    )


def answers(con: duckdb.DuckDBPyConnection, sector: str, allowed: Permissions) -> None:
    """Table ``answers``: one row per record, in file order, with what may leave."""
    limit = conf.subscription_limit()
    con.execute(
        f"""
        CREATE OR REPLACE TABLE matched AS
        SELECT rid, pid, differences, NULL::DOUBLE AS probability, 'pin' AS stage FROM exact
        UNION ALL
        SELECT l.rid, l.pid, {_DIFFERENCES} AS differences, l.probability, 'linkage' AS stage
        FROM linked l JOIN records r USING (rid) JOIN registry g ON g.pid = l.pid
        WHERE NOT l.ambiguous
        """
    )
    per_person = "count(*) OVER (PARTITION BY m.pid)"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE answers AS
        SELECT r.rid, r.line, r.record_id,
          CASE
            WHEN r.problem IS NOT NULL THEN 'invalid'
            WHEN m.pid IS NOT NULL AND g.status = 'deceased' AND {allowed.status} THEN 'deceased'
            WHEN m.stage = 'linkage' THEN 'pin_corrected'
            WHEN m.pid IS NOT NULL AND len(m.differences) > 0 THEN 'confirmed_with_differences'
            WHEN m.pid IS NOT NULL THEN 'confirmed'
            WHEN l.ambiguous THEN 'ambiguous'
            ELSE 'not_found'
          END AS result,
          r.problem AS problem,
          CASE WHEN m.pid IS NOT NULL THEN array_to_string(m.differences, ' ') END AS differences,
          CASE WHEN m.stage = 'linkage' AND {allowed.correct_pin} THEN g.pin END AS registry_pin,
          round(coalesce(m.probability, l.probability), 4) AS match_probability,
          CASE WHEN g.status = 'deceased' AND {allowed.status} THEN g.death_date END AS death_date,
          array_to_string(list_filter([
            CASE WHEN '{sector}' = 'telecom' AND m.pid IS NOT NULL AND {per_person} > {limit}
                 THEN 'over_subscription_limit' END,
            CASE WHEN '{sector}' = 'telecom' AND g.status = 'deceased' AND {allowed.status}
                 THEN 'registered_to_deceased' END,
            CASE WHEN '{sector}' = 'bank' AND g.status = 'deceased' AND {allowed.status}
                 THEN 'deceased_customer' END,
            CASE WHEN '{sector}' = 'tax' AND m.pid IS NOT NULL AND r.tax_code IS DISTINCT FROM g.pin
                 THEN 'pin_is_tax_code' END
          ], lambda x: x IS NOT NULL), ' ') AS flags,
          m.pid AS pid, g.pin AS pin
        FROM records r
        LEFT JOIN matched m USING (rid)
        LEFT JOIN linked l ON l.rid = r.rid
        LEFT JOIN registry g ON g.pid = m.pid
        """
    )


def summary(con: duckdb.DuckDBPyConnection, sector: str) -> dict[str, Any]:
    """Counts for the job's summary: per result, per flag, persons, persons over the subscription limit."""
    results = dict(con.execute("SELECT result, count(*) FROM answers GROUP BY result ORDER BY result").fetchall())
    flags = dict(
        con.execute(
            "SELECT flag, count(*) FROM (SELECT unnest(string_split(flags, ' ')) AS flag FROM answers "
            "WHERE flags <> '') GROUP BY flag ORDER BY flag"
        ).fetchall()
    )
    persons = con.execute("SELECT count(DISTINCT pid) FROM answers WHERE pid IS NOT NULL").fetchall()[0]
    over = con.execute(
        "SELECT count(DISTINCT pid) FROM answers WHERE flags LIKE '%over_subscription_limit%'"
    ).fetchall()[0]
    out: dict[str, Any] = {"results": results, "flags": flags, "persons": int(persons[0]) if persons else 0}
    if sector == "telecom":
        out["persons_over_subscription_limit"] = int(over[0]) if over else 0
    return json.loads(json.dumps(out, default=str))


RESULT_COLUMNS = "line, record_id, result, problem, differences, registry_pin, match_probability, death_date, flags"


def write_results(con: duckdb.DuckDBPyConnection, path: Path, file_format: str) -> None:
    options = "FORMAT parquet" if file_format == "parquet" else "FORMAT csv, HEADER true"
    con.execute(f"COPY (SELECT {RESULT_COLUMNS} FROM answers ORDER BY rid) TO '{path}' ({options})")


def matched_pins(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The PINs of the persons the job matched (for the access ledger's batch entry), each once."""
    return [row[0] for row in con.execute("SELECT DISTINCT pin FROM answers WHERE pid IS NOT NULL").fetchall()]
