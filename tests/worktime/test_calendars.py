"""Work calendars in the database: the default made on first use, the cache, file import, the admin."""

import datetime as dt
import json
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from worktime import cache as worktime_cache
from worktime.hours import add_working_time
from worktime.models import CalendarDay, WorkCalendar, WorkingHours
from worktime.selectors import calendar_resolve
from worktime.services import (
    CHINA_2026,
    DEFAULT_CALENDAR_NAME,
    DayRow,
    calendar_china_2026,
    calendar_days_set,
    calendar_default,
)

from .. import factories

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
FRIDAY_5PM = dt.datetime(2026, 3, 6, 17, 0, tzinfo=SHANGHAI)
MONDAY_9AM = dt.datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)


def an_hour_of_work_after_friday_5pm() -> dt.datetime:
    """On the default work calendar, as deadlines count it."""
    return add_working_time(FRIDAY_5PM, 60, calendar_resolve())


def test_a_fresh_install_gets_the_standard_calendar_on_first_use():
    assert not WorkCalendar.objects.exists()

    assert an_hour_of_work_after_friday_5pm() == MONDAY_9AM

    calendar = WorkCalendar.objects.get()
    assert (
        calendar.is_default
        and calendar.name == DEFAULT_CALENDAR_NAME
        and calendar.timezone == "Asia/Shanghai"
    )
    assert sorted(
        (h.weekday, f"{h.start:%H:%M}", f"{h.end:%H:%M}")
        for h in WorkingHours.objects.filter(calendar=calendar)
    ) == [(day, start, end) for day in range(5) for start, end in (("08:30", "12:00"), ("14:00", "17:30"))]
    assert calendar_default() == calendar  # once only


def test_the_2026_holidays_follow_the_state_council_notice():
    calendar = calendar_default()
    result = calendar_china_2026(calendar)
    assert (result.created, result.updated) == (len(CHINA_2026), 0)
    assert calendar_china_2026(calendar).unchanged == len(CHINA_2026)  # the seed may run it twice
    days = {d.date: d for d in CalendarDay.objects.filter(calendar=calendar)}
    holidays = [d for d, day in days.items() if day.kind == CalendarDay.Kind.HOLIDAY]
    workdays = sorted(d for d, day in days.items() if day.kind == CalendarDay.Kind.WORKDAY)
    assert len(holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert [f"{d:%m-%d}" for d in workdays] == ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"]
    assert all(d.weekday() >= 5 for d in workdays)  # make-up days are weekend days
    assert days[dt.date(2026, 2, 17)].name == "春节"


def test_the_cache_sees_a_change_made_through_the_services_at_once(settings):
    settings.WORK_CALENDAR_CHECK_SECONDS = 3600
    calendar = calendar_default()
    before = calendar_resolve()
    assert calendar_resolve() is before  # cached

    calendar_days_set(calendar=calendar, rows=[DayRow(date=dt.date(2026, 3, 9), kind="holiday", name="停工")])

    assert calendar_resolve() is not before
    assert an_hour_of_work_after_friday_5pm() == MONDAY_9AM + dt.timedelta(days=1)


def test_another_processs_change_is_seen_within_the_check_interval(settings, monkeypatch):
    settings.WORK_CALENDAR_CHECK_SECONDS = 5
    calendar = calendar_default()
    before = calendar_resolve()
    # Another process adds a holiday and moves the version; this process was not told.
    CalendarDay.objects.create(calendar=calendar, date=dt.date(2026, 3, 9), kind="holiday")
    WorkCalendar.objects.filter(pk=calendar.pk).update(version=calendar.version + 1)
    assert calendar_resolve() is before
    now = worktime_cache._clock()
    monkeypatch.setattr(worktime_cache, "_clock", lambda: now + 6)
    assert calendar_resolve() is not before
    assert an_hour_of_work_after_friday_5pm() == MONDAY_9AM + dt.timedelta(days=1)


def test_a_new_default_calendar_takes_over(world):
    assert an_hour_of_work_after_friday_5pm() == FRIDAY_5PM + dt.timedelta(hours=1)  # the world's: 24/7
    office = factories.work_calendar("office")
    assert an_hour_of_work_after_friday_5pm() == MONDAY_9AM
    assert list(WorkCalendar.objects.filter(is_default=True)) == [office]


# --- import_calendar ---


def _import(tmp_path, name: str, content: str, *args: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    out = StringIO()
    call_command("import_calendar", str(path), *args, stdout=out)
    return out.getvalue()


def test_it_imports_holidays_and_make_up_days_from_csv(tmp_path):
    calendar = calendar_default()
    out = _import(
        tmp_path,
        "days.csv",
        "date,kind,name\n2026-03-09,holiday,检修停工\n2026-03-07,workday,调休上班\n2026-03-10,休,\n",
    )
    assert "3 days added" in out
    assert an_hour_of_work_after_friday_5pm() == dt.datetime(2026, 3, 7, 9, 0, tzinfo=SHANGHAI)  # Saturday
    rows = CalendarDay.objects.filter(calendar=calendar).order_by("date").values_list("date", "kind", "name")
    assert [(f"{d:%m-%d}", k, n) for d, k, n in rows] == [
        ("03-07", "workday", "调休上班"),
        ("03-09", "holiday", "检修停工"),
        ("03-10", "holiday", ""),
    ]
    # Importing again replaces listed dates and leaves the others.
    out = _import(tmp_path, "again.csv", "date,kind,name\n2026-03-09,workday,改为上班\n")
    assert "0 days added, 1 changed" in out
    assert CalendarDay.objects.get(date=dt.date(2026, 3, 9)).kind == "workday"
    assert CalendarDay.objects.count() == 3


def test_it_imports_json_into_a_named_calendar(tmp_path):
    calendar_default()
    other = factories.work_calendar("二号日历", default=False)
    days = {"days": [{"date": "2026-05-01", "kind": "holiday", "name": "劳动节"}]}
    _import(tmp_path, "days.json", json.dumps(days, ensure_ascii=False), "--calendar", "二号日历")
    assert list(CalendarDay.objects.values_list("calendar", "name")) == [(other.pk, "劳动节")]


def test_a_file_with_bad_rows_imports_nothing_and_names_each_row(tmp_path):
    calendar_default()
    content = (
        "date,kind,name\n"
        "2026-03-09,holiday,ok\n"
        "2026-13-01,holiday,bad date\n"
        "2026-03-10,vacation,bad kind\n"
        "2026-03-09,workday,twice\n"
    )
    with pytest.raises(CommandError) as failure:
        _import(tmp_path, "bad.csv", content)
    message = str(failure.value)
    assert "nothing imported" in message
    assert "line 3: date '2026-13-01' is not a YYYY-MM-DD date" in message
    assert "line 4: kind 'vacation' must be holiday or workday" in message
    assert "line 5: 2026-03-09 is listed twice (also at line 2)" in message
    assert not CalendarDay.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("days.csv", "day,type\n2026-03-09,holiday\n", "header must name the columns date,kind,name"),
        ("days.json", "[{", "not valid JSON"),
        ("days.json", '{"holidays": []}', "JSON must be a list of days"),
        ("days.json", '["2026-03-09"]', "item 1: expected an object"),
        ("days.csv", "date,kind,name\n", "the file lists no days"),
        ("days.txt", "", "cannot tell the format"),
    ],
)
def test_it_explains_a_file_it_cannot_read(tmp_path, name, content, error):
    with pytest.raises(CommandError, match=error):
        _import(tmp_path, name, content)
    assert not CalendarDay.objects.exists()


