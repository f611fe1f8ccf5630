"""On PostgreSQL, a trigram index (pg_trgm) on the folded name, for the back office's "any word of the name" search
(``registry.presenters.people_matching``: ``name_folded LIKE 'hong%' OR name_folded LIKE '% hong%'``), which the
B-tree ``person_name_dob`` serves only for the first word. SQLite is unchanged (its search stays a scan).

Built ``CONCURRENTLY`` (no lock on writes while a large table is indexed: the migration runs outside a
transaction); an index left invalid by an interrupted build is dropped and built again, so the migration can simply
be run again. The index lives in the database only, not in ``Person.Meta.indexes``: a GIN index has no SQLite
equivalent, and SQLite's table rebuilds would try to recreate it.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "person_name_trgm"


def create_index(apps: object, schema_editor: object) -> None:
    connection = schema_editor.connection  # type: ignore[attr-defined]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            [INDEX],
        )
        row = cursor.fetchone()
        if row is not None and row[0]:  # left invalid by an interrupted concurrent build
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
        cursor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON registry_person USING gin (name_folded gin_trgm_ops)"
        )


def drop_index(apps: object, schema_editor: object) -> None:
    connection = schema_editor.connection  # type: ignore[attr-defined]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("registry", "0004_verbose_names")]

    operations = [
        TrigramExtension(),  # a no-op on SQLite; on PostgreSQL 13+ a database owner may create it (trusted)
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
