"""Consistency checks of the static synthetic-population tables (pure data; no database)."""

import math
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from dancu.synth import tables as t

# DOMAIN.md §2: the 63 old province codes of the ID number and the 34 current province codes.
_OLD_CODES_TEXT = (
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 "
    "040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 "
    "083 084 086 087 089 091 092 093 094 095 096"
)
_CURRENT_CODES_TEXT = (
    "01 04 08 11 12 14 15 19 20 22 24 25 31 33 37 38 40 42 44 46 48 51 52 56 66 68 75 79 80 82 86 91 92 96"
)
OLD_CODES = set(_OLD_CODES_TEXT.split())
CURRENT_CODES = set(_CURRENT_CODES_TEXT.split())
SEXES = ("M", "F")
# Rough share of each cohort in the 2024 population, to check the overall four-word shares.
COHORT_POPULATION_SHARE = {"pre1960": 0.09, "1960_1979": 0.24, "1980_1999": 0.31, "2000_plus": 0.36}

WEIGHTED_TABLES: dict[str, Mapping[Any, tuple[tuple[Any, float], ...]]] = {
    "FAMILY_NAMES": t.FAMILY_NAMES,
    "MIDDLE_NAMES": t.MIDDLE_NAMES,
    "GIVEN_NAMES": t.GIVEN_NAMES,
    "SECOND_MIDDLE_NAMES": t.SECOND_MIDDLE_NAMES,
    "ETHNIC_FAMILY_NAMES": t.ETHNIC_FAMILY_NAMES,
    "ETHNIC_MIDDLE_NAMES": t.ETHNIC_MIDDLE_NAMES,
    "ETHNIC_GIVEN_NAMES": t.ETHNIC_GIVEN_NAMES,
    "RELIGIONS": t.RELIGIONS,
    "ETHNICITY_BY_OLD_PROVINCE": t.ETHNICITY_BY_OLD_PROVINCE,
}


def _cohort_keys() -> list[str]:
    return [key for _, _, key in t.COHORTS]


def _share(pairs: tuple[tuple[str, float], ...], value: str) -> float:
    total = sum(w for _, w in pairs)
    return sum(w for v, w in pairs if v == value) / total


def _strings(obj: object) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(obj, tuple | list | set | frozenset):
        for item in obj:
            yield from _strings(item)


def _national_share(by_region: dict[str, tuple[tuple[str, float], ...]], values: set[str]) -> float:
    """Share of `values` in a per-region table, weighted by the population of each region."""
    region_population = dict.fromkeys(t.REGIONS, 0)
    for code, (_, _, region) in t.OLD_PROVINCES.items():
        region_population[region] += t.OLD_PROVINCE_POPULATION[code]
    total = sum(region_population.values())
    result = 0.0
    for region, pairs in by_region.items():
        weight_sum = sum(w for _, w in pairs)
        result += region_population[region] / total * sum(w for v, w in pairs if v in values) / weight_sum
    return result


def test_old_provinces_cover_the_63_codes_and_map_to_current_provinces() -> None:
    assert set(t.OLD_PROVINCES) == OLD_CODES
    assert len(t.OLD_PROVINCES) == 63
    for code, (name, current, region) in t.OLD_PROVINCES.items():
        assert name, code
        assert current in CURRENT_CODES, code
        assert region in t.REGIONS, code
    assert {current for _, current, _ in t.OLD_PROVINCES.values()} == CURRENT_CODES
    # Spot checks against DOMAIN.md §2.
    assert t.OLD_PROVINCES["001"][:2] == ("Hà Nội", "01")
    assert t.OLD_PROVINCES["079"][1] == "79"
    assert t.OLD_PROVINCES["054"][1] == "66"
    assert t.OLD_PROVINCES["096"][:2] == ("Cà Mau", "96")
    assert len({name for name, _, _ in t.OLD_PROVINCES.values()}) == 63


