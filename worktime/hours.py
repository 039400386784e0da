"""Working-time arithmetic: the one place deadlines are counted against a work calendar.

Semantics (all tested in tests/worktime/test_hours.py):

- Working time is the union of the calendar's periods, taken as *closed* intervals: an instant exactly at a
  period's end (12:00 of 08:30–12:00) is inside working time, so a deadline may fall there.
- ``add_working_time(start, m)`` is the instant at which ``m`` working minutes have passed since ``start``.
  Counting starts at ``start`` if it is inside working time, else at the next period's start; so
  ``add_working_time(start, 0)`` is ``start`` itself inside working time and the next working start outside
  it. The result always lies in working time; with ``m > 0`` a result is never a period's start (the last
  minute counted ends it), so the next count continues at once: ``add(add(s, a), b) == add(s, a + b)``.
- ``working_minutes_between(a, b)`` counts the working minutes in ``[a, b]`` (negative when ``b < a``); for a
  start inside working time it inverts ``add_working_time`` exactly.
- Minutes are real elapsed minutes. Periods are wall-clock times in the calendar's zone, turned into
  instants day by day, so a zone with daylight saving time is handled (a period that straddles a shift is
  an hour shorter or longer that day). Inputs must be aware; results carry the start's tzinfo.
- Make-up working days (调休) use the hours of the weekday they name, or the calendar's first weekday with
  working hours; holidays have none.

A ``Calendar`` is a plain immutable value, so the arithmetic needs no database; worktime.selectors loads
one from a WorkCalendar row (and the default calendar, cached per process).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)
MINUTE = dt.timedelta(minutes=1)
# A guard, not a limit anyone should meet: deadlines lie days or weeks ahead; whole weeks are skipped.
MAX_SPAN_DAYS = 366 * 200

Period = tuple[dt.timedelta, dt.timedelta]  # (start, end) as offsets from local midnight; end ≤ 24 h


class CalendarError(ValueError):
    """The calendar cannot answer: it has no working time from some point on, or it is malformed."""


def _offset(value: dt.time | dt.timedelta | str, *, is_end: bool) -> dt.timedelta:
    if isinstance(value, str):
        value = dt.time.fromisoformat("00:00" if value == "24:00" and is_end else value)
        if is_end and value == dt.time(0):
            return DAY
    if isinstance(value, dt.timedelta):
        return value
    offset = dt.timedelta(
        hours=value.hour, minutes=value.minute, seconds=value.second, microseconds=value.microsecond
    )
    # An end of 00:00 is midnight at the end of the day (WorkingHours stores 24:00 that way).
    return DAY if is_end and offset == dt.timedelta(0) else offset


def periods_normalise(periods: Iterable[tuple]) -> tuple[Period, ...]:
    """Sorted, with overlapping or touching periods merged; each start before its end, within the day."""
    spans = sorted((_offset(s, is_end=False), _offset(e, is_end=True)) for s, e in periods)
    merged: list[Period] = []
    for start, end in spans:
        if not dt.timedelta(0) <= start < end <= DAY:
            raise CalendarError(f"a working period must start before it ends, within one day: {start}–{end}")
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True, eq=False)
class Calendar:
    """Working periods per weekday (0 = Monday) and the dated exceptions, in one time zone."""

    weekly: tuple[tuple[Period, ...], ...]
    special: Mapping[dt.date, tuple[Period, ...]] = field(default_factory=dict)
    tz: dt.tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    name: str = ""

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise CalendarError("a work calendar needs the periods of all seven weekdays")
        set_ = object.__setattr__  # frozen: derived values are computed once here
        set_(self, "weekly", tuple(periods_normalise(day) for day in self.weekly))
        set_(self, "special", {day: periods_normalise(p) for day, p in self.special.items()})
        set_(self, "_special_dates", tuple(sorted(self.special)))
        set_(self, "_week_total", sum((e - s for day in self.weekly for s, e in day), dt.timedelta(0)))
        set_(self, "_instants", {})

    @classmethod
    def of(
        cls,
        *,
        hours: Mapping[int, Iterable[tuple]],
        holidays: Iterable[dt.date] = (),
        workdays: Iterable[dt.date] | Mapping[dt.date, int | None] = (),
        timezone: str | dt.tzinfo = "Asia/Shanghai",
        name: str = "",
    ) -> Calendar:
        """Build from ``{weekday: [(start, end), …]}`` ("08:30", dt.time or "24:00"), holiday dates and
        make-up working days (a date, or date → the weekday whose hours apply)."""
        weekly = tuple(periods_normalise(hours.get(day, ())) for day in range(7))
        standard = next((p for p in weekly if p), ())
        workdays = workdays if isinstance(workdays, Mapping) else dict.fromkeys(workdays)
        special: dict[dt.date, tuple[Period, ...]] = dict.fromkeys(holidays, ())
        for day, follows in workdays.items():
            special[day] = standard if follows is None else weekly[follows]
        tz = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        return cls(weekly=weekly, special=special, tz=tz, name=name)

    # --- the calendar as instants ---

    def periods_on(self, day: dt.date) -> tuple[Period, ...]:
        periods = self.special.get(day)
        return self.weekly[day.weekday()] if periods is None else periods

    def _instant(self, day: dt.date, offset: dt.timedelta) -> dt.datetime:
        # Aware + timedelta is wall-clock arithmetic in Python; astimezone then applies that wall time's
        # offset, which is what makes a period's instants right on a day the clocks change.
        return (dt.datetime.combine(day, dt.time(), tzinfo=self.tz) + offset).astimezone(dt.UTC)

    def instants_on(self, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """The day's working periods as (start, end) UTC instants, cached: deadlines revisit days."""
        cached = self._instants.get(day)
        if cached is None:
            # Wall times inside the hour skipped when the clocks go forward map an hour on, past later
            # periods' starts: sort and merge again as instants.
            spans = sorted((self._instant(day, s), self._instant(day, e)) for s, e in self.periods_on(day))
            merged: list[tuple[dt.datetime, dt.datetime]] = []
            for a, b in spans:
                if a >= b:
                    continue
                if merged and a <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], b))
                else:
                    merged.append((a, b))
            cached = tuple(merged)
            if len(self._instants) > 20_000:
                self._instants.clear()
            self._instants[day] = cached
        return cached

    def is_working(self, instant: dt.datetime) -> bool:
        instant = _aware(instant, "instant").astimezone(dt.UTC)
        day = instant.astimezone(self.tz).date()
        # The day before too: a period that ends at midnight holds that instant (periods are closed).
        return any(a <= instant <= b for d in (day - DAY, day) for a, b in self.instants_on(d))

    def local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self.tz).date()

    # --- whole weeks, for long spans ---

    def _plain_week(self, day: dt.date) -> bool:
        """True when the seven days from ``day`` hold exactly ``_week_total`` of working time: no dated
        exception among them and the same UTC offset at both ends (no clock change inside the week)."""
        i = bisect.bisect_left(self._special_dates, day)
        if i < len(self._special_dates) and self._special_dates[i] < day + WEEK:
            return False
        start = dt.datetime.combine(day, dt.time(), tzinfo=self.tz)
        return start.utcoffset() == dt.datetime.combine(day + WEEK, dt.time(), tzinfo=self.tz).utcoffset()

    def _check_progress(self, day: dt.date, first_day: dt.date) -> None:
        """Raise instead of walking forever through a calendar that has no working time left."""
        if not self._week_total and (not self._special_dates or day > self._special_dates[-1]):
            raise CalendarError(
                f"work calendar {self.name or '(unnamed)'!r} has no working hours after {day:%Y-%m-%d}: "
                "a deadline in working time would never fall due"
            )
        if (day - first_day).days > MAX_SPAN_DAYS:
            raise CalendarError(f"a working-time span longer than {MAX_SPAN_DAYS} days")


