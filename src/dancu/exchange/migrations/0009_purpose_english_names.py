"""Purposes get an English name (shown on English pages); the seeded purposes' names are filled in."""

from django.db import migrations, models

#: The seeded purposes' English names as of this migration (exchange.services.PURPOSE_NAMES_EN may change later).
NAMES_EN = {
    "kyc-banking": "Bank customer identification (eKYC)",
    "sim-registration": "Mobile subscriber verification",
    "health-insurance": "Health-insurance medical care",
    "public-service": "Handling of administrative procedures",
    "social-insurance": "Social-insurance benefit payments",
}


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    purpose = apps.get_model("exchange", "Purpose")
    for code, name_en in NAMES_EN.items():
        purpose.objects.filter(code=code, name_en="").update(name_en=name_en)


class Migration(migrations.Migration):

    dependencies = [
        ('exchange', '0008_verbose_names'),
    ]

    operations = [
        migrations.AddField(
            model_name='purpose',
            name='name_en',
            field=models.CharField(blank=True, help_text='Shown on English pages (blank: the Vietnamese name).', max_length=200, verbose_name='English name'),
        ),
        migrations.AlterField(
            model_name='purpose',
            name='name',
            field=models.CharField(max_length=200, verbose_name='Vietnamese name'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
