from __future__ import annotations

from django.contrib import admin

from dancu.db.admin import ReadOnlyAdmin
from dancu.events.models import ConsumerOffset, Event


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The event log is append-only: it can be read here, never edited."""

    list_display = ("sequence", "type", "pin", "effective_date", "recorded_at", "actor", "source")
    list_filter = ("type",)
    search_fields = ("=source",)  # by dossier or job; not by PIN, which would land in the URL
    show_full_result_count = False


@admin.register(ConsumerOffset)
class ConsumerOffsetAdmin(ReadOnlyAdmin):
    list_display = ("consumer", "sequence", "updated_at")
