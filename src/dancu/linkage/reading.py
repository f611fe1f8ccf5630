"""Reading a submitted file: the declared column mapping checked, every record normalised (the same PIN and name
normalisation as verification), and the whole written to one Parquet table the matching stages read.

File-level faults refuse the whole file with a stable code and the line (``LinkageError``): missing columns, an
encoding other than UTF-8 (Windows-1258 is named as such), a byte-order mark, broken CSV quoting, no records at all.
Record-level faults (no record id, a date in none of the accepted formats, a row of the wrong width) are reported
per line and the record is answered ``invalid``; empty rows are reported and skipped. Values never appear in a
message: only the line, the column and the code.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dancu.core.errors import DomainError, gettext_noop
from dancu.core.names import fold_name, normalize_name
from dancu.core.pin import normalise_pin, parse_pin
from dancu.linkage.choices import COMMON_FIELDS, REQUIRED_FIELDS, SECTOR_FIELDS

BATCH = 50_000
MAX_PROBLEMS = 1000

#: The record table every stage reads (one row per data row of the file, in file order).
RECORD_SCHEMA = pa.schema(
    [
        ("rid", pa.int64()),
        ("line", pa.int64()),
        ("record_id", pa.string()),
        ("problem", pa.string()),
        ("pin", pa.string()),
        ("pin_kind", pa.string()),
        ("full_name", pa.string()),
        ("name_folded", pa.string()),
        ("name_sorted", pa.string()),
        ("family_f", pa.string()),
        ("middle_f", pa.string()),
        ("given_f", pa.string()),
        ("birth_date", pa.date32()),
        ("birth_year", pa.int32()),
        ("birth_month", pa.int32()),
        ("birth_day", pa.int32()),
        ("sex", pa.string()),
        ("province", pa.string()),
        ("msisdn", pa.string()),
        ("activation_date", pa.date32()),
        ("customer_number", pa.string()),
        ("tax_code", pa.string()),
    ]
)


class LinkageError(DomainError):
    """A refusal of a whole file or job (``line``: the physical line of the file, where there is one)."""

    def __init__(self, code: str, message: str, *, line: int | None = None, **kwargs: Any) -> None:
        super().__init__(code, message, **kwargs)
        self.line = line


@dataclass
class ReadReport:
    rows: int = 0
    invalid: int = 0
    empty: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    def problem(self, line: int, code: str, column: str = "") -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"line": line, "code": code, "column": column})


def check_mapping(mapping: dict[str, str], sector: str) -> dict[str, str]:
    """The mapping {field: column in the file}, checked: known fields only, the required ones present."""
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise LinkageError("mapping_invalid", gettext_noop("The column mapping is a set of field=column pairs."))
    known = set(COMMON_FIELDS) | set(SECTOR_FIELDS.get(sector, ()))  # type: ignore[call-overload]
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise LinkageError(
            "mapping_unknown_field",
            gettext_noop("The mapping names fields this sector does not have: %(fields)s."),
            params={"fields": ", ".join(unknown)},
        )
    missing = [f for f in REQUIRED_FIELDS if f not in mapping]
    if missing:
        raise LinkageError(
            "mapping_missing_field",
            gettext_noop("The mapping must name a column for: %(fields)s."),
            params={"fields": ", ".join(missing)},
        )
    return {k: v.strip() for k, v in mapping.items()}


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_SEX = {"m": "M", "nam": "M", "male": "M", "f": "F", "nu": "F", "nữ": "F", "female": "F", "1": "M", "0": "F"}
_SPACES = re.compile(r"\s+")


def parse_date(text: str) -> tuple[dt.date | None, int | None, int | None, int | None]:
    """(date, year, month, day) from dd/mm/yyyy, yyyy-mm-dd or yyyy (year only: date None); ValueError otherwise.

    A day/month pair that only makes a date swapped (13/25 is not a month) is kept as given in the day and month
    columns with no date: the probabilistic stage compares swapped days and months."""
    text = text.strip()
    if m := _DMY.match(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif m := _ISO.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _YEAR.match(text):
        year = int(m[1])
        if not 1880 <= year <= 2100:
            raise ValueError(text)
        return None, year, None, None
    else:
        raise ValueError(text)
    if not 1880 <= year <= 2100 or not (1 <= month <= 12 or 1 <= day <= 12):
        raise ValueError(text)
    try:
        return dt.date(year, month, day), year, month, day
    except ValueError:
        if 1 <= day <= 12 and 1 <= month <= 31:  # swapped day and month: kept for the probabilistic stage
            return None, year, month, day
        raise


def name_parts(folded: str) -> tuple[str, str, str, str]:
    """(sorted words, family, middle, given) of a folded name."""
    words = folded.split()
    if not words:
        return "", "", "", ""
    return " ".join(sorted(words)), words[0], " ".join(words[1:-1]), words[-1]


class _Columns:
    def __init__(self) -> None:
        self.data: dict[str, list[Any]] = {name: [] for name in RECORD_SCHEMA.names}

    def __len__(self) -> int:
        return len(self.data["rid"])

    def table(self) -> pa.Table:
        table = pa.table(self.data, schema=RECORD_SCHEMA)
        self.data = {name: [] for name in RECORD_SCHEMA.names}
        return table


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _normalise(
    row: dict[str, str], rid: int, line: int, seen: set[str], report: ReadReport, out: _Columns, forced: str = ""
) -> None:
    problem = forced
    column = ""
    record_id = row.get("record_id", "")
    if problem:
        pass
    elif not record_id:
        problem, column = "record_id_missing", "record_id"
    elif record_id in seen:
        problem, column = "record_id_duplicate", "record_id"
    else:
        seen.add(record_id)
    raw_pin = normalise_pin(row.get("pin", ""))
    pin: str | None = None
    if not raw_pin:
        pin_kind = "missing"
    elif len(raw_pin) == 9 and raw_pin.isdigit():
        pin_kind = "old_id"  # a 9-digit identity card number (CMND): matched by name and date of birth
    else:
        try:
            pin, pin_kind = parse_pin(raw_pin).pin, "pin"
        except DomainError:
            pin_kind = "malformed"
    full_name = normalize_name(row.get("full_name", ""))
    if not full_name and not problem:
        problem, column = "name_missing", "full_name"
    folded = fold_name(full_name) if full_name else ""
    sorted_words, family, middle, given = name_parts(folded)
    birth: dt.date | None = None
    year = month = day = None
    try:
        birth, year, month, day = parse_date(row.get("birth_date", ""))
    except ValueError:
        if not problem:
            problem, column = "date_invalid", "birth_date"
    sex = _SEX.get(fold_name(row["sex"]) if row.get("sex") else "") if row.get("sex") else None
    if row.get("sex") and sex is None and not problem:
        problem, column = "sex_invalid", "sex"
    activation = None
    if row.get("activation_date"):
        try:
            activation = parse_date(row["activation_date"])[0]
        except ValueError:
            if not problem:
                problem, column = "date_invalid", "activation_date"
    province = row.get("province", "")
    if province and not (len(province) == 2 and province.isdigit()):
        province = province.zfill(2) if province.isdigit() and len(province) < 2 else ""
    if problem:
        report.invalid += 1
        report.problem(line, problem, column)
    d = out.data
    d["rid"].append(rid)
    d["line"].append(line)
    d["record_id"].append(record_id[:100] or None)
    d["problem"].append(problem or None)
    d["pin"].append(pin)
    d["pin_kind"].append(pin_kind)
    d["full_name"].append(full_name or None)
    d["name_folded"].append(folded or None)
    d["name_sorted"].append(sorted_words or None)
    d["family_f"].append(family or None)
    d["middle_f"].append(middle or None)
    d["given_f"].append(given or None)
    d["birth_date"].append(birth)
    d["birth_year"].append(year)
    d["birth_month"].append(month)
    d["birth_day"].append(day)
    d["sex"].append(sex)
    d["province"].append(province or None)
    d["msisdn"].append(_SPACES.sub("", row.get("msisdn", "")) or None)
    d["activation_date"].append(activation)
    d["customer_number"].append(row.get("customer_number") or None)
    d["tax_code"].append(_SPACES.sub("", row.get("tax_code", "")) or None)


def _first_bad_line(path: Path) -> int:
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def _encoding_error(path: Path) -> LinkageError:
    line = _first_bad_line(path)
    with path.open("rb") as raw:
        sample = raw.read(1 << 20)
    try:
        text = sample.decode("cp1258")
        vietnamese = any(ch in text for ch in "ăâđêôơưĂÂĐÊÔƠƯ")
    except UnicodeDecodeError:
        vietnamese = False
    if vietnamese:
        return LinkageError(
            "encoding_windows_1258",
            gettext_noop("The file is in Windows-1258; save it as UTF-8 (line %(line)s is the first that is not)."),
            line=line,
            params={"line": line},
        )
    return LinkageError(
        "encoding_not_utf8",
        gettext_noop("The file is not UTF-8 (line %(line)s is the first that is not); save it as UTF-8."),
        line=line,
        params={"line": line},
    )


def _csv_rows(path: Path, mapping: dict[str, str]) -> Iterator[tuple[int, dict[str, str] | None]]:
    with path.open("rb") as probe:
        if probe.read(3) == b"\xef\xbb\xbf":
            raise LinkageError(
                "encoding_bom",
                gettext_noop("The file starts with a byte-order mark; save it as UTF-8 without BOM."),
                line=1,
                params={"line": 1},
            )
    handle = io.TextIOWrapper(path.open("rb"), encoding="utf-8", errors="strict", newline="")
    reader = csv.reader(handle, strict=True)
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise LinkageError("file_empty", gettext_noop("The file has no header and no records.")) from None
        header = [h.strip() for h in header]
        positions = _positions(header, mapping)
        width = len(header)
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                yield start, None
                continue
            if len(cells) != width:
                yield start, {"__width__": "1"}
                continue
            yield start, {name: cells[i].strip() for name, i in positions.items()}
    except UnicodeDecodeError:
        raise _encoding_error(path) from None
    except csv.Error:
        raise LinkageError(
            "csv_quoting",
            gettext_noop("Broken CSV quoting at line %(line)s."),
            line=reader.line_num,
            params={"line": reader.line_num},
        ) from None
    finally:
        handle.close()


def _positions(header: list[str], mapping: dict[str, str]) -> dict[str, int]:
    missing = [column for column in mapping.values() if column not in header]
    if missing:
        raise LinkageError(
            "column_missing",
            gettext_noop("The file has no column %(columns)s (line 1, the header)."),
            line=1,
            params={"columns": ", ".join(sorted(missing))},
        )
    return {name: header.index(column) for name, column in mapping.items()}


def _parquet_rows(path: Path, mapping: dict[str, str]) -> Iterator[tuple[int, dict[str, str] | None]]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError):
        raise LinkageError("parquet_invalid", gettext_noop("The file is not a readable Parquet file.")) from None
    _positions(list(parquet.schema_arrow.names), mapping)
    line = 1  # Parquet has no lines: the record's position, counting the header as CSV does
    columns = list(dict.fromkeys(mapping.values()))
    for batch in parquet.iter_batches(batch_size=BATCH, columns=columns):
        values = {column: batch.column(column).to_pylist() for column in columns}
        for i in range(batch.num_rows):
            line += 1
            row = {name: _text(values[column][i]) for name, column in mapping.items()}
            yield line, (row if any(row.values()) else None)


def read_file(
    path: Path,
    file_format: str,
    mapping: dict[str, str],
    sector: str,
    out_path: Path,
    *,
    progress: Callable[[int], None] | None = None,
) -> ReadReport:
    """Read ``path`` into the record table at ``out_path`` (written beside it, then renamed: never half a table)."""
    mapping = check_mapping(mapping, sector)
    rows: Iterable[tuple[int, dict[str, str] | None]]
    if file_format == "csv":
        rows = _csv_rows(path, mapping)
    elif file_format == "parquet":
        rows = _parquet_rows(path, mapping)
    else:
        raise LinkageError("format_unknown", gettext_noop("Files are CSV or Parquet."))
    report = ReadReport()
    seen: set[str] = set()
    out = _Columns()
    partial = out_path.with_suffix(".partial")
    writer = pq.ParquetWriter(partial, RECORD_SCHEMA)
    try:
        for line, row in rows:
            if row is None:
                report.empty += 1
                report.problem(line, "row_empty")
                continue
            if "__width__" in row:
                _normalise({}, report.rows, line, seen, report, out, forced="row_width")
            else:
                _normalise(row, report.rows, line, seen, report, out)
            report.rows += 1
            if len(out) >= BATCH:
                writer.write_table(out.table())
                if progress:
                    progress(report.rows)
        if len(out):
            writer.write_table(out.table())
    finally:
        writer.close()
    if report.rows == 0:
        partial.unlink(missing_ok=True)
        raise LinkageError("file_empty", gettext_noop("The file has no records."))
    partial.replace(out_path)
    if progress:
        progress(report.rows)
    return report
