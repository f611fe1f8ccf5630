"""The app's tables, or, on a database made while the app was called ``services``, that app's tables adopted.

Until issue 14 this app was ``dancu.services`` with the label ``services``, and its four migrations
(0001_initial .. 0004_attachment_store, in git history and in tests/procedures/upgrade/) made tables named
``services_*``. This one migration gives the same final schema. On a new database it creates the tables; on a
database where the ``services`` app's four migrations were applied it renames their tables to ``procedures_*``
(``ALTER TABLE .. RENAME``: rows, foreign keys and indexes stay; SQLite >= 3.26 and PostgreSQL both rewrite the
references), moves that app's content types to this label (so permissions granted to officials' groups follow
them) and retires its rows in ``django_migrations``. All of it runs in the migration's transaction.
"""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.migrations.recorder import MigrationRecorder

import dancu.core.ids

OLD_LABEL = "services"
OLD_MIGRATIONS = {"0001_initial", "0002_document", "0003_simulatedtransaction_payment", "0004_attachment_store"}


class CreateOrAdoptTables(migrations.SeparateDatabaseAndState):
    """The operations' models in the migration state; in the database, created, or adopted from ``services``."""

    def __init__(self, operations: list[Any]) -> None:
        super().__init__(database_operations=operations, state_operations=operations)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__name__, [], {"operations": self.state_operations}

    def describe(self) -> str:
        return "Create the app's tables, or adopt those of the app formerly labelled 'services'"

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        connection = schema_editor.connection
        recorder = MigrationRecorder(connection)
        applied = set(recorder.migration_qs.filter(app=OLD_LABEL).values_list("name", flat=True))
        if not applied:
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        if not OLD_MIGRATIONS <= applied:
            raise RuntimeError(
                "this database has only part of the 'services' app's migrations: migrate it with the release "
                "before the rename first (missing: " + ", ".join(sorted(OLD_MIGRATIONS - applied)) + ")"
            )
        tables = set(connection.introspection.table_names())
        for model in to_state.apps.get_app_config(app_label).get_models(include_auto_created=True):
            new = model._meta.db_table
            old = OLD_LABEL + new.removeprefix(app_label)
            if old in tables:
                schema_editor.alter_db_table(model, old, new)
        with connection.cursor() as cursor:
            table = connection.ops.quote_name("django_content_type")
            cursor.execute(
                f"UPDATE {table} SET app_label = %s WHERE app_label = %s AND model NOT IN "
                f"(SELECT model FROM {table} WHERE app_label = %s)",
                [app_label, OLD_LABEL, app_label],
            )
        recorder.migration_qs.filter(app=OLD_LABEL).delete()


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0001_initial'),
        ('registry', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        CreateOrAdoptTables(
            [
                migrations.CreateModel(
                    name='Counter',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=30, unique=True)),
                        ('value', models.PositiveIntegerField(default=0)),
                    ],
                ),
                migrations.CreateModel(
                    name='Procedure',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=60, unique=True)),
                        ('national_code', models.CharField(blank=True, help_text='Code in the national procedure database.', max_length=20)),
                        ('name_vi', models.CharField(max_length=300)),
                        ('name_en', models.CharField(max_length=300)),
                        ('agency', models.CharField(choices=[('commune_civil_status', 'UBND cấp xã (tư pháp - hộ tịch)'), ('commune_police', 'Công an cấp xã (đăng ký cư trú)'), ('social_insurance', 'Bảo hiểm xã hội'), ('provincial_justice', 'Sở Tư pháp')], max_length=30)),
                        ('level', models.CharField(choices=[('commune', 'Cấp xã'), ('province', 'Cấp tỉnh'), ('central', 'Trung ương')], max_length=10)),
                        ('deadline_days', models.PositiveSmallIntegerField(help_text='Legal deadline in working days (0: the same day).')),
                        ('deadline_days_verification', models.PositiveSmallIntegerField(help_text='When verification is needed.')),
                        ('fee_vnd', models.PositiveIntegerField(default=0, help_text='Fee at the counter.')),
                        ('fee_online_vnd', models.PositiveIntegerField(default=0, help_text='Fee when filed online (0: exempt online).')),
                        ('legal_basis', models.CharField(blank=True, max_length=300)),
                        ('fields', models.JSONField(default=list, help_text='The form: [{name, label_vi, label_en, type, required, source}].')),
                        ('attachments', models.JSONField(default=list, help_text="[{code, label_vi, label_en, types, max_mb, required, unless}]: 'unless' names the registry record or earlier result that makes it unnecessary.")),
                        ('reuses', models.JSONField(default=list, help_text='Registry data and earlier results the dossier re-uses.')),
                        ('active', models.BooleanField(default=True)),
                    ],
                    options={
                        'ordering': ['code'],
                    },
                ),
                migrations.CreateModel(
                    name='ProcedureGroup',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=60, unique=True)),
                        ('name_vi', models.CharField(max_length=300)),
                        ('name_en', models.CharField(max_length=300)),
                        ('national_code', models.CharField(blank=True, max_length=20)),
                        ('deadline_days', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('deadline_days_verification', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('members', models.JSONField(default=list, help_text='[{"procedure": code, "after": code or null, "optional": bool, "deadline_days": n, "deadline_days_verification": n}] in order; deadlines here override the procedure\'s own inside the group.')),
                        ('note', models.TextField(blank=True, help_text='Where the deadlines come from, or that they are configuration.')),
                    ],
                ),
                migrations.CreateModel(
                    name='SimulatedTransaction',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reference', models.CharField(max_length=64, unique=True)),
                        ('payment_id', models.UUIDField()),
                        ('amount_vnd', models.PositiveIntegerField()),
                        ('kind', models.CharField(help_text='charge or refund', max_length=10)),
                        ('at', models.DateTimeField(auto_now_add=True)),
                    ],
                ),
                migrations.CreateModel(
                    name='Case',
                    fields=[
                        ('id', models.UUIDField(default=dancu.core.ids.uuid7, editable=False, primary_key=True, serialize=False)),
                        ('number', models.CharField(max_length=30, unique=True)),
                        ('received_at', models.DateTimeField()),
                        ('due_on', models.DateField()),
                        ('finished_on', models.DateField(blank=True, null=True)),
                        ('data', models.JSONField(default=dict)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('applicant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='accounts.account')),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='procedures.proceduregroup')),
                    ],
                ),
                migrations.CreateModel(
                    name='Contributions',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('months', models.PositiveIntegerField()),
                        ('synthetic', models.BooleanField(default=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('person', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.person')),
                    ],
                ),
                migrations.CreateModel(
                    name='Dossier',
                    fields=[
                        ('id', models.UUIDField(default=dancu.core.ids.uuid7, editable=False, primary_key=True, serialize=False)),
                        ('number', models.CharField(max_length=30, unique=True)),
                        ('commune', models.CharField(help_text='Current commune code of the competent office.', max_length=5)),
                        ('status', models.CharField(choices=[('draft', 'Bản nháp'), ('waiting', 'Chờ kết quả liên thông'), ('submitted', 'Đã nộp'), ('received', 'Đã tiếp nhận'), ('in_process', 'Đang xử lý'), ('supplement', 'Yêu cầu bổ sung'), ('resubmitted', 'Đã bổ sung'), ('approved', 'Đã duyệt'), ('rejected', 'Từ chối'), ('issued', 'Đã trả kết quả'), ('cancelled', 'Đã hủy')], default='draft', max_length=12)),
                        ('data', models.JSONField(default=dict, help_text='What was declared (prefilled parts included).')),
                        ('verification', models.BooleanField(default=False, help_text='Verification needed: the longer deadline applies.')),
                        ('received_at', models.DateTimeField(blank=True, null=True)),
                        ('due_on', models.DateField(blank=True, null=True)),
                        ('paused_at', models.DateTimeField(blank=True, null=True)),
                        ('paused_working_days', models.PositiveSmallIntegerField(default=0)),
                        ('finished_on', models.DateField(blank=True, null=True)),
                        ('result', models.JSONField(blank=True, default=dict)),
                        ('decision_reason', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('applicant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='dossiers', to='accounts.account')),
                        ('assigned_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='dossiers', to='procedures.case')),
                        ('procedure', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='procedures.procedure')),
                    ],
                    options={
                        'ordering': ['due_on', 'created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Document',
                    fields=[
                        ('id', models.UUIDField(default=dancu.core.ids.uuid7, editable=False, primary_key=True, serialize=False)),
                        ('kind', models.CharField(max_length=40)),
                        ('title', models.CharField(max_length=200)),
                        ('issuer', models.CharField(choices=[('commune_civil_status', 'UBND cấp xã (tư pháp - hộ tịch)'), ('commune_police', 'Công an cấp xã (đăng ký cư trú)'), ('social_insurance', 'Bảo hiểm xã hội'), ('provincial_justice', 'Sở Tư pháp')], max_length=30)),
                        ('data', models.JSONField()),
                        ('issued_at', models.DateTimeField()),
                        ('token', models.TextField(help_text='Compact JWS (EdDSA) over the document: what the QR code carries.')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='accounts.account')),
                        ('subject', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.person')),
                        ('dossier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='procedures.dossier')),
                    ],
                    options={
                        'ordering': ['-issued_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Attachment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=40)),
                        ('content_type', models.CharField(max_length=60)),
                        ('size', models.PositiveIntegerField()),
                        ('sha256', models.CharField(db_index=True, max_length=64)),
                        ('stored', models.CharField(blank=True, help_text="The file's name in the attachment store.", max_length=200)),
                        ('content', models.BinaryField(blank=True, default=b'')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('dossier', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attachments', to='procedures.dossier')),
                    ],
                ),
                migrations.CreateModel(
                    name='HealthInsuranceCard',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.CharField(help_text='Group code, benefit level, province, BHXH number.', max_length=15, unique=True)),
                        ('social_insurance_number', models.CharField(max_length=10, unique=True)),
                        ('valid_from', models.DateField()),
                        ('valid_to', models.DateField()),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('dossier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='procedures.dossier')),
                        ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.person')),
                    ],
                ),
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('text', models.TextField()),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('read_at', models.DateTimeField(blank=True, null=True)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='accounts.account')),
                        ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='procedures.case')),
                        ('dossier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='procedures.dossier')),
                    ],
                    options={
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Payment',
                    fields=[
                        ('id', models.UUIDField(default=dancu.core.ids.uuid7, editable=False, primary_key=True, serialize=False)),
                        ('amount_vnd', models.PositiveIntegerField()),
                        ('description', models.CharField(max_length=200)),
                        ('provider', models.CharField(max_length=30)),
                        ('provider_ref', models.CharField(blank=True, max_length=64)),
                        ('status', models.CharField(choices=[('pending', 'Chờ thanh toán'), ('paid', 'Đã thanh toán'), ('failed', 'Không thành công'), ('refunded', 'Đã hoàn tiền')], default='pending', max_length=10)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('paid_at', models.DateTimeField(blank=True, null=True)),
                        ('refunded_at', models.DateTimeField(blank=True, null=True)),
                        ('refund_reason', models.CharField(blank=True, max_length=300)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='accounts.account')),
                        ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='procedures.case')),
                        ('dossier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='procedures.dossier')),
                    ],
                ),
                migrations.CreateModel(
                    name='Reuse',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('source', models.CharField(help_text='registry.person, registry.household, result:<dossier>, ...', max_length=40)),
                        ('reference', models.CharField(help_text="The record's id (a PIN's person id, a dossier number).", max_length=64)),
                        ('fields', models.JSONField(default=list)),
                        ('at', models.DateTimeField(auto_now_add=True)),
                        ('dossier', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reuses', to='procedures.dossier')),
                    ],
                ),
                migrations.CreateModel(
                    name='Transition',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('from_status', models.CharField(blank=True, choices=[('draft', 'Bản nháp'), ('waiting', 'Chờ kết quả liên thông'), ('submitted', 'Đã nộp'), ('received', 'Đã tiếp nhận'), ('in_process', 'Đang xử lý'), ('supplement', 'Yêu cầu bổ sung'), ('resubmitted', 'Đã bổ sung'), ('approved', 'Đã duyệt'), ('rejected', 'Từ chối'), ('issued', 'Đã trả kết quả'), ('cancelled', 'Đã hủy')], max_length=12)),
                        ('to_status', models.CharField(choices=[('draft', 'Bản nháp'), ('waiting', 'Chờ kết quả liên thông'), ('submitted', 'Đã nộp'), ('received', 'Đã tiếp nhận'), ('in_process', 'Đang xử lý'), ('supplement', 'Yêu cầu bổ sung'), ('resubmitted', 'Đã bổ sung'), ('approved', 'Đã duyệt'), ('rejected', 'Từ chối'), ('issued', 'Đã trả kết quả'), ('cancelled', 'Đã hủy')], max_length=12)),
                        ('actor', models.CharField(max_length=150)),
                        ('actor_kind', models.CharField(help_text='citizen, official or system', max_length=10)),
                        ('reason', models.TextField(blank=True)),
                        ('at', models.DateTimeField(auto_now_add=True)),
                        ('dossier', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='transitions', to='procedures.dossier')),
                    ],
                    options={
                        'ordering': ['at', 'pk'],
                    },
                ),
                migrations.AddIndex(
                    model_name='dossier',
                    index=models.Index(fields=['procedure', 'commune', 'status'], name='dossier_queue'),
                ),
                migrations.AddIndex(
                    model_name='dossier',
                    index=models.Index(fields=['applicant', '-created_at'], name='dossier_applicant'),
                ),
            ]
        ),
    ]
