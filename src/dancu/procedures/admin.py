"""The catalogue is edited in the admin (procedures and groups are data); dossiers are read-only here: officials act
on them through the services, which record every transition."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dancu.procedures.models import Case, Dossier, Procedure, ProcedureGroup, Transition


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name_vi", "agency", "level", "deadline_days", "deadline_days_verification", "active")
    list_filter = ("agency", "level", "active")
    search_fields = ("code", "name_vi", "name_en", "national_code")


@admin.register(ProcedureGroup)
class ProcedureGroupAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name_vi", "deadline_days", "deadline_days_verification")


class TransitionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Transition
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "actor", "actor_kind", "reason", "at")


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("number", "procedure", "commune", "status", "due_on", "finished_on")
    list_filter = ("status", "procedure")
    search_fields = ("number",)
    inlines = [TransitionInline]
    exclude = ("data", "result")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("number", "group", "received_at", "due_on", "finished_on")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
