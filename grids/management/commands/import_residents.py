"""`manage.py import_residents FILE [--partial]`: register residents from a CSV or XLSX file."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grids.residents_import import COLUMNS, REQUIRED_COLUMNS, ImportFileError, residents_import


class Command(BaseCommand):
    help = (
        "Import residents from a CSV or XLSX file with a header row. Columns: "
        + ", ".join(COLUMNS)
        + f" (required: {', '.join(REQUIRED_COLUMNS)}). Every row is checked first; any bad row means "
        "nothing is imported unless --partial is given, which imports the good rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv (UTF-8 or GB18030) or .xlsx file")
        parser.add_argument("--partial", action="store_true", help="import the good rows, skip the bad ones")

    def handle(self, *args, file: str, partial: bool, verbosity: int, **options):
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
            result = residents_import(data=data, filename=path.name, partial=partial, progress=progress)
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc.message}") from None
        elapsed = time.monotonic() - started
        for error in result.errors:
            self.stderr.write(str(error))
        if result.fatal:
            raise CommandError(
                f"{file}: the file cannot be imported as it is (see above); nothing was imported"
            )
        if result.errors and not partial:
            raise CommandError(
                f"{file}: {result.bad_rows} of {result.total} rows have problems; nothing was imported "
                "(use --partial to import the good rows)"
            )
        skipped = f", {result.bad_rows} bad rows skipped" if result.errors else ""
        self.stdout.write(
            f"{result.imported} of {result.total} residents imported{skipped} in {elapsed:.1f} s"
        )
