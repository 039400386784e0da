"""Trigram indexes for the case search's `icontains` on description and address (PostgreSQL only).

Django's icontains on PostgreSQL is `UPPER(col::text) LIKE UPPER('%text%')`; a pg_trgm GIN index on that
very expression answers it without reading every case. pg_trgm is a trusted extension (PostgreSQL 13+),
so the database owner may create it. SQLite has no such index and keeps scanning (fine at its scale).
"""

from django.db import migrations

_INDEXES = {
    "case_description_trgm_idx": "description",
    "case_address_trgm_idx": "address",
}


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in _INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON cases_case USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in _INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_queue_and_deadline_sweep_indexes")]

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
