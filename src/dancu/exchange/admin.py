from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from dancu.exchange.models import AccessRecord, AssessmentCriterion, AssessmentResult, ConnectedSystem, Grant, Purpose


class AssessmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AssessmentResult
    extra = 0
    fields = ("criterion", "met", "evidence", "reviewer", "reviewed_at")
    readonly_fields = ("reviewed_at",)


class GrantInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Grant
    extra = 0


@admin.register(ConnectedSystem)
class ConnectedSystemAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("client_id", "organisation", "name", "kind", "status", "updated_at")
    list_filter = ("kind", "status")
    search_fields = ("client_id", "organisation", "name")
    inlines = (AssessmentInline, GrantInline)
    readonly_fields = ("status",)  # changed through the approve / suspend actions, which check the assessment
    actions = ("approve", "suspend")

    @admin.action(description=_("Approve (only when every criterion is met)"))
    def approve(self, request, queryset):  # type: ignore[no-untyped-def]
        from dancu.core.errors import DomainError
        from dancu.exchange.services import approve_system

        for system in queryset:
            try:
                approve_system(system)
            except DomainError as error:
                self.message_user(request, f"{system.client_id}: {error.message}", level="error")

    @admin.action(description=_("Suspend"))
    def suspend(self, request, queryset):  # type: ignore[no-untyped-def]
        from dancu.exchange.services import set_status

        for system in queryset:
            set_status(system, "suspended")


@admin.register(Purpose)
class PurposeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "legal_basis")


@admin.register(AssessmentCriterion)
class AssessmentCriterionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "text", "order")


@admin.register(AccessRecord)
class AccessRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: access records are appended by the services that release data, never edited."""

    list_display = ("time", "channel", "organisation", "actor", "purpose")
    list_filter = ("channel",)
    date_hierarchy = "time"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
