"""The registry side of a reconciliation: every person's matching attributes exported once to Parquet on disk
(``LINKAGE_DIR/registry/``), named by the event log's last sequence so a new export is made only when the registry
changed. Read in chunks with a server-side cursor: memory stays bounded whatever the registry's size."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection, transaction

from dancu.events.models import Event
from dancu.linkage import conf

CHUNK = 100_000
SCHEMA = pa.schema(
    [
        ("pid", pa.int64()),
        ("pin", pa.string()),
        ("full_name", pa.string()),
        ("name_folded", pa.string()),
        ("birth_date", pa.date32()),
        ("birth_precision", pa.string()),
        ("sex", pa.string()),
        ("status", pa.string()),
        ("death_date", pa.date32()),
        ("province", pa.string()),
    ]
)

_SQL = """
SELECT p.id, p.pin, p.full_name, p.name_folded, p.birth_date, p.birth_date_precision, p.sex, p.status,
       p.death_date, pr.code
FROM registry_person p
LEFT JOIN registry_permanentresidence r ON r.person_id = p.id AND r.valid_to IS NULL
LEFT JOIN geo_commune c ON c.id = r.commune_id
LEFT JOIN geo_province pr ON pr.id = c.province_id
"""


def registry_key() -> str:
    """What the export is named by: the event log's last sequence and the number of persons."""
    last = Event.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_person")
        count = cursor.fetchone()[0]
    return f"{last}-{count}"


def export_registry() -> tuple[Path, int]:
    """The current export (made now if the registry changed since the last one) and the number of persons."""
    directory = conf.linkage_dir() / "registry"
    directory.mkdir(parents=True, exist_ok=True)
    key = registry_key()
    path = directory / f"registry-{key}.parquet"
    count = int(key.rsplit("-", 1)[1])
    if path.exists():
        return path, count
    partial = path.with_suffix(".partial")
    writer = pq.ParquetWriter(partial, SCHEMA)
    try:
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            cursor.execute(_SQL)
            while rows := cursor.fetchmany(CHUNK):
                columns = list(zip(*rows, strict=True))
                writer.write_table(pa.table(dict(zip(SCHEMA.names, columns, strict=True)), schema=SCHEMA))
    finally:
        writer.close()
    partial.replace(path)
    for old in directory.glob("registry-*.parquet"):
        if old != path:
            old.unlink(missing_ok=True)
    return path, count
