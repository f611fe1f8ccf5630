from __future__ import annotations

from django.contrib import admin

from dancu.db.admin import ReadOnlyAdmin
from dancu.geo.models import Commune, District, Province


@admin.register(Province)
class ProvinceAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "era", "division_type")
    list_filter = ("era",)


@admin.register(District)
class DistrictAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "province")


@admin.register(Commune)
class CommuneAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "era", "division_type", "province")
    list_filter = ("era", "division_type")
    search_fields = ("=code", "name_folded")
