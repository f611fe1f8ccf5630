"""Precision and recall of a reconciliation job's answers against the generator's truth (used by linkage_bench.py
and on its own: ``linkage_eval.py DIRTY.csv TRUTH.csv RESULTS.csv``).

A record's predicted person is the registry's PIN where the job gave one (``pin_corrected``, or ``deceased`` found
by linkage), else the record's own PIN where the job confirmed it; the truth is the generator's. Stage: the
deterministic stage answers records whose PIN was right; the probabilistic stage those with a PIN fault."""

from __future__ import annotations

import sys

import duckdb

MATCHED = "('confirmed', 'confirmed_with_differences', 'pin_corrected', 'deceased')"


def evaluate(dirty: str, truth: str, results: str) -> list[tuple]:
    con = duckdb.connect()
    con.execute(
        f"""
        CREATE TABLE j AS
        SELECT t.kind, coalesce(nullif(t.pin_fault, ''), 'pin_ok') AS fault, nullif(t.pin, '') AS true_pin,
               r.result,
               CASE WHEN r.result IN {MATCHED} THEN coalesce(nullif(r.registry_pin, ''), d.so_dinh_danh) END AS got
        FROM read_csv('{truth}', all_varchar=true) t
        JOIN read_csv('{dirty}', all_varchar=true) d USING (ma_ban_ghi)
        JOIN read_csv('{results}', all_varchar=true) r ON r.record_id = t.ma_ban_ghi
        """
    )
    return con.execute(
        """
        SELECT CASE WHEN fault = 'pin_ok' AND kind <> 'not_in_registry' THEN 'deterministic'
                    ELSE 'probabilistic' END AS stage,
               kind, count(*) AS records,
               count(*) FILTER (WHERE got IS NOT NULL) AS answered,
               count(*) FILTER (WHERE got IS NOT NULL AND got = true_pin) AS right,
               count(*) FILTER (WHERE result = 'ambiguous') AS ambiguous
        FROM j GROUP BY ALL ORDER BY 1, 2
        """
    ).fetchall()


def report(rows: list[tuple]) -> str:
    lines = [
        "| stage | kind | records | answered | right | precision | recall | ambiguous |",
        "|---|---|---|---|---|---|---|---|",
    ]
    totals: dict[str, list[int]] = {}
    for stage, kind, records, answered, right, ambiguous in rows:
        positives = 0 if kind == "not_in_registry" else records
        precision = right / answered if answered else 1.0
        recall = right / positives if positives else float("nan")
        lines.append(
            f"| {stage} | {kind} | {records} | {answered} | {right} | {precision:.4f} | {recall:.4f} | {ambiguous} |"
        )
        t = totals.setdefault(stage, [0, 0, 0])
        t[0] += answered
        t[1] += right
        t[2] += positives
    for stage, (answered, right, positives) in totals.items():
        lines.append(
            f"| **{stage}** | all | | {answered} | {right} | **{right / max(answered, 1):.4f}** | "
            f"**{right / max(positives, 1):.4f}** | |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(evaluate(*sys.argv[1:4])))
