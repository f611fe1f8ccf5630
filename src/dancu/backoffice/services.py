"""Officials' roles and the demo accounts."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

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
