"""`base_data_import`: one file of one kind read, every row checked, then written all together or not at all.

The same function serves `manage.py import_base_data`, the browser upload's task and the tests. `actor=None`
is the system (every grid); a person imports into the grids they keep (policy.base_data_editable_grid_ids),
and rows elsewhere are errors naming the grid.
"""

from django.db import IntegrityError
from django.utils.translation import gettext_noop

from gridmgmt import policy
from gridmgmt.messages import Message
from grids.residents_import import ImportResult, Progress, RowError
from places.services import residents_link_addresses

from . import bulk, rowwise
from .checks import Context
from .columns import LAYOUTS, Kind
from .reading import table_open

IMPORTERS = {
    Kind.BUILDINGS: bulk.buildings_import,
    Kind.HOUSES: bulk.houses_import,
    Kind.OCCUPANCIES: rowwise.occupancies_import,
    Kind.ORGANISATIONS: rowwise.organisations_import,
    Kind.FACILITIES: rowwise.facilities_import,
}
MEANWHILE = gettext_noop("a row was registered by someone else meanwhile: nothing was imported, run it again")


def base_data_import(
    *, kind: str, data: bytes, filename: str = "", actor=None, progress: Progress | None = None
) -> ImportResult:
    """Check every row of a CSV, XLSX or GeoJSON file of `kind` and write them all, or nothing when any row
    is bad. Raises ImportFileError when the file cannot be read at all; a bad header is a fatal result."""
    layout = LAYOUTS[kind]
    table = table_open(data, filename, layout)
    if table.errors:
        return ImportResult(errors=table.errors, fatal=True)
    result = ImportResult()
    try:
        IMPORTERS[kind](table, Context(actor, progress), result)
    except IntegrityError:
        # Someone wrote one of these rows between the check and the insert; the transaction is undone.
        result.errors.append(RowError(0, "", Message(MEANWHILE)))
        result.fatal, result.imported = True, 0
    if kind == Kind.HOUSES and result.imported and not result.errors:
        # Residents whose written address names one of the new houses now live there on the record; the
        # rest stay listed as unmatched for their grids' administrators.
        scope = None if actor is None else policy.base_data_editable_grid_ids(actor)
        residents_link_addresses(grid_ids=scope)
    if progress is not None:
        progress(result.total, result.total)
    order = {column: at for at, column in enumerate(layout.columns)}
    result.errors.sort(key=lambda e: (e.row, order.get(e.column, len(order))))
    return result