def test_regions() -> None:
    assert t.REGIONS == ("north", "central", "south")
    assert {region for _, _, region in t.OLD_PROVINCES.values()} == set(t.REGIONS)
    assert t.OLD_PROVINCES["001"][2] == "north"
    assert t.OLD_PROVINCES["046"][2] == "central"
    assert t.OLD_PROVINCES["079"][2] == "south"


def test_population_total_and_coverage() -> None:
    assert set(t.OLD_PROVINCE_POPULATION) == OLD_CODES
    assert all(isinstance(p, int) and p > 100_000 for p in t.OLD_PROVINCE_POPULATION.values())
    total = sum(t.OLD_PROVINCE_POPULATION.values())
    assert abs(total - 101_000_000) <= 0.02 * 101_000_000
    # The two largest provinces are HCMC and Hà Nội.
    largest = sorted(t.OLD_PROVINCE_POPULATION, key=t.OLD_PROVINCE_POPULATION.__getitem__)[-2:]
    assert set(largest) == {"079", "001"}


def test_urban_share() -> None:
    assert set(t.URBAN_SHARE_BY_OLD_PROVINCE) == OLD_CODES
    assert all(0.0 < s < 1.0 for s in t.URBAN_SHARE_BY_OLD_PROVINCE.values())
    total = sum(t.OLD_PROVINCE_POPULATION.values())
    national = sum(t.OLD_PROVINCE_POPULATION[c] * s for c, s in t.URBAN_SHARE_BY_OLD_PROVINCE.items()) / total
    assert 0.34 <= national <= 0.42
    assert t.URBAN_SHARE_BY_OLD_PROVINCE["048"] > 0.8  # Đà Nẵng
    assert t.URBAN_SHARE_BY_OLD_PROVINCE["034"] < 0.2  # Thái Bình


def test_cohorts_are_contiguous_from_1900_to_2100() -> None:
    assert t.COHORTS[0][0] == 1900
    assert t.COHORTS[-1][1] == 2100
    for (_, end, _), (start, _, _) in zip(t.COHORTS, t.COHORTS[1:], strict=False):
        assert start == end + 1
    assert all(first <= last for first, last, _ in t.COHORTS)
    keys = _cohort_keys()
    assert len(set(keys)) == len(keys)


def test_weights_are_positive_and_values_unique() -> None:
    for table_name, table in WEIGHTED_TABLES.items():
        assert table, table_name
        for key, pairs in table.items():
            assert pairs, (table_name, key)
            values = [v for v, _ in pairs]
            assert len(values) == len(set(values)), (table_name, key)
            for value, weight in pairs:
                assert isinstance(weight, int | float), (table_name, key, value)
                assert math.isfinite(weight), (table_name, key, value)
                assert weight > 0, (table_name, key, value)


def test_family_names() -> None:
    assert set(t.FAMILY_NAMES) == set(t.REGIONS)
    for region, pairs in t.FAMILY_NAMES.items():
        assert len(pairs) >= 30, region
        assert pairs[0][0] == "Nguyễn", region
    # National shares (DOMAIN.md §9), weighted by region population.
    assert abs(_national_share(t.FAMILY_NAMES, {"Nguyễn"}) - 0.384) < 0.03
    assert abs(_national_share(t.FAMILY_NAMES, {"Trần"}) - 0.121) < 0.02
    assert abs(_national_share(t.FAMILY_NAMES, {"Lê"}) - 0.095) < 0.02
    assert abs(_national_share(t.FAMILY_NAMES, {"Hoàng", "Huỳnh"}) - 0.051) < 0.015
    assert abs(_national_share(t.FAMILY_NAMES, {"Vũ", "Võ"}) - 0.039) < 0.015
    # Regional variants.
    assert _share(t.FAMILY_NAMES["south"], "Huỳnh") > 5 * _share(t.FAMILY_NAMES["south"], "Hoàng")
    assert _share(t.FAMILY_NAMES["north"], "Hoàng") > 5 * _share(t.FAMILY_NAMES["north"], "Huỳnh")
    assert _share(t.FAMILY_NAMES["north"], "Vũ") > 5 * _share(t.FAMILY_NAMES["north"], "Võ")
    assert _share(t.FAMILY_NAMES["south"], "Võ") > 3 * _share(t.FAMILY_NAMES["south"], "Vũ")


