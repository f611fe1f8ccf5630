"""``{{ amount|vnd }}``: an amount in đồng with thousands separators in the page's language ("16.000 đ",
"16,000 VND"), wherever a fee or an allowance shows."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from dancu.core.money import format_vnd

register = template.Library()


@register.filter
def vnd(amount: Any) -> str:
    """The amount formatted for the active language; what is not a whole number of đồng is shown as it is."""
    try:
        value = int(str(amount).replace(",", "").replace(".", "")) if isinstance(amount, str) else int(amount)
    except (TypeError, ValueError):
        return "" if amount is None else str(amount)
    return format_vnd(value, get_language() or "vi")
