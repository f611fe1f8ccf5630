"""The demo officials, and the record of what an official opened in the back office (a person, a household, a
dossier). Roles, identities and the record itself are the accounts app's (``accounts.services.official_views``)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.db.models import Count

from dancu.accounts.demo import citizens_file
from dancu.accounts.models import AreaLevel, Official, OfficialAgency
from dancu.accounts.services.official_views import (  # noqa: F401  (re-exported: the back office's names)
    ROLE_AGENCY,
    ROLES,
    SAME_VIEW,
    OfficialIdentity,
    official_identity,
    record_official_view,
)
from dancu.geo.models import Commune, Era
from dancu.registry.models import Person

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
