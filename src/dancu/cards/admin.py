from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dancu.cards.models import IdentityCard


@admin.register(IdentityCard)
class IdentityCardAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "issued_on", "expires_on", "status")
    list_filter = ("status",)
    raw_id_fields = ("person",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
