"""Factories: a valid registry object in one line, through the domain services."""

from __future__ import annotations

import itertools
import random
from datetime import date
from typing import Any

from dancu.core.pin import pin_prefix
from dancu.registry import services
from dancu.registry.models import Person

_serial = itertools.count(1)
_rng = random.Random(7)

HANOI_BA_DINH = "00004"  # Phường Ba Đình, Hà Nội (current)
HANOI_OTHER = "00008"  # Phường Ngọc Hà, Hà Nội (current)


def new_pin(sex: str = "M", year: int = 1990, province: str = "001") -> str:
    return f"{pin_prefix(province, sex, year)}{next(_serial):06d}"


def person(
    *,
    sex: str = "M",
    birth_date: date = date(1990, 5, 17),
    full_name: str | None = None,
    residence: str | None = None,
    **extra: Any,
) -> Person:
    """A registered person; with ``residence`` (a commune code) also founding a household there."""
    pin = extra.pop("pin", None) or new_pin(sex, birth_date.year)
    name = full_name or ("Nguyễn Văn An" if sex == "M" else "Trần Thị Bình")
    created = services.register_person(pin=pin, full_name=name, sex=sex, birth_date=birth_date, actor="test", **extra)
    if residence:
        services.register_permanent_residence(
            pin=pin,
            commune=residence,
            address_line="Số 1 Phố Đội Cấn",
            valid_from=birth_date.replace(year=birth_date.year + 18),
            actor="test",
        )
        created.refresh_from_db()
    return created
