"""Evaluation exports, read back: indicator tables and the case list as CSV and XLSX, from the dashboard's
links and from `manage.py evaluation_report`."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from evaluation import indicators as ev
from evaluation.exports import CASE_COLUMNS, INDICATOR_COLUMNS
from evaluation.models import EvaluationFigure
from evaluation.services import evaluation_materialise
from gridmgmt import clock

from .scenario import AFTER, END, START, build

WEEK = {"start": START.isoformat(), "end": END.isoformat()}


@pytest.fixture
def week(world):
    with clock.frozen_at(AFTER):
        yield build(world)


def _csv(text: str) -> tuple[list[dict], list[str]]:
    assert text.startswith("\ufeff")  # for Excel and WPS
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]], rows[0]


def _streamed(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def _xlsx(data: bytes) -> tuple[list, list[dict]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _get(client, user, name, fmt, **params):
    client.force_login(user)
    return client.get(reverse(name, args=[fmt]), params)


def test_the_indicator_csv_has_stable_snake_case_columns_and_the_figures(client, world, week):
    response = _get(client, world.supervisor, "evaluation-export-indicators", "csv", by="department", **WEEK)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="evaluation-department-20260302-20260308.csv"' in response["Content-Disposition"]
    rows, header = _csv(_streamed(response))
    assert header == list(INDICATOR_COLUMNS)
    assert all(name == name.lower() and " " not in name for name in header)
    sanitation = next(row for row in rows if row["key"] == "sanitation")
    assert sanitation | {"as_of": ""} == {
        "period_start": "2026-03-02",
        "period_end": "2026-03-08",
        "kind": "department",
        "key": "sanitation",
        "label": "环卫局",
        "reported": "",  # does not apply to a department
        "rejected": "",
        "filed": "",
        "dispatched": "5",
        "returned": "0",
        "resolved": "4",
        "reworked": "0",
        "extensions": "1",
        "due": "4",
        "closed": "3",
        "closed_on_time": "2",
        "overdue_open": "1",
        "verified": "4",
        "verified_on_time": "3",
        "avg_handling_hours": "3.83",
        "p90_handling_hours": "7.5",
        # Rates by the dashboard's one rule: percentages rounded half-up to one decimal (2/3 → 66.7).
        "closure_rate": "75.0",
        "on_time_closure_rate": "66.7",
        "rework_rate": "0.0",
        "return_rate": "0.0",
        "on_time_verification_rate": "75.0",
        "valid_report_rate": "",  # no denominator
        "as_of": "",
    }
    assert sanitation["as_of"] == "2026-03-09T00:00:00+08:00"


def test_the_indicator_xlsx_reads_back_the_same_table(client, world, week):
    response = _get(client, world.supervisor, "evaluation-export-indicators", "xlsx", by="grid", **WEEK)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    header, rows = _xlsx(b"".join(response.streaming_content))
    assert header == list(INDICATOR_COLUMNS)
    by_code = {row["key"]: row for row in rows}
    g1 = by_code[world.g1.code]
    assert (g1["reported"], g1["rejected"], g1["due"], g1["closed"], g1["closed_on_time"]) == (3, 1, 2, 2, 1)
    assert g1["valid_report_rate"] == 66.7 and g1["p90_handling_hours"] == 7.5  # 2/3 as on the page
    assert g1["period_start"] == dt.datetime(2026, 3, 2) and g1["as_of"] == dt.datetime(2026, 3, 9)
    assert by_code[world.g4.code]["on_time_closure_rate"] is None


def test_an_export_of_a_stored_period_gives_the_stored_figures(client, world, week):
    evaluation_materialise(start=START, end=END, now=AFTER)
    EvaluationFigure.objects.filter(kind=ev.TOTAL).update(closed=3)  # what was stored is what is reported
    rows, _ = _csv(
        _streamed(_get(client, world.dispatcher, "evaluation-export-indicators", "csv", by="total", **WEEK))
    )
    assert [(row["key"], row["closed"], row["closure_rate"]) for row in rows] == [("all", "3", "60.0")]


def test_the_case_list_streams_the_cases_reported_in_the_period_with_filters(client, world, week):
    response = _get(
        client, world.supervisor, "evaluation-export-cases", "csv", department="sanitation", **WEEK
    )
    assert response.status_code == 200 and response.streaming
    rows, header = _csv(_streamed(response))
    assert header == list(CASE_COLUMNS)
    numbers = [row["number"] for row in rows]
    assert numbers == [c.number for c in (week.c1, week.c2, week.c3, week.c6, week.c9)]  # C8: the week before
    c6 = rows[3]
    assert (c6["state"], c6["department_code"], c6["grid_code"], c6["extension_count"]) == (
        "in_progress",
        "sanitation",
        world.g4.code,
        "1",
    )
    assert c6["reported_at"] == "2026-03-04T09:00:00+08:00" and c6["overdue"] == "1"
    assert rows[2]["return_count"] == "1" and rows[0]["closed_at"] == "2026-03-02T14:30:00+08:00"

    overdue, _ = _csv(
        _streamed(_get(client, world.supervisor, "evaluation-export-cases", "csv", overdue="1", **WEEK))
    )
    assert [row["number"] for row in overdue] == [week.c6.number, week.c9.number]  # C7 is suspended
    by_street, _ = _csv(
        _streamed(
            _get(client, world.supervisor, "evaluation-export-cases", "csv", street=world.street.code, **WEEK)
        )
    )
    assert len(by_street) == 8


def test_the_case_list_as_xlsx(client, world, week):
    response = _get(client, world.dispatcher, "evaluation-export-cases", "xlsx", state="closed", **WEEK)
    header, rows = _xlsx(b"".join(response.streaming_content))
    assert header == list(CASE_COLUMNS)
    assert [row["number"] for row in rows] == [c.number for c in (week.c1, week.c2, week.c3, week.c4)]
    assert rows[0]["reported_at"] == dt.datetime(2026, 3, 2, 8, 40) and rows[0]["overdue"] == 0


def test_an_unknown_format_or_grouping_is_404(client, world):
    assert _get(client, world.supervisor, "evaluation-export-cases", "pdf").status_code == 404
    assert (
        _get(client, world.supervisor, "evaluation-export-indicators", "csv", by="planet").status_code == 404
    )
    assert (
        _get(client, world.supervisor, "evaluation-export-cases", "csv", start="x", end="y").status_code
        == 400
    )


# --- manage.py evaluation_report --------------------------------------------------------------------------


def _report(*args) -> str:
    out = io.StringIO()
    call_command("evaluation_report", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_writes_the_same_table_as_csv(week):
    with clock.frozen_at(AFTER):
        text = _report("--start", "2026-03-02", "--end", "2026-03-08", "--by", "administrator")
    rows, header = _csv(text)
    assert header == list(INDICATOR_COLUMNS)
    assert {row["label"]: (row["reported"], row["valid_report_rate"]) for row in rows} == {
        "gridadmin": ("5", "80.0"),
        "gridadmin_b": ("1", "100.0"),
    }


def test_the_command_writes_xlsx_and_csv_files(week, tmp_path):
    xlsx, csv_file = tmp_path / "grids.xlsx", tmp_path / "departments.csv"
    with clock.frozen_at(AFTER):
        _report(
            "--start",
            "2026-03-02",
            "--end",
            "2026-03-08",
            "--by",
            "grid",
            "--format",
            "xlsx",
            "--out",
            str(xlsx),
        )
        _report("--start", "2026-03-02", "--end", "2026-03-08", "--out", str(csv_file), "--fresh")
    header, rows = _xlsx(xlsx.read_bytes())
    assert header == list(INDICATOR_COLUMNS) and len(rows) == 4
    rows, _ = _csv(csv_file.read_text(encoding="utf-8"))
    assert [(row["key"], row["due"], row["closed"]) for row in rows] == [
        ("roads", "1", "1"),
        ("sanitation", "4", "3"),
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (("--start", "2026-03-08", "--end", "2026-03-02"), "ends on or after"),
        (("--start", "March", "--end", "2026-03-02"), "not a date"),
        (("--start", "2026-03-02", "--end", "2026-03-08", "--format", "xlsx"), "--out"),
    ],
)
def test_the_command_refuses_bad_input(db, args, message):
    with pytest.raises(CommandError, match=message):
        _report(*args)