def test_name_tables_cover_every_sex_and_cohort() -> None:
    expected = {(sex, cohort) for sex in SEXES for cohort in _cohort_keys()}
    assert set(t.MIDDLE_NAMES) == expected
    assert set(t.GIVEN_NAMES) == expected
    assert set(t.FOUR_WORD_SHARE) == expected
    assert set(t.SECOND_MIDDLE_NAMES) == set(SEXES)
    for key, pairs in t.GIVEN_NAMES.items():
        assert len(pairs) >= 40, key


def test_middle_names_follow_the_cohort_pattern() -> None:
    cohorts = _cohort_keys()
    assert _share(t.MIDDLE_NAMES[("M", cohorts[0])], "Văn") > 0.5
    assert _share(t.MIDDLE_NAMES[("M", cohorts[-1])], "Văn") < 0.03
    van = [_share(t.MIDDLE_NAMES[("M", c)], "Văn") for c in cohorts]
    thi = [_share(t.MIDDLE_NAMES[("F", c)], "Thị") for c in cohorts]
    assert van == sorted(van, reverse=True)
    assert thi == sorted(thi, reverse=True)
    for cohort in cohorts:
        pairs = t.MIDDLE_NAMES[("F", cohort)]
        top_two = {v for v, _ in sorted(pairs, key=lambda p: -p[1])[:2]}
        assert top_two == {"Thị", "Ngọc"}, cohort
        assert "Văn" not in {v for v, _ in pairs}
        assert "Thị" not in {v for v, _ in t.MIDDLE_NAMES[("M", cohort)]}


def test_young_female_given_names_use_domain_weights() -> None:
    pairs = dict(t.GIVEN_NAMES[("F", "2000_plus")])
    assert pairs["Anh"] == 7.1
    assert pairs["Vy"] == 5.7
    assert max(pairs, key=pairs.__getitem__) == "Anh"
    for name in ("Tuấn", "Hoàng", "Huy", "Hiếu", "Hùng", "Nam", "Sơn", "Đức", "Dũng"):
        assert name in dict(t.GIVEN_NAMES[("M", "1980_1999")]), name


def test_four_word_share() -> None:
    cohorts = _cohort_keys()
    for sex in SEXES:
        shares = [t.FOUR_WORD_SHARE[(sex, c)] for c in cohorts]
        assert all(0.0 < s < 1.0 for s in shares)
        assert shares == sorted(shares), sex  # older cohorts have fewer four-word names
    overall = {sex: sum(COHORT_POPULATION_SHARE[c] * t.FOUR_WORD_SHARE[(sex, c)] for c in cohorts) for sex in SEXES}
    assert abs(overall["M"] - 0.26) < 0.03
    assert abs(overall["F"] - 0.65) < 0.03


def test_second_middle_names() -> None:
    for sex in SEXES:
        values = {v for v, _ in t.SECOND_MIDDLE_NAMES[sex]}
        assert len(values) >= 20
        assert not values & {"Văn", "Thị"}


