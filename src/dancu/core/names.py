"""Vietnamese personal names: normalisation used wherever names are compared or searched.

A name is written family name first, then middle name(s), then the given name ("Nguyễn Thị Minh Khai"). Records keep
the name as written (NFC); comparisons use :func:`normalize_name` (NFC, case-folded, single spaces) and searches also
the diacritics-free form :func:`fold_name`, where "đ"/"Đ" become "d" (Unicode does not decompose "đ").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from dancu.core.errors import DomainError

_SPACES = re.compile(r"\s+")
# Letters (any script, with combining marks), apostrophe for names such as "H'Hen", hyphen, space.
_ALLOWED = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+)*$")
_MAX_LENGTH = 100


def clean_name(raw: str) -> str:
    """The name as it should be written on the record: NFC, trimmed, single spaces, words capitalised as given."""
    text = raw if unicodedata.is_normalized("NFC", raw) else unicodedata.normalize("NFC", raw)
    if "\u2019" in text or "\u02bc" in text:
        text = text.replace("\u2019", "'").replace("\u02bc", "'")
    return _SPACES.sub(" ", text).strip()


def normalize_name(raw: str) -> str:
    """Comparison form: NFC, case-folded, single-spaced. "  NGUYỄN  văn   An " -> "nguyễn văn an"."""
    text = clean_name(raw).casefold()
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _fold_slow(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _fold_table() -> dict[int, str]:
    """Every precomposed Latin letter (Vietnamese ones included) to its letter without marks; đ to d."""
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "D"}
    for code in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        if base != char and base.isascii():
            table[code] = base
    return table


_FOLD = _fold_table()


def fold_name(raw: str) -> str:
    """Diacritics-free comparison form: "Đặng Thị Ánh" -> "dang thi anh"."""
    text = normalize_name(raw).translate(_FOLD)
    return text if text.isascii() else _fold_slow(text)


@dataclass(frozen=True, slots=True)
class NameParts:
    """Family name (họ), middle name (tên đệm, possibly empty or several words) and given name (tên)."""

    full: str
    family: str
    middle: str
    given: str


def validate_name(raw: str, *, field: str = "full_name") -> str:
    """Clean a name and refuse what cannot be a personal name; returns the cleaned name."""
    if not isinstance(raw, str):
        raise DomainError("name_invalid", "A name is text.", field=field)
    name = clean_name(raw)
    if not name:
        raise DomainError("name_missing", "The name is empty.", field=field)
    if len(name) > _MAX_LENGTH:
        raise DomainError(
            "name_too_long", "A name has at most %(max)d characters.", field=field, params={"max": _MAX_LENGTH}
        )
    if not _ALLOWED.match(name):
        raise DomainError("name_invalid", "A name contains only letters, spaces, apostrophes and hyphens.", field=field)
    return name


def split_name(raw: str, *, field: str = "full_name") -> NameParts:
    """Split a full name into family, middle and given parts (first word, inner words, last word).

    A one-word name (some ethnic minorities) has only a given name.
    """
    name = validate_name(raw, field=field)
    words = name.split(" ")
    if len(words) == 1:
        return NameParts(full=name, family="", middle="", given=words[0])
    return NameParts(full=name, family=words[0], middle=" ".join(words[1:-1]), given=words[-1])
