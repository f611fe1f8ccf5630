"""The TD1 machine-readable zone of an identity card (ICAO Doc 9303 part 5): three lines of 30 characters."""

from __future__ import annotations

import unicodedata
from datetime import date

_WEIGHTS = (7, 3, 1)


def _value(char: str) -> int:
    if char.isdigit():
        return ord(char) - 48
    if "A" <= char <= "Z":
        return ord(char) - 55
    if char == "<":
        return 0
    raise ValueError(f"character not allowed in an MRZ: {char!r}")


def check_digit(data: str) -> str:
    """The check digit of an MRZ field (weights 7, 3, 1; '<' counts 0, letters A=10 ... Z=35)."""
    return str(sum(_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(data)) % 10)


def transliterate(name: str) -> str:
    """A name in MRZ letters: diacritics dropped (Đ -> D), upper case, everything else a filler."""
    name = name.replace("Đ", "D").replace("đ", "d")
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    return "".join(c if "A" <= c <= "Z" else "<" for c in plain)


def _yymmdd(value: date | None) -> str:
    return value.strftime("%y%m%d") if value else "<<<<<<"


def _pad(text: str, size: int) -> str:
    return (text + "<" * size)[:size]


def document_number(pin: str) -> str:
    """The document number the chip is read with: the last nine digits of the PIN (DOMAIN.md §4)."""
    return pin[-9:]


def td1(
    *,
    pin: str,
    family_name: str,
    given_names: str,
    birth_date: date,
    sex: str,
    expires_on: date | None,
    nationality: str = "VNM",
    issuing_state: str = "VNM",
) -> str:
    """The three TD1 lines joined (90 characters). The document number is the last nine digits of the PIN, the full
    PIN in the optional data of line 1; sex ``M``/``F`` (``<`` unspecified); a card without expiry shows fillers."""
    number = document_number(pin)
    optional1 = _pad(pin, 15)
    line1 = _pad("ID" + issuing_state + number + check_digit(number) + optional1, 30)
    birth = _yymmdd(birth_date)
    expiry = _yymmdd(expires_on)
    sex_code = sex if sex in ("M", "F") else "<"
    head = birth + check_digit(birth) + sex_code + expiry + check_digit(expiry) + nationality
    optional2 = "<" * 11
    composite = line1[5:30] + birth + check_digit(birth) + expiry + check_digit(expiry) + optional2
    line2 = head + optional2 + check_digit(composite)
    names = transliterate(family_name).strip("<") + "<<" + transliterate(given_names).strip("<")
    line3 = _pad(names, 30)
    return line1 + line2 + line3