def _aware(value: dt.datetime, what: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return value


def add_working_time(start: dt.datetime, minutes: float, cal: Calendar) -> dt.datetime:
    """The instant ``minutes`` working minutes after ``start`` (see the module docstring for the rules)."""
    _aware(start, "start")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    remaining = dt.timedelta(minutes=minutes)
    cursor = start.astimezone(dt.UTC)
    first_day = day = cal.local_date(start)
    while True:
        if day != first_day:
            # Whole plain weeks at once; strictly more than a week left, so the landing is found below.
            while cal._week_total and remaining > cal._week_total and cal._plain_week(day):
                remaining -= cal._week_total
                day += WEEK
        for a, b in cal.instants_on(day):
            if b < cursor:
                continue
            begin = max(a, cursor)
            if remaining <= b - begin:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= b - begin
            cursor = b
        day += DAY
        cal._check_progress(day, first_day)


def working_minutes_between(a: dt.datetime, b: dt.datetime, cal: Calendar) -> float:
    """Working minutes from ``a`` to ``b``; negative when ``b`` is before ``a``."""
    _aware(a, "a")
    _aware(b, "b")
    if b < a:
        return -working_minutes_between(b, a, cal)
    begin, end = a.astimezone(dt.UTC), b.astimezone(dt.UTC)
    day, last_day = cal.local_date(a), cal.local_date(b)
    first_day = day
    total = dt.timedelta(0)
    while day <= last_day:
        if day != first_day:
            # A whole week that ends before b's day lies entirely between a and b.
            while day + WEEK <= last_day and cal._plain_week(day):
                total += cal._week_total
                day += WEEK
        for s, e in cal.instants_on(day):
            overlap = min(e, end) - max(s, begin)
            if overlap > dt.timedelta(0):
                total += overlap
        day += DAY
    return total / MINUTE
