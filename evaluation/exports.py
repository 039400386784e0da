"""Evaluation exports: the indicator tables and the case list, as streamed CSV and write-only XLSX.

Both formats carry the same header row of stable snake_case column names. CSV starts with a UTF-8 byte
order mark so that Excel and WPS open the Chinese labels correctly (read it back with ``utf-8-sig``);
times are local ISO 8601 with their offset, rates are percentages by the product's one rule
(gridmgmt.figures: rounded half-up to one decimal, 2/3 → 66.7, as on the dashboard), an inapplicable or
undefined value is empty. Each place is named beside its code (``grid_code`` and ``grid_name``, ``key`` and
``label``): the code for whoever joins the file to other data, the name for whoever reads it.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.utils import timezone

from cases.models import OPEN_STATES
from cases.selectors import cases_filter, cases_visible_to

from .indicators import COLUMNS, Period, Table, table_rows
from .patrol_indicators import PATROL_COLUMNS, PatrolTable, patrol_table_rows

INDICATOR_COLUMNS = COLUMNS
PATROL_INDICATOR_COLUMNS = PATROL_COLUMNS
CASE_COLUMNS = (
    "number",
    "reported_at",
    "source",
    "category_code",
    "category_name",
    "priority",
    "state",
    "grid_code",
    "grid_name",
    "community_code",
    "community_name",
    "street_code",
    "street_name",
    "department_code",
    "department_name",
    "deadline_stage",
    "deadline_at",
    "overdue",
    "suspended",
    "return_count",
    "rework_count",
    "extension_count",
    "closed_at",
)
# The case-list filters the exports accept (all codes, as the search and map pages use them).
CASE_FILTERS = ("state", "category", "grid", "community", "street", "department")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"


class _Echo:
    """A file-like object whose write returns the line: csv.writer then yields text instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _text(value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _excel(value, sheet):
    # Excel has no time zones: local wall-clock time, as the page shows it.
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        # A rounded figure (a rate's 66.7) keeps its decimals on screen: 100.0, not 100.
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        places = max(0, -value.as_tuple().exponent)
        cell.number_format = "0." + "0" * places if places else "0"
        return cell
    return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The CSV text line by line (BOM first), for StreamingHttpResponse or a file."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(list(header))
    for row in rows:
        yield writer.writerow([_text(value) for value in row])


def xlsx_write(target, header: Iterable[str], rows: Iterable[Iterable], *, title: str) -> None:
    """One sheet, header row first, written row by row (constant memory) to a path or a binary file."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append([_excel(value, sheet) for value in row])
    workbook.save(target)


def indicator_rows(table: Table) -> Iterator[list]:
    return table_rows(table)


def patrol_rows(table: PatrolTable) -> Iterator[list]:
    """The patrol, visit and discovery figures of one grouping, in PATROL_COLUMNS order."""
    return patrol_table_rows(table)


def case_list_rows(*, user, period: Period, now: dt.datetime, **filters) -> Iterator[list]:
    """The cases reported in the period that `user` may see, narrowed by `filters` (CASE_FILTERS codes and
    ``overdue``), oldest first, read in chunks. One query."""
    cases = cases_filter(
        cases_visible_to(user),
        now=now,
        reported_after=period.start_at,
        reported_before=period.end_at,
        **filters,
    )
    rows = (
        cases.order_by("reported_at", "pk")
        .values_list(
            "number",
            "reported_at",
            "source",
            "category__code",
            "category__name",
            "priority",
            "state",
            "grid__code",
            "grid__name",
            "grid__community__code",
            "grid__community__name",
            "grid__community__parent__code",
            "grid__community__parent__name",
            "department__code",
            "department__name",
            "deadline_stage",
            "deadline_at",
            "suspended_at",
            "return_count",
            "rework_count",
            "extension_count",
            "closed_at",
        )
        .iterator(chunk_size=2000)
    )
    for row in rows:
        *head, deadline_stage, deadline_at, suspended_at, returns, reworks, extensions, closed_at = row
        state = head[6]
        overdue = (
            state in OPEN_STATES and suspended_at is None and deadline_at is not None and deadline_at < now
        )
        yield [
            *head,
            deadline_stage,
            deadline_at,
            overdue,
            suspended_at is not None,
            returns,
            reworks,
            extensions,
            closed_at,
        ]
