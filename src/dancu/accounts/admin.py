"""Accounts in the admin: read-only for support staff (changes go through the services: level 2 from the back
office, credentials by the holder). OpenID Connect clients are managed in django-oauth-toolkit's own admin pages
(Applications), or with ``dancu oidc_client``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from dancu.accounts.models import Account, OfficerDevice, Official, SecurityEvent


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ("id", "level", "status", "created_at", "level2_activated_at")
    list_filter = ("level", "status")
    exclude = ("user",)
    raw_id_fields = ("person", "guardian")


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnly):
    list_display = ("at", "kind", "account", "ip_prefix")
    list_filter = ("kind",)
    raw_id_fields = ("account",)


@admin.register(Official)
class OfficialAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Which agency and area each back-office user works for (editable: officials move between offices)."""

    list_display = ("user", "agency", "level", "commune", "province", "office")
    list_filter = ("agency", "level")
    search_fields = ("user__username", "user__last_name", "user__first_name", "office")
    raw_id_fields = ("user", "commune", "province")


@admin.register(OfficerDevice)
class OfficerDeviceAdmin(ReadOnly):
    """Devices enrolled for the offline workspace: read-only, revoked with the action (``dancu offline_devices``)."""

    list_display = ("id", "user", "label", "enrolled_at", "last_sync_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "label")
    exclude = ("public_key",)
    actions = ("revoke",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("accounts.change_officerdevice"))

    @admin.action(description=_("Revoke the selected devices"), permissions=["change"])
    def revoke(self, request, queryset):  # type: ignore[no-untyped-def]
        from dancu.accounts.services import devices

        for device in queryset:
            devices.revoke(device.pk, by=request.user.get_username())
        self.message_user(request, _("Revoked."))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("user", "label", "enrolled_at", "last_sync_at", "revoked_at", "revoked_by")
