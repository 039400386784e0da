"""Working-time arithmetic: weekends, lunch breaks, holidays, make-up days (调休), other zones, properties."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from worktime.hours import (
    Calendar,
    CalendarError,
    add_working_time,
    periods_normalise,
    working_minutes_between,
)
from worktime.services import CHINA_2026, STANDARD_HOURS

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE_HOURS = {day: STANDARD_HOURS for day in range(5)}  # Mon–Fri 08:30–12:00, 14:00–17:30: 420 min a day

HOLIDAYS_2026 = [dt.date.fromisoformat(d) for d, kind, _ in CHINA_2026 if kind == "holiday"]
WORKDAYS_2026 = [dt.date.fromisoformat(d) for d, kind, _ in CHINA_2026 if kind == "workday"]
OFFICE = Calendar.of(hours=OFFICE_HOURS, name="office")
CHINA = Calendar.of(hours=OFFICE_HOURS, holidays=HOLIDAYS_2026, workdays=WORKDAYS_2026, name="China 2026")


def at(day: str, time: str, tz=SHANGHAI) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=tz)


def add(start: dt.datetime, minutes: float, calendar: Calendar = OFFICE) -> dt.datetime:
    return add_working_time(start, minutes, calendar)


# 2026-03-02 is a Monday; 2026-03-06 a Friday.


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (at("2026-03-06", "17:00"), 60, at("2026-03-09", "09:00")),  # Friday evening → Monday morning
        (at("2026-03-02", "11:30"), 60, at("2026-03-02", "14:30")),  # over the lunch break
        (at("2026-03-02", "06:00"), 30, at("2026-03-02", "09:00")),  # before opening: counting starts 08:30
        (at("2026-03-07", "10:00"), 60, at("2026-03-09", "09:30")),  # a Saturday start
        (at("2026-03-02", "08:30"), 420, at("2026-03-02", "17:30")),  # a whole day ends at closing time
        (at("2026-03-02", "08:30"), 421, at("2026-03-03", "08:31")),
        (at("2026-03-02", "09:00"), 5 * 420, at("2026-03-09", "09:00")),  # a working week is a calendar week
        (at("2026-03-06", "20:00"), 0.5, at("2026-03-09", "08:30:30")),  # fractions of a minute count
    ],
)
def test_it_counts_only_working_hours(start, minutes, expected):
    assert add(start, minutes) == expected


def test_a_deadline_may_fall_exactly_at_the_end_of_a_period():
    assert add(at("2026-03-02", "08:30"), 210) == at("2026-03-02", "12:00")  # not 14:00
    assert add(at("2026-03-02", "12:00"), 0) == at("2026-03-02", "12:00")  # 12:00 is inside
    assert add(at("2026-03-02", "12:00"), 1) == at("2026-03-02", "14:01")


def test_a_period_may_run_to_midnight():
    evenings = Calendar.of(hours={0: [("18:00", "24:00")]})  # Mondays only
    assert add(at("2026-03-02", "23:00"), 60, evenings) == at("2026-03-03", "00:00")
    assert evenings.is_working(at("2026-03-03", "00:00")) and not evenings.is_working(
        at("2026-03-03", "00:01")
    )
    assert add(at("2026-03-03", "00:00"), 1, evenings) == at("2026-03-09", "18:01")


def test_adding_nothing_keeps_a_working_instant_and_moves_any_other_to_the_next_working_start():
    assert add(at("2026-03-02", "10:17:03"), 0) == at("2026-03-02", "10:17:03")
    assert add(at("2026-03-02", "12:30"), 0) == at("2026-03-02", "14:00")
    assert add(at("2026-03-06", "18:00"), 0) == at("2026-03-09", "08:30")


def test_holidays_are_skipped():
    # Qingming 2026: Saturday 4 April to Monday 6 April.
    assert add(at("2026-04-03", "17:00"), 60, CHINA) == at("2026-04-07", "09:00")
    assert add(at("2026-04-03", "17:00"), 60, OFFICE) == at("2026-04-06", "09:00")
    # National Day: 1–7 October (Thursday to Wednesday).
    assert add(at("2026-09-30", "17:00"), 60, CHINA) == at("2026-10-08", "09:00")


def test_a_make_up_saturday_counts_as_a_working_day():
    # 调休: Saturday 14 February 2026 is worked before the Spring Festival (15–23 February).
    assert add(at("2026-02-13", "17:00"), 60, CHINA) == at("2026-02-14", "09:00")
    assert add(at("2026-02-14", "17:00"), 60, CHINA) == at("2026-02-24", "09:00")
    # …and Saturday 28 February after it.
    assert add(at("2026-02-27", "17:30"), 210, CHINA) == at("2026-02-28", "12:00")
    assert add(at("2026-02-27", "17:30"), 210, OFFICE) == at("2026-03-02", "12:00")


def test_a_make_up_day_may_follow_a_named_weekday():
    short_friday = {**OFFICE_HOURS, 4: [("08:30", "12:00")]}
    calendar = Calendar.of(hours=short_friday, workdays={dt.date(2026, 3, 7): 4})
    assert calendar.periods_on(dt.date(2026, 3, 7)) == calendar.periods_on(dt.date(2026, 3, 6))
    assert add(at("2026-03-06", "11:00"), 120, calendar) == at("2026-03-07", "09:30")
    # Unnamed: the first weekday with working hours (Monday).
    plain = Calendar.of(hours=short_friday, workdays=[dt.date(2026, 3, 7)])
    assert add(at("2026-03-07", "11:00"), 120, plain) == at("2026-03-07", "15:00")


def test_working_minutes_between_counts_the_same_way():
    assert working_minutes_between(at("2026-03-06", "17:00"), at("2026-03-09", "09:00"), OFFICE) == 60
    assert working_minutes_between(at("2026-03-02", "00:00"), at("2026-03-09", "00:00"), OFFICE) == 2100
    assert working_minutes_between(at("2026-03-02", "12:10"), at("2026-03-02", "13:50"), OFFICE) == 0
    assert working_minutes_between(at("2026-03-09", "09:00"), at("2026-03-06", "17:00"), OFFICE) == -60
    # Spring Festival fortnight: Fri 13th, the make-up Saturday 14th, then Tue 24th to Thu 26th.
    assert working_minutes_between(at("2026-02-13", "08:30"), at("2026-02-27", "08:30"), CHINA) == 5 * 420
    # A whole year of China 2026: weekdays, less holidays on weekdays, plus the make-up weekend days.
    weekdays = sum(1 for n in range(365) if (dt.date(2026, 1, 1) + dt.timedelta(n)).weekday() < 5)
    off = sum(1 for d in HOLIDAYS_2026 if d.weekday() < 5)
    worked_weekends = sum(1 for d in WORKDAYS_2026 if d.weekday() >= 5)
    year = working_minutes_between(at("2026-01-01", "00:00"), at("2027-01-01", "00:00"), CHINA)
    assert year == (weekdays - off + worked_weekends) * 420 == 248 * 420


def test_results_keep_the_starts_time_zone_and_utc_inputs_work():
    start = dt.datetime(2026, 3, 6, 9, 0, tzinfo=dt.UTC)  # 17:00 on Friday in Shanghai
    result = add(start, 60)
    assert result.tzinfo is dt.UTC and result == dt.datetime(2026, 3, 9, 1, 0, tzinfo=dt.UTC)


def test_a_calendar_in_another_zone_counts_in_its_own_wall_clock():
    berlin = Calendar.of(hours={day: [("09:00", "17:00")] for day in range(5)}, timezone="Europe/Berlin")
    # Friday 16:00 CET + 2 h → Monday 10:00 CEST, across the spring change (Sunday 29 March 2026).
    start = at("2026-03-27", "16:00", BERLIN)
    assert add(start, 120, berlin) == at("2026-03-30", "10:00", BERLIN)
    assert add(start, 120, berlin) == dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC)
    # The same instant in Shanghai's office hours is Friday 23:00 there.
    assert add(start, 120, OFFICE) == at("2026-03-30", "10:30")


def test_minutes_are_real_minutes_on_a_day_the_clocks_change():
    always = Calendar.of(hours={day: [("00:00", "24:00")] for day in range(7)}, timezone="Europe/Berlin")
    sunday, monday = at("2026-03-29", "00:00", BERLIN), at("2026-03-30", "00:00", BERLIN)
    assert working_minutes_between(sunday, monday, always) == 23 * 60
    start = at("2026-03-28", "12:00", BERLIN)
    assert add(start, 24 * 60, always) == start.astimezone(dt.UTC) + dt.timedelta(hours=24)
    autumn = at("2026-10-25", "00:00", BERLIN)
    assert working_minutes_between(autumn, at("2026-10-26", "00:00", BERLIN), always) == 25 * 60


def test_a_calendar_without_working_hours_raises_instead_of_looping():
    closed = Calendar.of(hours={}, name="closed")
    with pytest.raises(CalendarError, match="'closed' has no working hours"):
        add(at("2026-03-02", "09:00"), 1, closed)
    assert working_minutes_between(at("2026-03-02", "09:00"), at("2026-04-02", "09:00"), closed) == 0
    # Only one make-up day: time up to it can be counted, beyond it cannot.
    one_day = Calendar.of(hours={}, workdays={dt.date(2026, 3, 7): None}, name="one day")
    with pytest.raises(CalendarError):
        add(at("2026-03-02", "09:00"), 1, one_day)  # the day has no hours: no weekday has any
    sole = Calendar.of(hours={0: []}, workdays={dt.date(2026, 3, 7): None})
    assert sole.periods_on(dt.date(2026, 3, 7)) == ()
    saturday = Calendar.of(hours={5: [("08:00", "09:00")]}, holidays=[dt.date(2026, 3, 14)])
    assert add(at("2026-03-02", "09:00"), 90, saturday) == at("2026-03-21", "08:30")


def test_long_spans_skip_whole_weeks():
    calendar = Calendar.of(hours=OFFICE_HOURS)
    ten_years = 10 * 52 * 5 * 420
    result = add(at("2026-03-02", "09:00"), ten_years, calendar)
    assert result == at("2036-02-18", "09:00")  # 520 weeks later
    assert working_minutes_between(at("2026-03-02", "09:00"), result, calendar) == ten_years
    assert len(calendar._instants) < 30  # a few days converted, not 3,640


def test_it_refuses_naive_datetimes_and_negative_minutes():
    with pytest.raises(ValueError, match="timezone-aware"):
        add(dt.datetime(2026, 3, 2, 9, 0), 10)
    with pytest.raises(ValueError, match="negative"):
        add(at("2026-03-02", "09:00"), -1)
    with pytest.raises(ValueError, match="timezone-aware"):
        working_minutes_between(dt.datetime(2026, 3, 2), at("2026-03-02", "09:00"), OFFICE)


def test_periods_are_sorted_and_merged_and_must_be_well_formed():
    assert periods_normalise([("14:00", "17:30"), ("08:30", "12:00"), ("11:00", "12:30")]) == (
        (dt.timedelta(hours=8, minutes=30), dt.timedelta(hours=12, minutes=30)),
        (dt.timedelta(hours=14), dt.timedelta(hours=17, minutes=30)),
    )
    assert periods_normalise([(dt.time(22), dt.time(0))]) == ((dt.timedelta(hours=22), dt.timedelta(days=1)),)
    with pytest.raises(CalendarError, match="start before it ends"):
        periods_normalise([("17:00", "09:00")])


# --- properties ---

ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York"]
QUARTERS = st.integers(min_value=0, max_value=96)  # quarter hours of a day; 96 = midnight at its end
DATES = st.dates(min_value=dt.date(2025, 12, 1), max_value=dt.date(2027, 1, 31))


@st.composite
def calendars(draw) -> Calendar:
    """Office hours with China 2026, or random periods, holidays and make-up days in one of three zones."""
    if draw(st.booleans()):
        return CHINA
    hours = {}
    for day in range(7):
        cuts = sorted(draw(st.sets(QUARTERS, max_size=6)))
        hours[day] = [
            (dt.timedelta(minutes=15 * a), dt.timedelta(minutes=15 * b))
            for a, b in zip(cuts[::2], cuts[1::2], strict=False)
        ]
    assume(any(hours.values()))
    return Calendar.of(
        hours=hours,
        holidays=draw(st.sets(DATES, max_size=12)),
        workdays=draw(st.sets(DATES, max_size=6)),
        timezone=draw(st.sampled_from(ZONES)),
    )


STARTS = st.datetimes(
    min_value=dt.datetime(2025, 12, 1), max_value=dt.datetime(2027, 1, 31), timezones=st.just(dt.UTC)
)
MINUTES = st.integers(min_value=0, max_value=30_000)
PROPERTY = settings(max_examples=150, deadline=None)


@PROPERTY
@given(calendars(), STARTS, MINUTES, MINUTES)
def test_more_minutes_never_end_earlier(calendar, start, a, b):
    low, high = sorted((a, b))
    assert add(start, low, calendar) <= add(start, high, calendar)


@PROPERTY
@given(calendars(), STARTS, STARTS, MINUTES)
def test_a_later_start_never_ends_earlier(calendar, s1, s2, minutes):
    early, late = sorted((s1, s2))
    assert add(early, minutes, calendar) <= add(late, minutes, calendar)


@PROPERTY
@given(calendars(), STARTS, MINUTES, MINUTES)
def test_adding_in_two_steps_equals_adding_at_once(calendar, start, a, b):
    assert add(add(start, a, calendar), b, calendar) == add(start, a + b, calendar)


@PROPERTY
@given(calendars(), STARTS, MINUTES)
def test_a_result_never_lands_outside_working_hours(calendar, start, minutes):
    assert calendar.is_working(add(start, minutes, calendar))


@PROPERTY
@given(calendars(), STARTS, MINUTES)
def test_working_minutes_between_inverts_adding(calendar, start, minutes):
    start = add(start, 0, calendar)  # a start inside working time
    assert working_minutes_between(start, add(start, minutes, calendar), calendar) == minutes


@PROPERTY
@given(calendars(), STARTS, STARTS, STARTS)
def test_working_minutes_add_up_over_consecutive_spans(calendar, a, b, c):
    a, b, c = sorted((a, b, c))
    whole = working_minutes_between(a, c, calendar)
    assert whole == pytest.approx(
        working_minutes_between(a, b, calendar) + working_minutes_between(b, c, calendar)
    )
    assert whole >= 0


@PROPERTY
@given(st.sampled_from(ZONES), STARTS, st.integers(min_value=0, max_value=500_000))
def test_a_calendar_open_around_the_clock_is_the_wall_clock(zone, start, minutes):
    always = Calendar.of(hours={day: [("00:00", "24:00")] for day in range(7)}, timezone=zone)
    assert add(start, minutes, always) == start + dt.timedelta(minutes=minutes)
