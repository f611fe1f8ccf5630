"""Seed the security-assessment criteria and the purposes (data: editable in the admin afterwards)."""

from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from dancu.exchange.services import DEFAULT_CRITERIA, DEFAULT_PURPOSES

    criterion = apps.get_model("exchange", "AssessmentCriterion")
    purpose = apps.get_model("exchange", "Purpose")
    for order, (code, text) in enumerate(DEFAULT_CRITERIA):
        criterion.objects.get_or_create(code=code, defaults={"text": text, "order": order})
    for code, name, basis in DEFAULT_PURPOSES:
        purpose.objects.get_or_create(code=code, defaults={"name": name, "legal_basis": basis})


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
