from __future__ import annotations

import pytest

from dancu.core.errors import DomainError
from dancu.geo.models import Commune, CommuneSuccession, District, Province
from dancu.geo.services import load_administrative_units, resolve_current_commune

pytestmark = pytest.mark.django_db


def test_counts_match_the_statistics_office_list() -> None:
    assert Province.objects.filter(era="current").count() == 34
    assert Province.objects.filter(era="legacy").count() == 63
    assert Commune.objects.filter(era="current").count() == 3321
    assert District.objects.count() == 696
    assert Commune.objects.filter(era="legacy").count() > 10_000
    kinds = dict(
        (k, Commune.objects.filter(era="current", division_type=k).count()) for k in ("xã", "phường", "đặc khu")
    )
    assert kinds == {"xã": 2621, "phường": 687, "đặc khu": 13}


def test_loading_again_changes_nothing() -> None:
    before = (Province.objects.count(), Commune.objects.count(), CommuneSuccession.objects.count())
    report = load_administrative_units()
    assert (report.provinces, report.communes, report.successions) == before


def test_old_commune_resolves_to_current_unit() -> None:
    current = resolve_current_commune("00001", era="legacy")  # Phường Phúc Xá, Ba Đình (legacy)
    assert current.era == "current"
    assert current.province.code == "01"
    assert resolve_current_commune("00004").code == "00004"


def test_split_commune_is_ambiguous_and_unknown_is_refused() -> None:
    split = CommuneSuccession.objects.filter(partly=True).values_list("legacy__code", flat=True).first()
    with pytest.raises(DomainError, match="commune_ambiguous"):
        resolve_current_commune(split, era="legacy")
    with pytest.raises(DomainError, match="commune_unknown"):
        resolve_current_commune("99999")
