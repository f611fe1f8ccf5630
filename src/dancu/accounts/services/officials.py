"""Officials' scope (phạm vi): each official works for one agency within one area — a commune, a province, or the
whole country — and sees and acts on people, households and dossiers of that area only.

Refusals are :class:`~dancu.core.errors.DomainError` with stable codes: ``official_not_bound`` (a back-office user
without an agency and area), ``person_out_of_area``, ``household_out_of_area``. The dossiers' own checks are in
:mod:`dancu.procedures.desk`, built on :func:`area_communes`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from dancu.accounts.models import AreaLevel, Official, OfficialAgency
from dancu.core.errors import DomainError, NotFound
from dancu.geo.models import Commune, Era
from dancu.registry import presenters
from dancu.registry.models import Household, PermanentResidence, Person

NATIONAL = Official(agency="", level=AreaLevel.NATIONAL)
"""What a superuser without an official's profile is bound to (every agency, the whole country)."""


def official_of(user: Any) -> Official:
    """The signed-in user's agency and area; a superuser without a profile is national. Anyone else without one is
    refused (``official_not_bound``, 403): an unbound official would otherwise see everything or nothing silently."""
    official = Official.objects.select_related("commune__province", "province").filter(user_id=user.pk).first()
    if official is not None:
        return official
    if getattr(user, "is_superuser", False):
        return NATIONAL
    raise DomainError(
        "official_not_bound",
        _("Your account is not bound to an agency and an area yet; ask the administrator."),
        status=403,
    )


def agencies(official: Official) -> set[str]:
    """The agencies whose work this official may do (a superuser's national profile: all)."""
    if official is NATIONAL:
        return {a.value for a in OfficialAgency}
    return {official.agency}


def area_communes(official: Official) -> QuerySet[Commune] | None:
    """The current communes of the official's area; ``None`` for the whole country."""
    if official.level == AreaLevel.COMMUNE:
        return Commune.objects.filter(pk=official.commune_id)
    if official.level == AreaLevel.PROVINCE:
        return Commune.objects.filter(era=Era.CURRENT, province_id=official.province_id)
    return None


def area_commune_codes(official: Official) -> list[str] | None:
    """The codes of :func:`area_communes` (``None``: the whole country)."""
    communes = area_communes(official)
    return None if communes is None else list(communes.values_list("code", flat=True))


def in_area(official: Official, commune_code: str) -> bool:
    if official.level == AreaLevel.COMMUNE:
        return official.commune is not None and official.commune.code == commune_code
    if official.level == AreaLevel.PROVINCE:
        return Commune.objects.filter(era=Era.CURRENT, province_id=official.province_id, code=commune_code).exists()
    return True


def people_in_area(official: Official, people: QuerySet[Person] | None = None) -> QuerySet[Person]:
    """People whose household, or a permanent residence (ended ones too: the deceased, people who moved away), is
    in the official's area."""
    people = Person.objects.all() if people is None else people
    communes = area_communes(official)
    if communes is None:
        return people
    return people.filter(_of_communes(communes))


def _of_communes(communes: QuerySet[Commune]) -> Q:
    # A person of these communes: their household is there, or a permanent residence is or was.
    lived_here = PermanentResidence.objects.filter(person=OuterRef("pk"), commune__in=communes)
    return Q(household__commune__in=communes) | Q(Exists(lived_here))


def search_people(
    official: Official, *, name: str = "", birth_date: date | None = None, commune: str = ""
) -> QuerySet[Person]:
    """The name search of the back office within the official's area (any word of the name, diacritics-free:
    ``registry.presenters.people_matching``), sorted for paging."""
    return people_in_area(official, presenters.people_matching(name=name, birth_date=birth_date, commune=commune))


def person_for(official: Official, person_id: int) -> Person:
    """The person with their record's links (:func:`~dancu.registry.presenters.people_with_links`), asked once:
    ``person_not_found`` (404) when there is no such person, ``person_out_of_area`` (403) when they are not of the
    official's area (the area is a column of the same query)."""
    people = presenters.people_with_links().filter(pk=person_id)
    communes = area_communes(official)
    if communes is not None:
        people = people.annotate(in_area=ExpressionWrapper(_of_communes(communes), BooleanField()))
    person = people.first()
    if person is None:
        raise NotFound("person_not_found", "No person with this personal ID number.")
    if communes is not None and not person.in_area:
        raise DomainError("person_out_of_area", _("This person's record is outside the area you work for."), status=403)
    return person


def check_person_pin(official: Official, pin: str) -> None:
    """Refused unless the person with ``pin`` is of the official's area. An official of a commune or a province is
    answered ``person_out_of_area`` (403) whether the person lives elsewhere or does not exist, so that the answer
    never tells them that a PIN exists outside their area; a national official is not refused here (the caller
    answers ``person_not_found`` for a PIN nobody has)."""
    if area_communes(official) is None:
        return
    if not people_in_area(official, Person.objects.filter(pin=pin)).exists():
        raise DomainError(
            "person_out_of_area", _("No person with this ID number in the area you work for."), status=403
        )


def household_in_area(official: Official, number: str) -> Household | None:
    """The household numbered ``number`` if it is of the official's area. Like :func:`check_person_pin`, a scoped
    official is refused with ``household_out_of_area`` (403) for a household elsewhere and for one that does not
    exist; for a national official ``None`` means there is no such household."""
    household = Household.objects.select_related("commune__province", "head").filter(number=number).first()
    communes = area_communes(official)
    if communes is not None and (household is None or not communes.filter(pk=household.commune_id).exists()):
        raise DomainError("household_out_of_area", _("This household is outside the area you work for."), status=403)
    return household


def check_household(official: Official, household: Household) -> None:
    communes = area_communes(official)
    if communes is not None and not communes.filter(pk=household.commune_id).exists():
        raise DomainError("household_out_of_area", _("This household is outside the area you work for."), status=403)


def area_label(official: Official) -> str:
    """The area in words: "Phường Ba Đình, Thành phố Hà Nội", "Thành phố Hà Nội", "Toàn quốc"."""
    if official.level == AreaLevel.COMMUNE and official.commune is not None:
        return f"{official.commune.name}, {official.commune.province.name}"
    if official.level == AreaLevel.PROVINCE and official.province is not None:
        return official.province.name
    return _("Nationwide")


def describe(user: Any) -> str:
    """An official as the dossier's history names them: "Cán bộ Nguyễn Thị Hồng, UBND Phường Ba Đình"."""
    name = f"{user.last_name} {user.first_name}".strip() or user.get_username()
    official = Official.objects.select_related("commune", "province").filter(user_id=user.pk).first()
    if official is None:
        return _("Official %(name)s") % {"name": name}
    return _("Official %(name)s, %(office)s") % {"name": name, "office": official.office_name}
