"""``python -m tests.procedures.upgrade.check_upgraded``: after ``dancu migrate``, what the upgraded database of
``DATABASE_URL`` holds, as JSON; then one more dossier transition written (the table's id sequence carries on)."""

from __future__ import annotations

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")

import django

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.recorder import MigrationRecorder  # noqa: E402

from dancu.procedures.models import (  # noqa: E402
    Attachment,
    Case,
    Document,
    Dossier,
    Notification,
    Payment,
    Reuse,
    Transition,
)


def main() -> None:
    first = Dossier.objects.get(number="HS-OLD-1")
    Transition.objects.create(dossier=first, from_status="received", to_status="in_process", actor="x",
                              actor_kind="official")  # fmt: skip
    migrations = MigrationRecorder(connection).migration_qs
    print(json.dumps({
        "dossiers": sorted(Dossier.objects.values_list("number", flat=True)),
        "case_dossiers": Case.objects.get(number="LT-OLD-1").dossiers.count(),
        "transitions": Transition.objects.filter(dossier=first).count(),
        "attachment": bytes(Attachment.objects.get(dossier=first).content).decode(),
        "documents": Document.objects.filter(dossier=first).count(),
        "payments": list(Payment.objects.values_list("status", "amount_vnd")),
        "notifications": Notification.objects.count(),
        "reuses": Reuse.objects.filter(dossier=first).count(),
        "permissions": sorted(Group.objects.get(name="upgrade-officers").permissions.values_list(
            "content_type__app_label", "codename")),
        "old_content_types": ContentType.objects.filter(app_label="services").count(),
        "old_migrations": migrations.filter(app="services").count(),
        "procedures_migrations": sorted(migrations.filter(app="procedures").values_list("name", flat=True)),
        "tables": sorted(t for t in connection.introspection.table_names() if t.startswith(("services_",
                                                                                           "procedures_"))),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
