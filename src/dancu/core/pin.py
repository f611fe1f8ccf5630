"""The 12-digit personal identification number (số định danh cá nhân): ``PPP G YY RRRRRR``.

Decree 137/2015/NĐ-CP art. 13, Circular 07/2016/TT-BCA art. 7, Circular 59/2021/TT-BCA; kept as "12 digits" by the
Identity Law 2023 art. 12. ``PPP`` is the code of the province where the birth was registered (pre-2025 table: issued
numbers never change after the 1 July 2025 merger, and every new province code is one of the old ones), ``G`` encodes
century and sex, ``YY`` the last two digits of the year of birth, ``RRRRRR`` six random digits. There is no check digit:
a number can be checked for shape and consistency, never proved valid without the registry.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from dancu.core.errors import DomainError, gettext_noop

MALE = "M"
FEMALE = "F"

#: old (pre-2025) 3-digit code -> (old province name, current 2-digit province code). DOMAIN.md §2.
PROVINCE_CODES: dict[str, tuple[str, str]] = {
    "001": ("Hà Nội", "01"),
    "002": ("Hà Giang", "08"),
    "004": ("Cao Bằng", "04"),
    "006": ("Bắc Kạn", "19"),
    "008": ("Tuyên Quang", "08"),
    "010": ("Lào Cai", "15"),
    "011": ("Điện Biên", "11"),
    "012": ("Lai Châu", "12"),
    "014": ("Sơn La", "14"),
    "015": ("Yên Bái", "15"),
    "017": ("Hòa Bình", "25"),
    "019": ("Thái Nguyên", "19"),
    "020": ("Lạng Sơn", "20"),
    "022": ("Quảng Ninh", "22"),
    "024": ("Bắc Giang", "24"),
    "025": ("Phú Thọ", "25"),
    "026": ("Vĩnh Phúc", "25"),
    "027": ("Bắc Ninh", "24"),
    "030": ("Hải Dương", "31"),
    "031": ("Hải Phòng", "31"),
    "033": ("Hưng Yên", "33"),
    "034": ("Thái Bình", "33"),
    "035": ("Hà Nam", "37"),
    "036": ("Nam Định", "37"),
    "037": ("Ninh Bình", "37"),
    "038": ("Thanh Hóa", "38"),
    "040": ("Nghệ An", "40"),
    "042": ("Hà Tĩnh", "42"),
    "044": ("Quảng Bình", "44"),
    "045": ("Quảng Trị", "44"),
    "046": ("Huế", "46"),
    "048": ("Đà Nẵng", "48"),
    "049": ("Quảng Nam", "48"),
    "051": ("Quảng Ngãi", "51"),
    "052": ("Bình Định", "52"),
    "054": ("Phú Yên", "66"),
    "056": ("Khánh Hòa", "56"),
    "058": ("Ninh Thuận", "56"),
    "060": ("Bình Thuận", "68"),
    "062": ("Kon Tum", "51"),
    "064": ("Gia Lai", "52"),
    "066": ("Đắk Lắk", "66"),
    "067": ("Đắk Nông", "68"),
    "068": ("Lâm Đồng", "68"),
    "070": ("Bình Phước", "75"),
    "072": ("Tây Ninh", "80"),
    "074": ("Bình Dương", "79"),
    "075": ("Đồng Nai", "75"),
    "077": ("Bà Rịa-Vũng Tàu", "79"),
    "079": ("TP Hồ Chí Minh", "79"),
    "080": ("Long An", "80"),
    "082": ("Tiền Giang", "82"),
    "083": ("Bến Tre", "86"),
    "084": ("Trà Vinh", "86"),
    "086": ("Vĩnh Long", "86"),
    "087": ("Đồng Tháp", "82"),
    "089": ("An Giang", "91"),
    "091": ("Kiên Giang", "91"),
    "092": ("Cần Thơ", "92"),
    "093": ("Hậu Giang", "92"),
    "094": ("Sóc Trăng", "92"),
    "095": ("Bạc Liêu", "96"),
    "096": ("Cà Mau", "96"),
}

#: current 2-digit province code -> old 3-digit codes merged into it (first one is the province keeping its code).
OLD_CODES_BY_CURRENT: dict[str, tuple[str, ...]] = {}
for _old, (_name, _current) in sorted(PROVINCE_CODES.items()):
    OLD_CODES_BY_CURRENT.setdefault(_current, ())
    OLD_CODES_BY_CURRENT[_current] += (_old,)

_FIRST_CENTURY = 1900
_LAST_YEAR = 2399


@dataclass(frozen=True, slots=True)
class ParsedPIN:
    """What a personal ID number says about its holder."""

    pin: str
    province_code: str  # old 3-digit code of the birth-registration province
    province_name: str  # its old name
    current_province_code: str  # the 2025 province it belongs to now
    sex: str  # "M" or "F"
    century: int  # 1900, 2000, ...
    birth_year: int
    serial: str  # the six random digits


#: What people type between the digit groups of a PIN ("001 076 108 037", "001.076.108.037", "001-076-108-037"):
#: any white space (also the no-break space a copy from a PDF brings), dots, hyphens and dashes.
_PIN_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")


def normalise_pin(raw: str) -> str:
    """A PIN as typed, without the separators people put between its digit groups; anything else is kept, for
    :func:`parse_pin` to refuse."""
    return _PIN_SEPARATORS.sub("", raw or "")


def _malformed(message: str) -> DomainError:
    return DomainError("pin_malformed", message, field="pin")


def parse_pin(pin: str) -> ParsedPIN:
    """Parse a PIN; raise ``DomainError`` with code ``pin_malformed`` or ``pin_unknown_province``."""
    if not isinstance(pin, str):
        raise _malformed(gettext_noop("A personal ID number is a string of 12 digits."))
    if len(pin) != 12 or not pin.isascii() or not pin.isdigit():
        raise _malformed(gettext_noop("A personal ID number has exactly 12 digits (0-9) and nothing else."))
    province_code = pin[:3]
    entry = PROVINCE_CODES.get(province_code)
    if entry is None:
        raise DomainError(
            "pin_unknown_province",
            "The first three digits of the personal ID number are not an assigned province code.",
            field="pin",
        )
    gender_digit = int(pin[3])
    century = _FIRST_CENTURY + 100 * (gender_digit // 2)
    sex = MALE if gender_digit % 2 == 0 else FEMALE
    return ParsedPIN(
        pin=pin,
        province_code=province_code,
        province_name=entry[0],
        current_province_code=entry[1],
        sex=sex,
        century=century,
        birth_year=century + int(pin[4:6]),
        serial=pin[6:],
    )


def check_pin(pin: str, *, sex: str, birth_year: int) -> ParsedPIN:
    """Parse a PIN and check it against a person's sex and year of birth.

    Raises ``pin_sex_mismatch`` or ``pin_birth_year_mismatch`` (after the parse errors).
    """
    parsed = parse_pin(pin)
    if sex not in (MALE, FEMALE):
        raise DomainError("sex_invalid", "Sex is 'M' (male) or 'F' (female).", field="sex")
    if parsed.sex != sex:
        raise DomainError(
            "pin_sex_mismatch", "The fourth digit of the personal ID number does not match the sex.", field="pin"
        )
    if parsed.birth_year != birth_year:
        raise DomainError(
            "pin_birth_year_mismatch",
            "The century digit and year digits of the personal ID number do not match the year of birth.",
            field="pin",
        )
    return parsed


def pin_prefix(province_code: str, sex: str, birth_year: int) -> str:
    """The first six digits (``PPP G YY``) for a birth registered in ``province_code`` (old 3-digit code)."""
    if province_code not in PROVINCE_CODES:
        raise DomainError("pin_unknown_province", "Unknown birth-registration province code.", field="province")
    if sex not in (MALE, FEMALE):
        raise DomainError("sex_invalid", "Sex is 'M' (male) or 'F' (female).", field="sex")
    if not _FIRST_CENTURY <= birth_year <= _LAST_YEAR:
        raise DomainError("birth_year_out_of_range", "Year of birth must be between 1900 and 2399.", field="birth_date")
    century_index = (birth_year - _FIRST_CENTURY) // 100
    gender_digit = 2 * century_index + (0 if sex == MALE else 1)
    return f"{province_code}{gender_digit}{birth_year % 100:02d}"


def generate_pin(
    province_code: str,
    sex: str,
    birth_year: int,
    *,
    exists: Callable[[str], bool],
    rng: random.Random | None = None,
    attempts: int = 64,
) -> str:
    """Draw a new PIN for a birth, unique according to ``exists`` (usually a registry lookup or an in-memory set).

    The six serial digits are random (``secrets``-grade by default); collisions are retried. A prefix holds a million
    numbers, so exhaustion means something is wrong and is reported rather than looped on.
    """
    prefix = pin_prefix(province_code, sex, birth_year)
    draw = rng or random.SystemRandom()
    for _ in range(attempts):
        candidate = f"{prefix}{draw.randrange(1_000_000):06d}"
        if not exists(candidate):
            return candidate
    raise DomainError("pin_space_exhausted", "Could not draw an unused personal ID number for this prefix.", status=409)
