"""Import holidays and make-up working days into a work calendar; a file with any bad row imports nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridmgmt.errors import InvalidInput
from worktime.models import WorkCalendar
from worktime.services import calendar_days_import, calendar_default


class Command(BaseCommand):
    help = (
        "Import dated days into a work calendar from CSV (header date,kind,name; optional follows_weekday "
        '0–6) or JSON (a list of {date, kind, name} or {"days": [...]}). kind is holiday (or 休) or '
        "workday (or 班: a make-up working day, 调休). A listed date replaces that date's entry; other "
        "dates stay. Nothing is written unless every row is valid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv or .json file (UTF-8)")
        parser.add_argument(
            "--calendar", metavar="NAME", help="the calendar to import into (default: the default)"
        )
        parser.add_argument("--format", choices=("csv", "json"), help="default: from the file's extension")

    def handle(self, *args, file: str, calendar: str | None, format: str | None, **options) -> None:
        path = Path(file)
        fmt = format or path.suffix.lower().lstrip(".")
        if fmt not in ("csv", "json"):
            raise CommandError(f"{file}: cannot tell the format from the extension; pass --format csv|json")
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from exc
        if calendar is None:
            target = calendar_default()
        else:
            target = WorkCalendar.objects.filter(name=calendar).first()
            if target is None:
                names = ", ".join(WorkCalendar.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(f"no work calendar named {calendar!r} (calendars: {names})")
        try:
            result = calendar_days_import(calendar=target, content=content, fmt=fmt)
        except InvalidInput as exc:
            raise CommandError(f"{file}: nothing imported\n{exc.message}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{file} → {target.name}: {result.created} days added, {result.updated} changed, "
                f"{result.unchanged} unchanged"
            )
        )
