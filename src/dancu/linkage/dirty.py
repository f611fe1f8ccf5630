"""Realistic dirty files for testing and measuring reconciliation, made from the registry (the synthetic one in the
demo and benchmarks), with the truth kept aside in a second file.

Each record is one kind: ``clean``; ``typo`` / ``no_diacritics`` / ``swapped_parts`` / ``swapped_day_month`` /
``year_only`` with the right PIN (the deterministic stage's cases); the same corruptions with the PIN ``missing``,
an ``old_id`` (9 digits) or a ``wrong_pin`` (the probabilistic stage's cases); ``deceased`` people; people
``not_in_registry``; and extra numbers of the same person (``duplicate``: many SIMs behind one PIN).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from dancu.core.names import fold_name

CORRUPTIONS = ("typo", "no_diacritics", "swapped_parts", "swapped_day_month", "year_only")
PIN_FAULTS = ("missing", "old_id", "wrong_pin")
HEADER = ("ma_ban_ghi", "so_dinh_danh", "ho_ten", "ngay_sinh", "gioi_tinh", "ma_tinh", "so_thue_bao", "ngay_kich_hoat")
#: The column mapping of the generated files (field -> column).
MAPPING = {
    "record_id": "ma_ban_ghi",
    "pin": "so_dinh_danh",
    "full_name": "ho_ten",
    "birth_date": "ngay_sinh",
    "sex": "gioi_tinh",
    "province": "ma_tinh",
    "msisdn": "so_thue_bao",
    "activation_date": "ngay_kich_hoat",
}


@dataclass
class Mix:
    """Shares of each kind of record (the rest are clean)."""

    corrupted_with_pin: float = 0.15
    pin_fault: float = 0.30
    deceased: float = 0.02
    not_in_registry: float = 0.05
    duplicate: float = 0.05


def _typo(name: str, rng: random.Random) -> str:
    words = name.split()
    i = rng.randrange(len(words))
    word = words[i]
    if len(word) > 2:
        j = rng.randrange(1, len(word))
        word = word[:j] + rng.choice("aeiouhnmtg") + word[j + 1 :]
    words[i] = word
    return " ".join(words)


def _corrupt(kind: str, name: str, birth: dt.date, rng: random.Random) -> tuple[str, str]:
    """(name, date text) with one corruption applied."""
    date_text = birth.strftime("%d/%m/%Y") if rng.random() < 0.5 else birth.isoformat()
    if kind == "typo":
        name = _typo(name, rng)
    elif kind == "no_diacritics":
        name = fold_name(name).title()
    elif kind == "swapped_parts":
        words = name.split()
        name = " ".join([words[-1], *words[:-1]]) if len(words) > 1 else name
    elif kind == "swapped_day_month":
        if birth.day == birth.month:
            birth = birth.replace(day=1 if birth.day != 1 else 2)
        date_text = f"{birth.month:02d}/{birth.day:02d}/{birth.year}"
    elif kind == "year_only":
        date_text = str(birth.year)
    return name, date_text


def generate(registry: Path, out: Path, truth: Path, *, records: int, seed: int = 18, mix: Mix | None = None) -> None:
    """Write ``records`` dirty telecom records drawn from the registry export ``registry`` to ``out`` (CSV) and the
    truth (record id, the person's PIN or empty, kind) to ``truth``."""
    mix = mix or Mix()
    rng = random.Random(seed)
    table = pq.read_table(registry, columns=["pin", "full_name", "birth_date", "sex", "status", "province"])
    people = table.to_pylist()
    alive = [p for p in people if p["status"] != "deceased" and p["birth_date"] and p["full_name"]]
    dead = [p for p in people if p["status"] == "deceased" and p["birth_date"] and p["full_name"]]
    chosen: list[dict] = []
    with out.open("w", newline="", encoding="utf-8") as f, truth.open("w", newline="", encoding="utf-8") as t:
        data, facts = csv.writer(f), csv.writer(t)
        data.writerow(HEADER)
        facts.writerow(("ma_ban_ghi", "pin", "kind", "pin_fault"))
        for n in range(records):
            record_id = f"TB{n:09d}"
            msisdn = f"09{rng.randrange(10**8):08d}"
            activation = (dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650))).strftime("%d/%m/%Y")
            draw = rng.random()
            fault = ""
            if draw < mix.not_in_registry:
                a, b = rng.choice(alive), rng.choice(alive)
                name = " ".join([a["full_name"].split()[0], *b["full_name"].split()[1:]])
                birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000))
                pin = "" if rng.random() < 0.5 else f"0{rng.randrange(10**11):011d}"
                data.writerow((record_id, pin, name, birth.strftime("%d/%m/%Y"), rng.choice("MF"), "", msisdn,
                               activation))  # fmt: skip
                facts.writerow((record_id, "", "not_in_registry", ""))
                continue
            draw -= mix.not_in_registry
            if draw < mix.duplicate and chosen:
                person, kind = rng.choice(chosen), "duplicate"
            elif draw < mix.duplicate + mix.deceased and dead:
                person, kind = rng.choice(dead), "deceased"
            else:
                person = rng.choice(alive)
                kind = "clean"
                if rng.random() < mix.corrupted_with_pin + mix.pin_fault:
                    kind = rng.choice(CORRUPTIONS)
                    if rng.random() < mix.pin_fault / (mix.corrupted_with_pin + mix.pin_fault):
                        fault = rng.choice(PIN_FAULTS)
            chosen.append(person)
            name, date_text = _corrupt(kind, person["full_name"], person["birth_date"], rng)
            pin = person["pin"]
            if fault == "missing":
                pin = ""
            elif fault == "old_id":
                pin = f"{rng.randrange(10**9):09d}"
            elif fault == "wrong_pin":
                pin = pin[:6] + f"{rng.randrange(10**6):06d}"
            data.writerow((record_id, pin, name, date_text, person["sex"], person["province"] or "", msisdn,
                           activation))  # fmt: skip
            facts.writerow((record_id, person["pin"], kind, fault))
