"""Officials' roles, who an official is to the people whose data they read, and the record of each read.

Every door that shows an official a person's data (the back office's pages, the officials' web API) records it here,
so that the person sees it in "who accessed my data" with the official's office and name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone, translation

from dancu.accounts.models import OfficialAgency
from dancu.accounts.services import officials
from dancu.core.errors import DomainError
from dancu.exchange.access import AccessChannel, pin_hmac_hex, record_access
from dancu.exchange.models import AccessRecord
from dancu.geo.services import resolve_current_commune
from dancu.registry.models import Household, Person

#: role -> (Vietnamese name, permissions as app_label.codename)
ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "civil_status_officer": (
        "Cán bộ tư pháp - hộ tịch",
        (
            "registry.view_person", "registry.add_person", "registry.change_person", "registry.view_household",
            "events.view_event", "procedures.view_dossier", "procedures.change_dossier",
        ),
    ),
    "residence_officer": (
        "Cán bộ đăng ký cư trú",
        (
            "registry.view_person", "registry.change_person", "registry.view_household", "events.view_event",
            "accounts.view_account", "accounts.change_account", "procedures.view_dossier", "procedures.change_dossier",
        ),
    ),
    "social_insurance_officer": (
        "Cán bộ bảo hiểm xã hội",
        ("registry.view_person", "registry.view_household", "procedures.view_dossier", "procedures.change_dossier"),
    ),
    "viewer": ("Cán bộ tra cứu", ("registry.view_person", "registry.view_household")),
    "operator": (
        "Quản trị kết nối",
        (
            "exchange.view_connectedsystem", "exchange.add_connectedsystem", "exchange.change_connectedsystem",
            "exchange.view_assessmentresult", "exchange.add_assessmentresult", "exchange.change_assessmentresult",
            "exchange.view_grant", "exchange.add_grant", "exchange.change_grant", "exchange.delete_grant",
            "exchange.view_purpose", "exchange.add_purpose", "exchange.change_purpose",
            "exchange.view_assessmentcriterion", "exchange.add_assessmentcriterion",
            "exchange.change_assessmentcriterion", "events.view_event", "events.view_consumeroffset",
            "insights.view_scoreboard",
        ),
    ),
    # Leaders (lãnh đạo) of a commune, a province or a ministry: the programme's scoreboard of their area.
    "leader": ("Lãnh đạo", ("insights.view_scoreboard",)),
}  # fmt: skip

#: Which agency's dossiers each role works on (the officers' queues).
ROLE_AGENCY = {
    "civil_status_officer": "commune_civil_status",
    "residence_officer": "commune_police",
    "social_insurance_officer": "social_insurance",
}


#: The same official opening the same page about the same person again within this time is one view, not many
#: (reloads, the "as of" date of the history).
SAME_VIEW = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class OfficialIdentity:
    """Who an official is, as the person whose data they open reads it: their office, and their name."""

    organisation: str
    name: str


def official_identity(user: User) -> OfficialIdentity:
    """The office and name of the signed-in official: the office of their own agency and area when they carry one
    (``user.official.office_name``, e.g. "UBND Phường Ba Đình"), else the agency of their role (or the role's
    name). This one function is where the official's office comes from."""
    name = " ".join(part for part in (user.last_name, user.first_name) if part)  # Vietnamese order: family first
    profile = getattr(user, "official", None)  # an official's own agency and area, where officials carry them
    office = getattr(profile, "office_name", None)
    if office:
        with translation.override(settings.LANGUAGE_CODE):  # the office's name as it signs, whoever reads it later
            return OfficialIdentity(organisation=str(office), name=name or user.username)
    by_name = {label: role for role, (label, _perms) in ROLES.items()}
    roles = [by_name[g] for g in user.groups.values_list("name", flat=True) if g in by_name]
    offices = [OfficialAgency(ROLE_AGENCY[r]).label if r in ROLE_AGENCY else ROLES[r][0] for r in roles]
    if not offices:
        offices = ["Quản trị hệ thống"] if user.is_superuser else ["Cơ quan quản lý dân cư"]
    return OfficialIdentity(organisation=", ".join(sorted(set(offices))), name=name or user.username)


def record_official_view(
    user: User, pins: Iterable[str], *, purpose: str, fields: Iterable[str], reference: str = ""
) -> int:
    """An official opened a page showing these people's data (``purpose``: ``person_record``, ``household_record``,
    ``dossier`` with its number as ``reference``): one access record per person, each shown in that person's
    "who accessed my data". The same view (the same data) again within :data:`SAME_VIEW` is not recorded twice;
    other data of the same person is. Returns how many records were written."""
    official = official_identity(user)
    fields = sorted(set(fields))
    written = 0
    since = timezone.now() - SAME_VIEW
    for pin in sorted(set(pins)):
        recent = AccessRecord.objects.filter(
            pin_hmac=pin_hmac_hex(pin), channel=AccessChannel.BACK_OFFICE, time__gte=since, actor=official.name,
            organisation=official.organisation[:200], purpose=purpose, reference=reference[:100], fields=fields,
        )  # fmt: skip
        if recent.exists():
            continue
        record_access(
            pin, channel=AccessChannel.BACK_OFFICE, organisation=official.organisation, actor=official.name,
            purpose=purpose, fields=fields, reference=reference,
        )  # fmt: skip
        written += 1
    return written


class OfficialAreaScope:
    """The officials' web API (``registry.api.common.AreaScope``), kept within each official's area by the rules the
    back office follows (:mod:`dancu.accounts.services.officials`), its reads recorded as the back office's views are
    (:func:`record_official_view`).

    Writes follow who registers what in law: a birth at the commune where it is registered (Law on Civil Status
    2014 art. 13), a permanent or temporary residence at the place of that residence, so a move from another
    province is registered by the office of the destination (Law on Residence 2020 art. 22, 28), its removal by the
    office where it is registered (art. 24); a marriage where either party lives (Law on Civil Status art. 17), a
    death, a change of name of a person of the area; the initial load of people into the registry by a national
    official only."""

    def check_person(self, user: User, pin: str) -> None:
        officials.check_person_pin(officials.official_of(user), pin)

    def people(self, user: User) -> QuerySet[Person]:
        return officials.people_in_area(officials.official_of(user))

    def household(self, user: User, number: str) -> Household | None:
        return officials.household_in_area(officials.official_of(user), number)

    def check_event_log(self, user: User) -> None:
        # The log carries every person's changes: only an official of the whole country reads it whole.
        if officials.area_communes(officials.official_of(user)) is not None:
            raise DomainError(
                "event_log_national_only",
                "The event log covers the whole country: only a national official reads it.",
                status=403,
            )

    def viewed(self, user: User, pins: Iterable[str], *, purpose: str, fields: Iterable[str]) -> None:
        record_official_view(user, pins, purpose=purpose, fields=fields)

    def check_registers_in(self, user: User, commune: str, *, era: str = "current") -> None:
        official = officials.official_of(user)
        if officials.area_communes(official) is None:
            return
        try:
            current = resolve_current_commune(commune, era=era).code
        except DomainError:
            # No such commune: the service answers that (commune_not_found) and writes nothing.
            return
        if not officials.in_area(official, current):
            raise DomainError(
                "commune_out_of_area",
                "This commune is outside the area you work for: its own office registers what happens there.",
                status=403,
                field="commune",
            )

    def check_initial_load(self, user: User) -> None:
        if officials.area_communes(officials.official_of(user)) is not None:
            raise DomainError(
                "initial_load_national_only",
                "Only a national official loads people who are not in the registry yet.",
                status=403,
            )
