"""Write one evaluation table (the dashboard's, the same columns as its exports) as CSV or XLSX."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evaluation import exports, selectors
from evaluation import indicators as ev


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Evaluation indicators of a period (both dates included, local time) per department, grid, "
        "community, street, grid administrator or for the whole district. Uses the stored figures when "
        "the period has them (--fresh: always recompute from the case history). CSV goes to stdout unless "
        "--out is given; XLSX needs --out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="last day (included), YYYY-MM-DD")
        parser.add_argument("--by", choices=ev.KINDS, default=ev.DEPARTMENT)
        parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        parser.add_argument("--out", metavar="FILE", help="write here instead of stdout")
        parser.add_argument("--fresh", action="store_true", help="ignore stored figures")

    def handle(self, *args, start, end, by, format, out, fresh, **options) -> None:
        try:
            period = ev.Period(_date(start), _date(end))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if fresh:
            facts = ev.facts_collect(period)
            table = ev.Table(
                period=period, kind=by, rows=ev.indicators(facts, by), as_of=facts.as_of, computed_at=None
            )
        else:
            table = selectors.tables_for(period, kinds=[by])[by]
        rows = exports.indicator_rows(table)
        if format == "xlsx":
            if not out:
                raise CommandError("XLSX is binary: give --out FILE")
            exports.xlsx_write(out, exports.INDICATOR_COLUMNS, rows, title=by)
        elif out:
            with open(out, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(exports.csv_lines(exports.INDICATOR_COLUMNS, rows))
        else:
            for line in exports.csv_lines(exports.INDICATOR_COLUMNS, rows):
                self.stdout.write(line, ending="")
        if out:
            self.stderr.write(f"{len(table.rows)} rows ({by}, {period}) written to {out}")
