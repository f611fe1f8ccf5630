from django.contrib import admin

from dancu.linkage.models import ReconciliationJob


@admin.register(ReconciliationJob)
class ReconciliationJobAdmin(admin.ModelAdmin):
    list_display = ("id", "system", "sector", "status", "stage", "rows_read", "matches", "created_at")
    list_filter = ("status", "sector")
    readonly_fields = [f.name for f in ReconciliationJob._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