def test_it_names_the_calendars_when_the_one_asked_for_does_not_exist(tmp_path):
    calendar_default()
    with pytest.raises(
        CommandError, match=f"no work calendar named 'nope' \\(calendars: {DEFAULT_CALENDAR_NAME}\\)"
    ):
        _import(tmp_path, "days.csv", "date,kind,name\n2026-03-09,holiday,x\n", "--calendar", "nope")


# --- admin ---


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    return client


def _inline_management(prefix: str, total: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_the_admin_edits_hours_and_days_inline_and_switches_the_default(admin_client):
    standard = calendar_default()
    assert admin_client.get("/admin/worktime/workcalendar/").status_code == 200
    assert admin_client.get(f"/admin/worktime/workcalendar/{standard.pk}/change/").status_code == 200

    response = admin_client.post(
        "/admin/worktime/workcalendar/add/",
        {
            "name": "夜班",
            "make_default": "on",
            "timezone": "Asia/Shanghai",
            **_inline_management("hours", 1),
            "hours-0-weekday": "4",
            "hours-0-start": "17:00",
            "hours-0-end": "00:00",  # midnight at the end of the day
            **_inline_management("days", 1),
            "days-0-date": "2026-03-06",
            "days-0-kind": "holiday",
            "days-0-name": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    night = WorkCalendar.objects.get(name="夜班")
    assert list(WorkCalendar.objects.filter(is_default=True)) == [night]
    assert str(night.hours.get()) == "Friday 17:00–24:00"
    # The new default applies at once: Friday 6 March is its holiday, so the next Friday evening.
    assert an_hour_of_work_after_friday_5pm() == FRIDAY_5PM + dt.timedelta(days=7, hours=1)


def test_the_admin_refuses_to_leave_no_default_and_an_unknown_zone(admin_client):
    standard = calendar_default()
    data = {"name": standard.name, "timezone": "Mars/Olympus", **_inline_management("hours")}
    data |= _inline_management("days")
    response = admin_client.post(f"/admin/worktime/workcalendar/{standard.pk}/change/", data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "make another one the default" in str(errors["make_default"])
    assert "not an IANA time zone" in str(errors["timezone"])
    standard.refresh_from_db()
    assert standard.is_default
