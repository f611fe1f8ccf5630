"""Small display helpers for registry pages."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from dancu.registry.choices import ETHNIC_GROUPS, Relationship

register = template.Library()

EVENT_LABELS = {
    "person.registered": _("Citizen data entered"),
    "birth.registered": _("Birth registration"),
    "residence.permanent.registered": _("Permanent residence registration"),
    "residence.permanent.removed": _("Permanent residence removed"),
    "residence.temporary.registered": _("Temporary residence registration"),
    "residence.temporary.ended": _("Temporary residence removed"),
    "marriage.registered": _("Marriage registration"),
    "name.changed": _("Name change"),
    "death.recorded": _("Death registration"),
}


@register.filter
def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))


@register.filter
def ethnicity_name(code: Any) -> str:
    try:
        return ETHNIC_GROUPS.get(int(code), "")
    except (TypeError, ValueError):
        return ""


@register.filter
def relationship_label(value: str) -> str:
    try:
        return str(Relationship(value).label)
    except ValueError:
        return value or "—"


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


@register.filter
def commune_label(code: Any, communes: dict[str, Any]) -> str:
    commune = communes.get(code) if isinstance(code, str) else None
    return f"{commune.name}, {commune.province.name}" if commune else (code or "—")


@register.filter
def vn_date(value: Any) -> str:
    """An ISO date string (as in the record dictionaries) written dd/mm/yyyy."""
    if not value:
        return ""
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[:4]}"
    return text


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``{{ names|get_item:code }}``: a dictionary value in a template."""
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
