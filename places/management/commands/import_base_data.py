"""`manage.py import_base_data KIND FILE`: buildings, houses, occupancies, organisations or facilities from a
CSV, XLSX or GeoJSON file, as the system (every grid)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grids.residents_import import ImportFileError
from places.io.columns import LAYOUTS, Kind
from places.io.importing import base_data_import


class Command(BaseCommand):
    help = (
        "Import base data from a CSV (UTF-8 or GB18030), XLSX or GeoJSON file with a header row (GeoJSON: "
        "properties). Every row is checked first; any bad row means nothing is imported. Columns: "
        + "; ".join(f"{kind}: {', '.join(layout.columns)}" for kind, layout in LAYOUTS.items())
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=Kind.values)
        parser.add_argument("file", help="a .csv, .xlsx or .geojson file")

    def handle(self, *args, kind: str, file: str, **options):
        path = Path(file)
        started = time.monotonic()
        try:
            result = base_data_import(kind=kind, data=path.read_bytes(), filename=path.name)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc.message}") from None
        for error in result.errors:
            self.stderr.write(str(error))
        if result.errors:
            bad = f"{result.bad_rows} of {result.total} rows have problems"
            raise CommandError(f"{file}: {bad} (see above); nothing was imported")
        self.stdout.write(f"{result.imported} {kind} imported in {time.monotonic() - started:.1f} s")
