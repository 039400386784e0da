"""Inserting many new rows of a model in few statements, for the paths that write thousands at once.

`rows_insert` does what `bulk_create` does for plain models, with less Python per row: each column's
adaptation is chosen once per call instead of running every field's pre_save and get_db_prep_save per
row, and no SQL is compiled per batch. The deadline sweep writes an event and a couple of notices for each
of thousands of cases (2,000 alerts at 1M cases: ~1.15 s with bulk_create, ~1.0 s with this). Values are
always parameters, never interpolated into the SQL.
"""

import operator
from collections.abc import Callable, Sequence

from django.db import connection, models

# Field types whose Python value is what the database driver takes as it is.
_PLAIN = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "EmailField",
    "FloatField",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}
_MAX_ROWS = 1000


def column_getter(field: models.Field) -> Callable[[object], object]:
    """What to send for `field`, read from anything with its attname (a model instance, a row like one)."""
    get = operator.attrgetter(field.attname)
    if field.get_internal_type() in _PLAIN or field.is_relation:
        return get
    # Dates, JSON, …: the backend's own adaptation, as bulk_create would do.
    return lambda obj: field.get_db_prep_save(get(obj), connection)


def rows_insert(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """INSERT the (unsaved) `objects` and set each one's pk from the database.

    For models without per-save logic: no pre_save hooks (auto_now), no signals, every value given.
    """
    if not objects:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    getters = [column_getter(f) for f in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
    max_params = connection.features.max_query_params or 65535
    per_statement = max(1, min(_MAX_ROWS, max_params // len(fields)))
    with connection.cursor() as cursor:
        for start in range(0, len(objects), per_statement):
            chunk = objects[start : start + per_statement]
            params = [get(obj) for obj in chunk for get in getters]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_sql] * len(chunk))}{returning}",
                params,
            )
            # Both PostgreSQL and SQLite (3.35+) return the rows of a multi-row VALUES in order, as
            # bulk_create relies on too.
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = connection.alias
