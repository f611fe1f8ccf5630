from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dancu.core.errors import DomainError
from dancu.core.pin import PROVINCE_CODES, check_pin, generate_pin, normalise_pin, parse_pin, pin_prefix

provinces = st.sampled_from(sorted(PROVINCE_CODES))
sexes = st.sampled_from(["M", "F"])
years = st.integers(min_value=1900, max_value=2399)


def test_parse_known_number() -> None:
    parsed = parse_pin("079203001234")
    assert parsed.province_code == "079"
    assert parsed.province_name == "TP Hồ Chí Minh"
    assert parsed.current_province_code == "79"
    assert parsed.sex == "M"
    assert parsed.century == 2000
    assert parsed.birth_year == 2003
    assert parsed.serial == "001234"


def test_merged_province_keeps_old_code_and_maps_to_new() -> None:
    parsed = parse_pin("074185000001")  # Bình Dương, female, 1985
    assert (parsed.province_name, parsed.current_province_code, parsed.sex, parsed.birth_year) == (
        "Bình Dương",
        "79",
        "F",
        1985,
    )


@pytest.mark.parametrize(
    ("pin", "code"),
    [
        ("", "pin_malformed"),
        ("07920300123", "pin_malformed"),
        ("0792030012345", "pin_malformed"),
        ("07920300123a", "pin_malformed"),
        ("０７９２０３００１２３４", "pin_malformed"),  # full-width digits
        (" 79203001234", "pin_malformed"),
        ("003203001234", "pin_unknown_province"),
        ("999203001234", "pin_unknown_province"),
    ],
)
def test_bad_numbers_are_refused_with_stable_codes(pin: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_pin(pin)
    assert caught.value.code == code
    assert pin.strip() == "" or pin.strip() not in caught.value.message  # never echoes the number


def test_consistency_checks() -> None:
    assert check_pin("001090000001", sex="M", birth_year=1990).birth_year == 1990
    with pytest.raises(DomainError, match="pin_sex_mismatch"):
        check_pin("001090000001", sex="F", birth_year=1990)
    with pytest.raises(DomainError, match="pin_birth_year_mismatch"):
        check_pin("001090000001", sex="M", birth_year=2090)


@given(province=provinces, sex=sexes, year=years, serial=st.integers(0, 999_999))
def test_prefix_round_trips_through_parse(province: str, sex: str, year: int, serial: int) -> None:
    pin = f"{pin_prefix(province, sex, year)}{serial:06d}"
    parsed = check_pin(pin, sex=sex, birth_year=year)
    assert (parsed.province_code, parsed.sex, parsed.birth_year, parsed.serial) == (
        province,
        sex,
        year,
        f"{serial:06d}",
    )
    assert len(pin) == 12 and pin.isdigit()


@given(text=st.text(max_size=20))
def test_parse_never_fails_except_with_a_domain_error(text: str) -> None:
    try:
        parsed = parse_pin(text)
    except DomainError as error:
        assert error.code in {"pin_malformed", "pin_unknown_province"}
    else:
        assert parsed.pin == text and len(text) == 12


@given(province=provinces, sex=sexes, year=years, seed=st.integers(0, 2**32))
def test_generated_numbers_are_unique_and_consistent(province: str, sex: str, year: int, seed: int) -> None:
    rng = random.Random(seed)
    issued: set[str] = set()
    for _ in range(50):
        pin = generate_pin(province, sex, year, exists=issued.__contains__, rng=rng)
        assert pin not in issued
        issued.add(pin)
        check_pin(pin, sex=sex, birth_year=year)


def test_generation_reports_an_exhausted_prefix() -> None:
    with pytest.raises(DomainError, match="pin_space_exhausted"):
        generate_pin("001", "M", 1990, exists=lambda _pin: True, rng=random.Random(1))


def test_prefix_refuses_bad_input() -> None:
    with pytest.raises(DomainError, match="pin_unknown_province"):
        pin_prefix("003", "M", 1990)
    with pytest.raises(DomainError, match="sex_invalid"):
        pin_prefix("001", "X", 1990)
    with pytest.raises(DomainError, match="birth_year_out_of_range"):
        pin_prefix("001", "M", 1899)


@pytest.mark.parametrize(
    "typed",
    [
        "001076108037",
        "001 076 108 037",
        " 001076 108037 ",
        "001.076.108.037",
        "001-076-108-037",
        "001\u00a0076\u2013108 037",
    ],
)
def test_separators_people_type_are_dropped(typed: str) -> None:
    assert normalise_pin(typed) == "001076108037"


@given(st.lists(st.sampled_from(["0", "1", "9", " ", ".", "-", "\u00a0", "\u2013"]), max_size=30))
def test_normalising_keeps_every_digit_in_order_and_is_idempotent(chars: list[str]) -> None:
    typed = "".join(chars)
    assert normalise_pin(typed) == "".join(c for c in typed if c.isdigit())
    assert normalise_pin(normalise_pin(typed)) == normalise_pin(typed)


@pytest.mark.parametrize("typed", ["00107610803a", "001/076/108/037", "001_076_108_037"])
def test_what_is_not_a_separator_is_kept_for_the_parser_to_refuse(typed: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_pin(normalise_pin(typed))
    assert refused.value.code == "pin_malformed"
