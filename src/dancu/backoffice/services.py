"""Officials' roles and the demo accounts."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.db.models import Count

from dancu.accounts.demo import citizens_file
from dancu.accounts.models import AreaLevel, Official, OfficialAgency
from dancu.geo.models import Commune, Era
from dancu.registry.models import Person

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
        ),
    ),
}  # fmt: skip

DEMO_OFFICIALS = (
    ("hotich", "Nguyễn Thị Hồng", "civil_status_officer"),
    ("cutru", "Trần Văn Minh", "residence_officer"),
    ("tracuu", "Lê Thu Hà", "viewer"),
    ("vanhanh", "Phạm Quốc Bảo", "operator"),
    ("bhxh", "Võ Thị Thanh", "social_insurance_officer"),
)

#: Each demo official's agency and area level: the commune officers work in the demo citizens' commune, social
#: insurance and the viewer for its province, the operator nationally.
DEMO_BINDINGS = {
    "hotich": (OfficialAgency.COMMUNE_CIVIL_STATUS, AreaLevel.COMMUNE),
    "cutru": (OfficialAgency.COMMUNE_POLICE, AreaLevel.COMMUNE),
    "tracuu": (OfficialAgency.POPULATION_REGISTRY, AreaLevel.PROVINCE),
    "vanhanh": (OfficialAgency.POPULATION_REGISTRY, AreaLevel.NATIONAL),
    "bhxh": (OfficialAgency.SOCIAL_INSURANCE, AreaLevel.PROVINCE),
}

#: Which agency's dossiers each role works on (the officers' queues).
ROLE_AGENCY = {
    "civil_status_officer": "commune_civil_status",
    "residence_officer": "commune_police",
    "social_insurance_officer": "social_insurance",
}


def credentials_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-officials.json"


@transaction.atomic
def ensure_roles() -> dict[str, Group]:
    groups = {}
    for key, (name, perms) in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
        groups[key] = group
    return groups


@transaction.atomic
def ensure_demo_officials() -> dict[str, str]:
    """Create the demo officials once with random passwords (kept in var/, never in the repository)."""
    groups = ensure_roles()
    path = credentials_file()
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    for username, full_name, role in DEMO_OFFICIALS:
        user = User.objects.filter(username=username).first()
        if user is None or username not in known:
            password = secrets.token_urlsafe(9)
            family, _, given = full_name.partition(" ")
            user = user or User(username=username)
            user.first_name, user.last_name = given, family
            user.is_staff = role in ("civil_status_officer", "operator")
            user.set_password(password)
            user.save()
            known[username] = password
        user.groups.set([groups[role]])
    commune = demo_commune()
    if commune is not None:
        for username, (agency, level) in DEMO_BINDINGS.items():
            Official.objects.update_or_create(
                user=User.objects.get(username=username),
                defaults={
                    "agency": agency,
                    "level": level,
                    "commune": commune if level == AreaLevel.COMMUNE else None,
                    "province": commune.province if level == AreaLevel.PROVINCE else None,
                },
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(known, indent=2))
    path.chmod(0o600)
    return known


def demo_commune() -> Commune | None:
    """The commune of the demo's level-1 citizen (``dancu demo_citizens`` runs first), else the current commune with
    the most households; ``None`` in an empty registry."""
    path = citizens_file()
    if path.exists():
        pin = json.loads(path.read_text())["level1"]["pin"]
        person = Person.objects.select_related("household__commune__province").filter(pin=pin).first()
        if person is not None and person.household is not None:
            return person.household.commune
    return (
        Commune.objects.select_related("province")
        .filter(era=Era.CURRENT)
        .annotate(households_count=Count("households"))
        .filter(households_count__gt=0)
        .order_by("-households_count", "code")
        .first()
    )


# --- officials' views of a person's data, recorded for that person ---------------------------------------------------

#: What the back office's pages show of a person (field codes of exchange.choices.DATA_NAMES).
PERSON_PAGE_DATA = (
    "pin", "full_name", "birth_date", "sex", "place_of_origin", "ethnicity", "religion", "nationality",
    "permanent_address", "household", "residence_history", "record_history", "id_card", "eid_account",
)  # fmt: skip
HOUSEHOLD_PAGE_DATA = ("pin", "full_name", "birth_date", "household", "permanent_address")
#: A reused piece of a dossier ("mother.residence") as a field code.
_REUSED_DATA = {"residence": "permanent_address"}
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
    from django.utils import translation

    from dancu.procedures.models import Agency

    name = " ".join(part for part in (user.last_name, user.first_name) if part)  # Vietnamese order: family first
    profile = getattr(user, "official", None)  # an official's own agency and area, where officials carry them
    office = getattr(profile, "office_name", None)
    if office:
        with translation.override(settings.LANGUAGE_CODE):  # the office's name as it signs, whoever reads it later
            return OfficialIdentity(organisation=str(office), name=name or user.username)
    by_name = {label: role for role, (label, _perms) in ROLES.items()}
    roles = [by_name[g] for g in user.groups.values_list("name", flat=True) if g in by_name]
    offices = [Agency(ROLE_AGENCY[r]).label if r in ROLE_AGENCY else ROLES[r][0] for r in roles]
    if not offices:
        offices = ["Quản trị hệ thống"] if user.is_superuser else ["Cơ quan quản lý dân cư"]
    return OfficialIdentity(organisation=", ".join(sorted(set(offices))), name=name or user.username)


def record_official_view(
    user: User, pins: Iterable[str], *, purpose: str, fields: Iterable[str], reference: str = ""
) -> int:
    """An official opened a page showing these people's data (``purpose``: ``person_record``, ``household_record``,
    ``dossier`` with its number as ``reference``): one access record per person, each shown in that person's
    "who accessed my data". The same view again within :data:`SAME_VIEW` is not recorded twice. Returns how many
    records were written."""
    from django.utils import timezone

    from dancu.exchange.access import AccessChannel, pin_hmac_hex, record_access
    from dancu.exchange.models import AccessRecord

    official = official_identity(user)
    fields = sorted(set(fields))
    written = 0
    since = timezone.now() - SAME_VIEW
    for pin in sorted(set(pins)):
        recent = AccessRecord.objects.filter(
            pin_hmac=pin_hmac_hex(pin), channel=AccessChannel.BACK_OFFICE, time__gte=since, actor=official.name,
            organisation=official.organisation[:200], purpose=purpose, reference=reference[:100],
        )  # fmt: skip
        if recent.exists():
            continue
        record_access(
            pin, channel=AccessChannel.BACK_OFFICE, organisation=official.organisation, actor=official.name,
            purpose=purpose, fields=fields, reference=reference,
        )  # fmt: skip
        written += 1
    return written


def record_dossier_view(user: User, dossier: Any) -> int:
    """An official opened a dossier: recorded for the applicant (the dossier's content), and for each person whose
    registry data the dossier re-used (that data), with the dossier's number."""
    from dancu.registry.models import Person

    written = 0
    applicant = getattr(dossier.applicant, "person", None)
    if applicant is not None:
        written += record_official_view(user, [applicant.pin], purpose="dossier", fields=["dossier"],
                                        reference=dossier.number)  # fmt: skip
    for reuse in dossier.reuses.filter(source="registry.person"):
        pin = Person.objects.filter(pk=reuse.reference).values_list("pin", flat=True).first()
        if pin is not None:
            written += record_official_view(user, [pin], purpose="dossier", fields=reused_data(reuse.fields),
                                            reference=dossier.number)  # fmt: skip
    return written


def reused_data(fields: Iterable[str]) -> list[str]:
    """A dossier's reused field names ("mother.full_name") as field codes ("full_name")."""
    codes = (name.rpartition(".")[2] for name in fields)
    return sorted({_REUSED_DATA.get(code, code) for code in codes})