def test_ethnicity_by_old_province() -> None:
    assert set(t.ETHNICITY_BY_OLD_PROVINCE) == OLD_CODES
    total_population = sum(t.OLD_PROVINCE_POPULATION.values())
    kinh = 0.0
    for code, pairs in t.ETHNICITY_BY_OLD_PROVINCE.items():
        assert abs(sum(s for _, s in pairs) - 1.0) <= 0.001, code
        assert all(isinstance(e, int) and 1 <= e <= 54 for e, _ in pairs), code
        kinh += t.OLD_PROVINCE_POPULATION[code] * dict(pairs).get(1, 0.0)
    assert 0.83 <= kinh / total_population <= 0.87
    # Spot checks against the 2019 census (see the brief).
    assert dict(t.ETHNICITY_BY_OLD_PROVINCE["001"])[1] > 0.95  # Hà Nội, Kinh
    ha_giang = dict(t.ETHNICITY_BY_OLD_PROVINCE["002"])
    assert max(ha_giang, key=ha_giang.__getitem__) == 8  # Mông
    assert 0.25 <= dict(t.ETHNICITY_BY_OLD_PROVINCE["094"])[5] <= 0.35  # Sóc Trăng, Khmer
    assert 0.25 <= dict(t.ETHNICITY_BY_OLD_PROVINCE["064"])[10] <= 0.35  # Gia Lai, Gia Rai
    assert 0.10 <= dict(t.ETHNICITY_BY_OLD_PROVINCE["058"])[17] <= 0.15  # Ninh Thuận, Chăm
    assert 0.03 <= dict(t.ETHNICITY_BY_OLD_PROVINCE["079"])[4] <= 0.05  # HCMC, Hoa


def test_ethnic_groups_and_minority_naming_tables() -> None:
    assert set(t.ETHNIC_GROUPS) == set(range(1, 55))
    assert t.ETHNIC_GROUPS[1] == "Kinh"
    assert t.ETHNIC_GROUPS[54] == "Rơ Măm"
    assert all(1 <= code <= 54 for code in t.ETHNIC_FAMILY_NAMES)
    assert 1 not in t.ETHNIC_FAMILY_NAMES  # Kinh uses FAMILY_NAMES
    for table in (t.ETHNIC_MIDDLE_NAMES, t.ETHNIC_GIVEN_NAMES, t.NO_MIDDLE_SHARE):
        for code, sex in table:
            assert 1 <= code <= 54
            assert sex in SEXES
    assert all(0.0 <= s < 1.0 for s in t.NO_MIDDLE_SHARE.values())
    assert all(1 <= code <= 54 for code in t.FAMILY_NAME_LAST_ETHNIC_CODES)
    middle_words = {v for pairs in t.ETHNIC_MIDDLE_NAMES.values() for v, _ in pairs}
    assert middle_words >= t.ATTACHED_PREFIXES
    # Examples from the brief.
    assert {"Giàng", "Sùng", "Vàng", "Thào", "Lý", "Hầu", "Mùa"} <= {v for v, _ in t.ETHNIC_FAMILY_NAMES[8]}
    assert {"Thạch", "Danh", "Sơn", "Kim", "Lâm", "Chau"} <= {v for v, _ in t.ETHNIC_FAMILY_NAMES[5]}
    assert {"Lò", "Lường", "Quàng", "Cầm", "Vi"} <= {v for v, _ in t.ETHNIC_FAMILY_NAMES[3]}
    assert "A" in dict(t.ETHNIC_MIDDLE_NAMES[(8, "M")])
    assert 12 in t.FAMILY_NAME_LAST_ETHNIC_CODES


def test_religions() -> None:
    assert set(t.RELIGIONS) == set(t.REGIONS)
    for region, pairs in t.RELIGIONS.items():
        assert abs(sum(s for _, s in pairs) - 1.0) <= 0.001, region
        assert pairs[0][0] == "Không", region
    assert 0.84 <= _national_share(t.RELIGIONS, {"Không"}) <= 0.88
    assert "Phật giáo Hòa Hảo" in dict(t.RELIGIONS["south"])
    assert "Phật giáo Hòa Hảo" not in dict(t.RELIGIONS["north"])


def test_all_strings_are_nfc_and_trimmed() -> None:
    public = {name: getattr(t, name) for name in dir(t) if name.isupper()}
    strings = [s for value in public.values() for s in _strings(value)]
    assert len(strings) > 1000
    for s in strings:
        assert s, "empty string"
        assert unicodedata.is_normalized("NFC", s), repr(s)
        assert s == s.strip(), repr(s)
        assert "  " not in s, repr(s)
