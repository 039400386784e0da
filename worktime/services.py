"""Work calendar writes: the default calendar, dated days (holidays, make-up days) and their file import.

Every write here ends with ``calendar_touch``, which moves the version token that worktime.selectors checks,
so each process reloads the calendar on its next deadline computation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from gridmgmt.errors import InvalidInput
from gridmgmt.json_io import json_loads
from gridmgmt.text import text_problem

from .cache import worktime_invalidate
from .models import CalendarDay, WorkCalendar, WorkingHours

DEFAULT_CALENDAR_NAME = "标准工作日历"
# Mon–Fri, the usual office hours of a Chinese government department.
STANDARD_HOURS = ((dt.time(8, 30), dt.time(12, 0)), (dt.time(14, 0), dt.time(17, 30)))
MAX_IMPORT_ERRORS = 20

# 国务院办公厅关于2026年部分节假日安排的通知 (4 November 2025): days off, and weekend days worked (调休).
CHINA_2026: tuple[tuple[str, str, str], ...] = (
    *((f"2026-01-0{d}", CalendarDay.Kind.HOLIDAY, "元旦") for d in (1, 2, 3)),
    ("2026-01-04", CalendarDay.Kind.WORKDAY, "元旦调休上班"),
    ("2026-02-14", CalendarDay.Kind.WORKDAY, "春节调休上班"),
    *((f"2026-02-{d}", CalendarDay.Kind.HOLIDAY, "春节") for d in range(15, 24)),
    ("2026-02-28", CalendarDay.Kind.WORKDAY, "春节调休上班"),
    *((f"2026-04-0{d}", CalendarDay.Kind.HOLIDAY, "清明节") for d in (4, 5, 6)),
    *((f"2026-05-0{d}", CalendarDay.Kind.HOLIDAY, "劳动节") for d in range(1, 6)),
    ("2026-05-09", CalendarDay.Kind.WORKDAY, "劳动节调休上班"),
    *((f"2026-06-{d}", CalendarDay.Kind.HOLIDAY, "端午节") for d in (19, 20, 21)),
    ("2026-09-20", CalendarDay.Kind.WORKDAY, "国庆节调休上班"),
    *((f"2026-09-{d}", CalendarDay.Kind.HOLIDAY, "中秋节") for d in (25, 26, 27)),
    *((f"2026-10-0{d}", CalendarDay.Kind.HOLIDAY, "国庆节") for d in range(1, 8)),
    ("2026-10-10", CalendarDay.Kind.WORKDAY, "国庆节调休上班"),
)


def calendar_touch(calendar: WorkCalendar) -> None:
    """Mark the calendar changed: every process reloads it before its next deadline computation."""
    WorkCalendar.objects.filter(pk=calendar.pk).update(version=F("version") + 1, updated_at=timezone.now())
    # Now, for this transaction's own deadlines; again on commit, in case a lookup in between re-confirmed
    # the committed (old) token.
    worktime_invalidate()
    transaction.on_commit(worktime_invalidate)


def calendar_default() -> WorkCalendar:
    """The default work calendar, created on first use (Mon–Fri 08:30–12:00 and 14:00–17:30)."""
    calendar = WorkCalendar.objects.filter(is_default=True).first()
    if calendar is not None:
        return calendar
    try:
        with transaction.atomic():
            calendar, created = WorkCalendar.objects.get_or_create(name=DEFAULT_CALENDAR_NAME)
            if created:
                WorkingHours.objects.bulk_create(
                    WorkingHours(calendar=calendar, weekday=weekday, start=start, end=end)
                    for weekday in range(5)
                    for start, end in STANDARD_HOURS
                )
            calendar.is_default = True
            calendar.save(update_fields=["is_default", "updated_at"])
            calendar_touch(calendar)
    except IntegrityError:
        pass  # another process made a default meanwhile: use theirs
    return WorkCalendar.objects.get(is_default=True)


def calendar_make_default(calendar: WorkCalendar) -> None:
    """Make this calendar the default (the previous default stops being one)."""
    with transaction.atomic():
        for previous in WorkCalendar.objects.filter(is_default=True).exclude(pk=calendar.pk):
            WorkCalendar.objects.filter(pk=previous.pk).update(is_default=False)
            calendar_touch(previous)
        WorkCalendar.objects.filter(pk=calendar.pk).update(is_default=True)
        calendar.is_default = True
        calendar_touch(calendar)


@dataclass(frozen=True)
class DayRow:
    date: dt.date
    kind: str
    name: str = ""
    follows_weekday: int | None = None


@dataclass
class DaysImport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


_KIND_ALIASES = {"holiday": "holiday", "休": "holiday", "workday": "workday", "班": "workday"}


def calendar_days_parse(content: bytes | str, *, fmt: str) -> tuple[list[DayRow], list[str]]:
    """Rows from CSV (header ``date,kind,name``, optional ``follows_weekday``) or JSON (a list of objects
    with the same keys, or ``{"days": [...]}``). Returns the rows and the errors, each naming its row."""
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    errors: list[str] = []
    raw: list[tuple[str, dict]] = []
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        missing = {"date", "kind"} - {(h or "").strip() for h in reader.fieldnames or ()}
        if missing:
            return [], [
                f"the header must name the columns date,kind,name (missing: {', '.join(sorted(missing))})"
            ]
        for record in reader:
            row = {(k or "").strip(): (v or "").strip() for k, v in record.items() if k is not None}
            raw.append((f"line {reader.line_num}", row))
    elif fmt == "json":
        try:
            data = json_loads(text)
        except json.JSONDecodeError as exc:
            return [], [f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"]
        except ValueError as exc:  # nested too deeply
            return [], [f"not valid JSON: {exc}"]
        if isinstance(data, dict):
            data = data.get("days")
        if not isinstance(data, list):
            return [], ['JSON must be a list of days or {"days": [...]}, each {"date", "kind", "name"}']
        for n, item in enumerate(data, 1):
            if not isinstance(item, dict):
                errors.append(f"item {n}: expected an object with date, kind, name")
                continue
            raw.append((f"item {n}", {k: "" if v is None else str(v).strip() for k, v in item.items()}))
    else:
        raise ValueError(f"unknown calendar file format {fmt!r}")

    rows: list[DayRow] = []
    seen: dict[dt.date, str] = {}
    for where, row in raw:
        problems = []
        try:
            day = dt.date.fromisoformat(row.get("date", ""))
        except ValueError:
            day = None
            problems.append(f"date {row.get('date', '')!r} is not a YYYY-MM-DD date")
        kind = _KIND_ALIASES.get(row.get("kind", "").lower())
        if kind is None:
            problems.append(f"kind {row.get('kind', '')!r} must be holiday or workday")
        name = row.get("name", "")
        if len(name) > 100:
            problems.append("name is longer than 100 characters")
        elif problem := text_problem(name):
            problems.append(f"name {problem}")
        follows = None
        if row.get("follows_weekday", ""):
            try:
                follows = int(row["follows_weekday"])
                if not 0 <= follows <= 6:
                    raise ValueError
            except ValueError:
                problems.append(
                    f"follows_weekday {row['follows_weekday']!r} must be 0 (Monday) to 6 (Sunday)"
                )
            if kind == "holiday":
                problems.append("follows_weekday is for make-up working days only")
        if day is not None and day in seen:
            problems.append(f"{day} is listed twice (also at {seen[day]})")
        if problems:
            errors.append(f"{where}: " + "; ".join(problems))
            continue
        seen[day] = where
        rows.append(DayRow(date=day, kind=kind, name=name, follows_weekday=follows))
    return rows, errors


def calendar_days_set(*, calendar: WorkCalendar, rows: Iterable[DayRow]) -> DaysImport:
    """Add or replace the dated days (one per date; days not listed stay as they are)."""
    result = DaysImport()
    with transaction.atomic():
        existing = {d.date: d for d in CalendarDay.objects.select_for_update().filter(calendar=calendar)}
        for row in rows:
            day = existing.get(row.date)
            values = {"kind": row.kind, "name": row.name, "follows_weekday": row.follows_weekday}
            if day is None:
                CalendarDay.objects.create(calendar=calendar, date=row.date, **values)
                result.created += 1
            elif any(getattr(day, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(day, k, v)
                day.save(update_fields=list(values))
                result.updated += 1
            else:
                result.unchanged += 1
        calendar_touch(calendar)
    return result


def calendar_days_import(*, calendar: WorkCalendar, content: bytes | str, fmt: str) -> DaysImport:
    """Parse the whole file first; with any error nothing is written (InvalidInput lists the errors)."""
    rows, errors = calendar_days_parse(content, fmt=fmt)
    if errors:
        shown = errors[:MAX_IMPORT_ERRORS]
        if len(errors) > len(shown):
            shown.append(f"… and {len(errors) - len(shown)} more")
        raise InvalidInput(
            gettext_noop("the file has errors:\n%(errors)s"), errors="\n".join(shown), field="file"
        )
    if not rows:
        raise InvalidInput(gettext_noop("the file lists no days"), field="file")
    return calendar_days_set(calendar=calendar, rows=rows)


def calendar_china_2026(calendar: WorkCalendar) -> DaysImport:
    """China's 2026 public holidays and make-up working days (the State Council's notice)."""
    rows = [DayRow(date=dt.date.fromisoformat(d), kind=kind, name=name) for d, kind, name in CHINA_2026]
    return calendar_days_set(calendar=calendar, rows=rows)
