"""A submitted file is read into the record table, or refused with a stable code and the line; values never appear
in a problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dancu.linkage.reading import LinkageError, check_mapping, parse_date, read_file

MAPPING = {"record_id": "id", "pin": "cccd", "full_name": "ho_ten", "birth_date": "ngay_sinh", "sex": "gioi_tinh"}
HEADER = "id,cccd,ho_ten,ngay_sinh,gioi_tinh\n"


def _read(tmp_path: Path, body: bytes, mapping: dict[str, str] = MAPPING) -> tuple[object, pa.Table]:
    source = tmp_path / "in.csv"
    source.write_bytes(body)
    out = tmp_path / "records.parquet"
    report = read_file(source, "csv", mapping, "telecom", out)
    return report, pq.read_table(out)


def _refused(tmp_path: Path, body: bytes) -> LinkageError:
    with pytest.raises(LinkageError) as caught:
        _read(tmp_path, body)
    assert not (tmp_path / "records.parquet").exists(), "nothing is published from a refused file"
    return caught.value


def test_three_date_formats_pins_and_names_are_normalised(tmp_path: Path) -> None:
    body = (
        HEADER
        + "a1,001 090 000 001,  NGUYỄN  Văn An ,17/05/1990,Nam\n"
        + "a2,123456789,Trần Thị Bình,1990-05-17,F\n"
        + "a3,,Lê Văn Cường,1990,M\n"
    ).encode()
    report, table = _read(tmp_path, body)
    rows = table.to_pylist()
    assert report.rows == 3 and report.invalid == 0  # type: ignore[attr-defined]
    assert [r["pin_kind"] for r in rows] == ["pin", "old_id", "missing"]
    assert rows[0]["pin"] == "001090000001"
    assert rows[0]["name_folded"] == "nguyen van an" and rows[0]["given_f"] == "an"
    assert rows[0]["name_sorted"] == "an nguyen van" and rows[0]["middle_f"] == "van"
    assert rows[0]["birth_date"] == rows[1]["birth_date"] == dt.date(1990, 5, 17)
    assert (rows[2]["birth_date"], rows[2]["birth_year"], rows[2]["birth_month"]) == (None, 1990, None)
    assert [r["sex"] for r in rows] == ["M", "F", "M"]


def test_bad_records_are_reported_by_line_and_code_and_empty_rows_skipped(tmp_path: Path) -> None:
    body = (
        HEADER
        + "a1,,Nguyễn Văn An,31/31/1990,M\n,,\n\na2,,Trần Bình,1990-05-17,X\na2,,Lê An,1990,M\n,,Lê Bảo,1990,M,thừa\n"
    ).encode()
    report, table = _read(tmp_path, body)
    problems = report.problems  # type: ignore[attr-defined]
    assert [(p["line"], p["code"]) for p in problems] == [
        (2, "date_invalid"),
        (3, "row_empty"),
        (4, "row_empty"),
        (5, "sex_invalid"),
        (6, "record_id_duplicate"),
        (7, "row_width"),
    ]
    assert report.invalid == 4 and table.num_rows == 4  # type: ignore[attr-defined]
    assert "Nguyễn" not in repr(problems) and "31/31" not in repr(problems)


def test_swapped_day_and_month_are_kept_for_the_probabilistic_stage() -> None:
    assert parse_date("05/25/1990") == (None, 1990, 25, 5)
    with pytest.raises(ValueError):
        parse_date("1990/05/17")


@pytest.mark.parametrize(
    ("body", "code", "line"),
    [
        (b"\xef\xbb\xbf" + HEADER.encode() + b"a1,,An,1990,M\n", "encoding_bom", 1),
        ((HEADER + "a1,,Nguyên Văn Đăng,1990,M\n").encode("cp1258"), "encoding_windows_1258", 2),
        (HEADER.encode() + b"a1,,\xff\xfe,1990,M\n", "encoding_not_utf8", 2),
        ((HEADER + 'a1,,"Nguyễn "Văn" An,1990,M\n').encode(), "csv_quoting", 2),
        (b"id,cccd,ho_ten\na1,,An\n", "column_missing", 1),
        (HEADER.encode(), "file_empty", None),
        (b"", "file_empty", None),
    ],
)
def test_a_malformed_file_is_refused_with_its_code_and_line(
    tmp_path: Path, body: bytes, code: str, line: int | None
) -> None:
    error = _refused(tmp_path, body)
    assert (error.code, error.line) == (code, line)


def test_the_mapping_is_checked_against_the_sector() -> None:
    with pytest.raises(LinkageError, match="mapping_missing_field"):
        check_mapping({"record_id": "id"}, "telecom")
    with pytest.raises(LinkageError, match="mapping_unknown_field"):
        check_mapping({**MAPPING, "tax_code": "mst"}, "telecom")
    assert check_mapping({**MAPPING, "tax_code": "mst"}, "tax")["tax_code"] == "mst"


def test_parquet_files_are_read_the_same_way(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    columns = {"id": ["a1"], "cccd": ["001090000001"], "ho_ten": ["Nguyễn Văn An"], "gioi_tinh": ["M"]}
    pq.write_table(pa.table({**columns, "ngay_sinh": [dt.date(1990, 5, 17)]}), source)
    out = tmp_path / "records.parquet"
    report = read_file(source, "parquet", MAPPING, "telecom", out)
    row = pq.read_table(out).to_pylist()[0]
    assert report.rows == 1 and row["birth_date"] == dt.date(1990, 5, 17) and row["pin"] == "001090000001"
