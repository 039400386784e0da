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

    def handle(self, *args, kind: str, file: str, verbosity: int, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None

        def progress(processed: int, total: int) -> None:
            if verbosity >= 2 and processed % 10000 == 0:
                self.stderr.write(f"checked {processed} of {total or '?'} rows")

        started = time.monotonic()
        try:
            result = base_data_import(kind=kind, data=data, filename=path.name, progress=progress)
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc.message}") from None
        elapsed = time.monotonic() - started
        for error in result.errors:
            self.stderr.write(str(error))
        if result.errors:
            bad = f"{result.bad_rows} of {result.total} rows have problems"
            raise CommandError(f"{file}: {bad} (see above); nothing was imported")
        self.stdout.write(f"{result.imported} {kind} imported in {elapsed:.1f} s")
