"""``python -m tests.procedures.upgrade.old_database``: migrate the database of ``DATABASE_URL`` as the code before
the rename did, and put a case with its dossiers, transitions, attachment, result, payment, notice and re-use in it,
through the old migrations' historical models. Prints what it wrote as JSON."""

from __future__ import annotations

import json
import os
from datetime import date

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.procedures.upgrade.old_settings"

import django

django.setup()

from django.contrib.auth.models import Group, Permission, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.utils import timezone  # noqa: E402

from dancu.accounts.models import Account  # noqa: E402
from dancu.registry import services as registry  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0, skip_checks=True)  # the checks would import the new app's modules
    old = MigrationExecutor(connection).loader.project_state().apps
    Procedure, ProcedureGroup, Case, Dossier = (
        old.get_model("services", m) for m in ("Procedure", "ProcedureGroup", "Case", "Dossier")
    )
    now = timezone.now()
    with transaction.atomic():
        person = registry.register_person(
            pin="001090000001", full_name="Nguyễn Văn An", sex="M", birth_date=date(1990, 5, 17), actor="test"
        )
        user = User.objects.create_user("upgrade-citizen")
        account = Account.objects.create(user=user, person=person)
        procedure = Procedure.objects.create(
            code="birth-registration", name_vi="Đăng ký khai sinh", name_en="Birth registration",
            agency="commune_civil_status", level="commune", deadline_days=1, deadline_days_verification=3,
        )  # fmt: skip
        group = ProcedureGroup.objects.create(
            code="birth-group", name_vi="Liên thông khai sinh", name_en="Birth group", deadline_days=3,
            members=[{"procedure": "birth-registration"}],
        )  # fmt: skip
        case = Case.objects.create(number="LT-OLD-1", group=group, applicant_id=account.pk, received_at=now,
                                   due_on=now.date())  # fmt: skip
        dossiers = [
            Dossier.objects.create(number=f"HS-OLD-{n}", procedure=procedure, case=case, applicant_id=account.pk,
                                   commune="00004", status="received", data={"n": n})
            for n in (1, 2)
        ]  # fmt: skip
        first = dossiers[0]
        old.get_model("services", "Transition").objects.create(
            dossier=first, from_status="submitted", to_status="received", actor="system", actor_kind="system"
        )
        old.get_model("services", "Attachment").objects.create(
            dossier=first, code="birth_certificate", content_type="application/pdf", size=8, sha256="0" * 64,
            content=b"%PDF-1 x",
        )  # fmt: skip
        old.get_model("services", "Document").objects.create(
            kind="birth-extract", title="Trích lục khai sinh", issuer="commune_civil_status", data={"pin": person.pin},
            issued_at=now, token="header.payload.signature", dossier=first, owner_id=account.pk,
            subject_id=person.pk,
        )  # fmt: skip
        old.get_model("services", "Payment").objects.create(
            amount_vnd=8000, description="Phí", provider="simulated", status="paid", paid_at=now, case=case,
            account_id=account.pk,
        )  # fmt: skip
        old.get_model("services", "Notification").objects.create(account_id=account.pk, case=case, text="Đã nhận")
        old.get_model("services", "Reuse").objects.create(
            dossier=first, source="registry.person", reference=str(person.pk), fields=["mother.full_name"]
        )
        officers = Group.objects.create(name="upgrade-officers")
        officers.permissions.set(Permission.objects.filter(content_type__app_label="services", codename__in=(
            "view_dossier", "change_dossier")))  # fmt: skip
    print(json.dumps({
        "dossiers": sorted(d.number for d in dossiers),
        "permissions": sorted(officers.permissions.values_list("content_type__app_label", "codename")),
        "tables": sorted(t for t in connection.introspection.table_names() if t.startswith("services_")),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
