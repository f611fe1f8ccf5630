from __future__ import annotations

from django.contrib import admin

from dancu.db.admin import ReadOnlyAdmin
from dancu.synth.models import SynthRun


@admin.register(SynthRun)
class SynthRunAdmin(ReadOnlyAdmin):
    list_display = ("key", "people_done", "people", "events_done", "finished", "updated_at")
