"""Officials' agency and area (``accounts.Official``, ``accounts.services.officials``): the area matches its
level, the office is named from agency and area, the demo officers are bound, the admin edits the binding."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import translation

from dancu.accounts.models import Official, OfficialAgency
from dancu.accounts.services import officials
from dancu.backoffice.services import ensure_demo_officials
from dancu.core.errors import DomainError
from dancu.geo.models import Commune, Era, Province
from dancu.procedures.models import Agency
from tests import factories

pytestmark = pytest.mark.django_db


def _commune(code: str = factories.HANOI_BA_DINH) -> Commune:
    return Commune.objects.get(era=Era.CURRENT, code=code)


def test_the_dossier_agencies_are_official_agencies() -> None:
    assert set(Agency.values) <= set(OfficialAgency.values)


def test_the_area_matches_the_level() -> None:
    user = factories.official("mismatch")
    with pytest.raises(ValidationError):
        Official(user=user, agency="commune_police", level="commune").clean()
    legacy = Commune.objects.filter(era=Era.LEGACY).first()
    with pytest.raises(ValidationError):
        Official(user=user, agency="commune_police", level="commune", commune=legacy).clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Official.objects.create(user=user, agency="commune_police", level="national", commune=_commune())


def test_the_office_is_named_from_agency_and_area() -> None:
    hanoi = Province.objects.get(era=Era.CURRENT, code="01")
    with translation.override("vi"):
        assert Official(agency="commune_civil_status", level="commune", commune=_commune()).office_name == (
            "UBND Phường Ba Đình"
        )
        assert Official(agency="social_insurance", level="province", province=hanoi).office_name == (
            "Bảo hiểm xã hội Thành phố Hà Nội"
        )
        assert Official(
            agency="commune_police", level="commune", commune=_commune(), office="Công an P.BĐ"
        ).office_name == ("Công an P.BĐ")
        user = factories.official("hong", role="civil_status_officer", first_name="Thị Hồng", last_name="Nguyễn")
        assert officials.describe(user) == "Cán bộ Nguyễn Thị Hồng, UBND Phường Ba Đình"
    with translation.override("en"):
        assert officials.describe(user) == "Official Nguyễn Thị Hồng, People's Committee of Phường Ba Đình"


def test_an_unbound_official_is_refused_and_a_superuser_is_national() -> None:
    with pytest.raises(DomainError) as refused:
        officials.official_of(factories.official("nobody"))
    assert (refused.value.code, refused.value.status) == ("official_not_bound", 403)
    root = User.objects.create_superuser("root-o", password="a-long-test-password")
    assert officials.area_communes(officials.official_of(root)) is None


def test_the_demo_officers_are_bound_to_the_demo_citizens_commune(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    citizen = factories.person(residence=factories.HANOI_OTHER)
    (tmp_path / "demo-citizens.json").write_text(json.dumps({"level1": {"pin": citizen.pin}}))
    ensure_demo_officials()
    bound = {o.user.username: o for o in Official.objects.select_related("user", "commune", "province")}
    assert bound["hotich"].commune.code == bound["cutru"].commune.code == factories.HANOI_OTHER
    assert bound["bhxh"].province.code == "01" and bound["bhxh"].agency == "social_insurance"
    assert bound["vanhanh"].level == "national"


def test_the_admin_edits_an_officials_binding(client: Client) -> None:
    official = Official.objects.get(user=factories.official("moved", role="residence_officer"))
    client.force_login(User.objects.create_superuser("root-a", password="a-long-test-password"))
    page = client.get(f"/admin/accounts/official/{official.pk}/change/")
    assert page.status_code == 200
    response = client.post(
        f"/admin/accounts/official/{official.pk}/change/",
        {"user": official.user_id, "agency": "commune_police", "level": "commune",
         "commune": _commune(factories.HANOI_OTHER).pk, "province": "", "office": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    official.refresh_from_db()
    assert official.commune.code == factories.HANOI_OTHER
