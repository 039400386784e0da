"""`manage.py export_base_data KIND FORMAT [-o FILE]`: every building, house, occupancy, organisation or
facility as CSV, XLSX or GeoJSON, in the columns `import_base_data` reads (no personal data in clear)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from places.io.columns import Kind
from places.io.exporting import FORMATS, base_data_export


class Command(BaseCommand):
    help = (
        "Export base data in the columns import_base_data reads. Residents are named by their resident key, "
        "organisations' legal representatives and contacts are left out."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=Kind.values)
        parser.add_argument("format", choices=list(FORMATS))
        parser.add_argument("-o", "--output", help="the file to write (default: standard output)")

    def handle(self, *args, kind: str, format: str, output: str | None, **options):
        export = base_data_export(kind=kind, fmt=format)
        if not output:
            sys.stdout.buffer.write(export.content)
            return
        try:
            with open(output, "wb") as handle:
                handle.write(export.content)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from None
        self.stderr.write(f"{kind} written to {output} ({len(export.content):,} bytes)")
