"""Initial load from JSON Lines: whole people or nothing per line, resumable, refusals by line and code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dancu.events.models import Event
from dancu.registry import importer
from dancu.registry.models import Person

pytestmark = pytest.mark.django_db

HOME = {"commune": "00004", "address_line": "Số 9 Đội Cấn"}
MEMBER = {"commune": "00004", "household": "H1"}  # joins H1: no address of its own
LINES: list[dict[str, Any]] = [
    {
        "pin": "001062000001", "full_name": "Hoàng Văn Thụ", "sex": "M", "birth_date": "1962-03-04",
        "permanent_residence": {**HOME, "valid_from": "1990-01-01", "household": "H1"},
    },
    {
        "pin": "001165000002", "full_name": "Lý Thị Mai", "sex": "F", "birth_date": "1965-07-01",
        "permanent_residence": {**MEMBER, "valid_from": "1991-01-01", "relationship": "spouse"},
    },
    {
        "pin": "001095000003", "full_name": "Hoàng Minh Đức", "sex": "M", "birth_date": "1995-12-12",
        "father_pin": "001062000001", "mother_pin": "001165000002",
        "permanent_residence": {**MEMBER, "valid_from": "1996-01-10", "relationship": "child"},
    },
    {
        "pin": "001030000004", "full_name": "Hoàng Văn Cả", "sex": "M", "birth_date": "1930-01-01",
        "birth_date_precision": "year", "death_date": "2001-05-05",
        "permanent_residence": {**HOME, "valid_from": "1960-01-01"},
    },
]  # fmt: skip


def write(tmp_path: Path, lines: list[Any]) -> Path:
    path = tmp_path / "people.jsonl"
    path.write_text("".join((json.dumps(x, ensure_ascii=False) if not isinstance(x, str) else x) + "\n" for x in lines))
    return path


def test_import_households_parents_and_deaths(tmp_path: Path) -> None:
    report = importer.import_people(write(tmp_path, LINES), actor="import")
    assert report.rejected == []
    assert (report.imported, report.skipped) == (4, 0)
    child = Person.objects.get(pin="001095000003")
    assert child.father.pin == "001062000001"
    assert child.household == Person.objects.get(pin="001062000001").household
    assert child.relationship_to_head == "child"
    elder = Person.objects.get(pin="001030000004")
    assert elder.status == "deceased"
    assert elder.household is None
    assert Event.objects.filter(source="import:people.jsonl").count() == 4 + 4 + 2


def test_import_again_resumes_and_refuses_by_line(tmp_path: Path) -> None:
    importer.import_people(write(tmp_path, LINES[:2]), actor="import")
    bad = [
        *LINES,
        "not json",
        {"pin": "001062000001", "full_name": "Someone Else", "sex": "M", "birth_date": "1962-01-01"},
        {"pin": "00106200000X", "full_name": "Lê Văn A", "sex": "M", "birth_date": "1962-01-01"},
        {"pin": "001090000009", "full_name": "Lê Văn B", "sex": "M", "birth_date": "1990-01-01", "shoe_size": 42},
        {"pin": "001090000010", "full_name": "Lê Văn C", "sex": "M", "birth_date": "1990-01-01",
         "permanent_residence": {"commune": "99999", "address_line": "x", "valid_from": "2010-01-01"}},
    ]  # fmt: skip
    before = Event.objects.count()
    report = importer.import_people(write(tmp_path, bad), actor="import")
    assert (report.imported, report.skipped) == (2, 2)
    assert [(r["line"], r["code"]) for r in report.rejected] == [
        (5, "line_not_json"),
        (6, "pin_duplicate"),
        (7, "pin_malformed"),
        (8, "field_unknown"),
        (9, "commune_unknown"),
    ]
    # the refused person with a bad residence was not half-written
    assert not Person.objects.filter(pin="001090000010").exists()
    assert Event.objects.count() == before + 2 + 2 + 2
    assert all("Lê Văn" not in json.dumps(r, ensure_ascii=False) for r in report.rejected)


def test_cli_exits_non_zero_with_one_line_and_writes_rejects(tmp_path: Path) -> None:
    path = write(tmp_path, [LINES[0], "{}"])
    with pytest.raises(CommandError, match=r"^lines_refused: 1 line"):
        call_command("import_people", str(path))
    rejects = (tmp_path / "people.jsonl.rejects.jsonl").read_text()
    assert json.loads(rejects)["code"] == "field_missing"
    with pytest.raises(CommandError, match=r"^file_not_found"):
        call_command("import_people", str(tmp_path / "nope.jsonl"))


def test_person_command(tmp_path: Path) -> None:
    from io import StringIO

    importer.import_people(write(tmp_path, LINES), actor="import")
    out = StringIO()
    call_command("person", "001095000003", stdout=out)
    assert json.loads(out.getvalue())["father"]["pin"] == "001062000001"
    out = StringIO()
    call_command("person", "001030000004", "--as-of", "1999-01-01", stdout=out)
    assert json.loads(out.getvalue())["record"]["status"] == "living"
    out = StringIO()
    call_command("person", "001030000004", "--history", stdout=out)
    assert [e["type"] for e in json.loads(out.getvalue())][-1] == "residence.permanent.removed"
    with pytest.raises(CommandError, match=r"^pin_malformed"):
        call_command("person", "12")
    with pytest.raises(CommandError, match=r"^person_not_found"):
        call_command("person", "001090999999")
