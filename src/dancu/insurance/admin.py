from __future__ import annotations

from django.contrib import admin

from dancu.insurance.models import CheckIn, CoveragePeriod, HealthFacility, Participant, Receptionist


@admin.register(HealthFacility)
class HealthFacilityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "level", "province_code", "system")
    list_filter = ("level",)


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("social_insurance_number", "updated_at")
    raw_id_fields = ("person",)


@admin.register(CoveragePeriod)
class CoveragePeriodAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("card_number", "beneficiary_group", "benefit_level", "facility", "valid_to", "status")
    list_filter = ("status", "beneficiary_group")
    raw_id_fields = ("participant",)


@admin.register(Receptionist)
class ReceptionistAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("full_name", "facility", "active")
    raw_id_fields = ("user",)


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("at", "facility", "code", "simulated")
    list_filter = ("code", "simulated")
