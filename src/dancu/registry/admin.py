"""Read-only admin views: person data is written only by the domain services (API, back office, CLI)."""

from __future__ import annotations

from django.contrib import admin

from dancu.db.admin import ReadOnlyAdmin
from dancu.registry.models import Household, PermanentResidence, Person, TemporaryResidence


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("pin", "full_name", "sex", "birth_date", "status")
    list_filter = ("status", "sex")
    # No search box: it would put PINs in the URL's query string. Officials find people in the back office.
    show_full_result_count = False
    raw_id_fields = ("father", "mother", "spouse", "household", "birth_commune", "origin_commune")


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ("number", "commune", "address_line", "created_on")
    search_fields = ("=number",)
    show_full_result_count = False
    raw_id_fields = ("head", "commune")


@admin.register(PermanentResidence)
class PermanentResidenceAdmin(ReadOnlyAdmin):
    list_display = ("person", "commune", "valid_from", "valid_to")
    show_full_result_count = False
    raw_id_fields = ("person", "commune", "recorded_commune", "household")


@admin.register(TemporaryResidence)
class TemporaryResidenceAdmin(ReadOnlyAdmin):
    list_display = ("person", "commune", "valid_from", "valid_until", "ended_on")
    show_full_result_count = False
    raw_id_fields = ("person", "commune")
