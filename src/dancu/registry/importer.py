"""Initial load of people from a JSON Lines file, through the domain services.

One line = one person (with their permanent residence and, for the deceased, their death) = one transaction, so a
crash or Ctrl-C never leaves a half-written person. Lines already imported with the same facts are skipped, so
running the same file again resumes it. Refused lines are reported by line number and error code (no personal data)
and the rest of the file goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction

from dancu.core.errors import DomainError
from dancu.core.names import clean_name
from dancu.registry.models import Person
from dancu.registry.services.births import register_person
from dancu.registry.services.deaths import record_death
from dancu.registry.services.residence import register_permanent_residence, remove_permanent_residence

PERSON_FIELDS = {
    "pin", "full_name", "sex", "birth_date", "birth_date_precision", "ethnicity", "religion", "nationality",
    "birth_commune", "birth_place_text", "origin_commune", "father_pin", "mother_pin",
}  # fmt: skip
RESIDENCE_FIELDS = {"commune", "era", "address_line", "valid_from", "household", "relationship"}
LINE_FIELDS = PERSON_FIELDS | {"permanent_residence", "death_date"}


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return self.imported + self.skipped + len(self.rejected)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def _parse(line: str) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        raise DomainError("line_not_json", "The line is not valid JSON.") from None
    if not isinstance(data, dict):
        raise DomainError("line_not_object", "Each line is one JSON object.")
    unknown = set(data) - LINE_FIELDS
    if unknown:
        raise DomainError(
            "field_unknown", "Unknown field(s): %(fields)s.", params={"fields": ", ".join(sorted(unknown))}
        )
    residence = data.get("permanent_residence")
    if residence is not None and (not isinstance(residence, dict) or set(residence) - RESIDENCE_FIELDS):
        raise DomainError("field_unknown", "permanent_residence has unknown fields.", field="permanent_residence")
    missing = [k for k in ("pin", "full_name", "sex", "birth_date") if not data.get(k)]
    if missing:
        raise DomainError(
            "field_missing", "Missing field(s): %(fields)s.", field=missing[0], params={"fields": ", ".join(missing)}
        )
    return data


def _same_person(existing: Person, data: dict[str, Any]) -> bool:
    return (
        existing.full_name == clean_name(str(data["full_name"]))
        and existing.sex == data["sex"]
        and existing.birth_date.isoformat()[:4] == str(data["birth_date"])[:4]
    )


def import_people(path: Path, *, actor: str, progress: Callable[[ImportReport], None] | None = None) -> ImportReport:
    report = ImportReport()
    heads: dict[str, str] = {}  # household key in the file -> PIN of its head
    source = f"import:{path.name}"
    for number, line in _lines(path):
        try:
            data = _parse(line)
            residence = data.get("permanent_residence") or None
            key = residence.get("household") if residence else None
            existing = Person.objects.filter(pin=data["pin"]).first() if isinstance(data["pin"], str) else None
            if existing is not None:
                if not _same_person(existing, data):
                    raise DomainError("pin_duplicate", "Another person with this PIN is already in the registry.")
                report.skipped += 1
                if key and residence.get("relationship", "head") == "head":
                    heads[key] = existing.pin
                continue
            with transaction.atomic():
                register_person(**{k: v for k, v in data.items() if k in PERSON_FIELDS}, actor=actor, source=source)
                if residence:
                    relationship = residence.get("relationship", "head")
                    household_number = None
                    if key and relationship != "head":
                        head_pin = heads.get(key)
                        head = Person.objects.filter(pin=head_pin).select_related("household").first()
                        if head is None or head.household is None:
                            raise DomainError(
                                "household_head_missing",
                                "The household's head must come earlier in the file.",
                                field="permanent_residence",
                            )
                        household_number = head.household.number
                    register_permanent_residence(
                        pin=data["pin"], commune=residence.get("commune", ""), era=residence.get("era", "current"),
                        address_line=residence.get("address_line", ""), valid_from=residence.get("valid_from", ""),
                        household_number=household_number, relationship=relationship, actor=actor, source=source,
                    )  # fmt: skip
                if data.get("death_date"):
                    record_death(pin=data["pin"], death_date=data["death_date"], actor=actor, source=source)
                    if residence:
                        remove_permanent_residence(
                            pin=data["pin"], valid_to=date.fromisoformat(data["death_date"]), reason="deceased",
                            actor=actor, source=source,
                        )  # fmt: skip
            if key and (residence or {}).get("relationship", "head") == "head":
                heads[key] = data["pin"]
            report.imported += 1
        except DomainError as error:
            report.rejected.append({"line": number, **error.as_dict()})
        except (TypeError, ValueError):
            report.rejected.append({"line": number, "code": "value_invalid", "message": "A field has the wrong type."})
        if progress and report.lines % 1000 == 0:
            progress(report)
    return report
