from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dancu.db.admin import ReadOnlyAdmin
from dancu.exchange.models import (
    AccessRecord,
    AssessmentCriterion,
    AssessmentResult,
    ConnectedSystem,
    Delivery,
    Grant,
    Purpose,
    Subscription,
)


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
    list_display = ("code", "name", "name_en", "legal_basis")
    fields = ("code", "name", "name_en", "legal_basis", "event_types", "event_fields")


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


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Life-event subscriptions are grants: requested by the system (CLI or API), approved or suspended here."""

    list_display = ("id", "system", "name", "purpose", "channel", "status", "approved_at")
    list_filter = ("status", "channel", "purpose")
    search_fields = ("name", "system__client_id")
    readonly_fields = ("status", "status_reason", "start_sequence", "approved_at", "approved_by", "created_at")
    fields = (
        "system", "purpose", "name", "event_types", "fields", "provinces", "communes", "channel", "endpoint_url",
        *readonly_fields,
    )  # fmt: skip
    actions = ("approve", "suspend", "disable", "redrive")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # through the services, which check the grant and make the signing secret

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # a change of scope is a new request; status changes are the actions

    def has_operate_permission(self, request):  # type: ignore[no-untyped-def]
        return request.user.has_perm("exchange.change_subscription")

    def _each(self, request, queryset, change) -> None:  # type: ignore[no-untyped-def]
        from dancu.core.errors import DomainError

        for subscription in queryset.select_related("system", "purpose"):
            try:
                change(subscription)
            except DomainError as error:
                self.message_user(request, f"{subscription}: {error.message}", level="error")

    @admin.action(description=pgettext_lazy("life events", "Approve or resume"), permissions=["operate"])
    def approve(self, request, queryset):  # type: ignore[no-untyped-def]
        from dancu.exchange.subscriptions import approve_subscription

        self._each(request, queryset, lambda s: approve_subscription(s, by=request.user.get_username()))

    @admin.action(description=pgettext_lazy("life events", "Suspend"), permissions=["operate"])
    def suspend(self, request, queryset):  # type: ignore[no-untyped-def]
        from dancu.exchange.subscriptions import set_subscription_status

        self._each(request, queryset, lambda s: set_subscription_status(s, "suspended", reason="operator"))

    @admin.action(description=pgettext_lazy("life events", "Disable"), permissions=["operate"])
    def disable(self, request, queryset):  # type: ignore[no-untyped-def]
        from dancu.exchange.subscriptions import set_subscription_status

        self._each(request, queryset, lambda s: set_subscription_status(s, "disabled", reason="operator"))

    @admin.action(description=pgettext_lazy("life events", "Send the dead letters again"), permissions=["operate"])
    def redrive(self, request, queryset):  # type: ignore[no-untyped-def]
        from dancu.exchange.subscriptions import redrive

        self._each(request, queryset, redrive)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: read-only (redrive and replay through the subscription's actions, the CLI or the API)."""

    list_display = ("sequence", "subscription", "event_type", "status", "attempts", "last_error", "latency_ms")
    list_filter = ("status", "event_type")
    exclude = ("payload", "person_key")  # personal data stays out of the admin's pages
    show_full_result_count = False
