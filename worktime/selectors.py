"""Reads of work calendars: a WorkCalendar row as a Calendar value, and the default one, cached per process
(see worktime.cache for how a change reaches every process)."""

from zoneinfo import ZoneInfo

from django.conf import settings

from . import cache
from .hours import Calendar, CalendarError
from .models import WorkCalendar
from .services import calendar_default


def calendar_load(work_calendar) -> Calendar:
    """A WorkCalendar row (with its hours and days) as a Calendar value."""
    hours: dict[int, list] = {}
    for weekday, start, end in work_calendar.hours.values_list("weekday", "start", "end"):
        hours.setdefault(weekday, []).append((start, end))
    holidays, workdays = [], {}
    for day, kind, follows in work_calendar.days.values_list("date", "kind", "follows_weekday"):
        if kind == "holiday":
            holidays.append(day)
        else:
            workdays[day] = follows
    try:
        zone = ZoneInfo(work_calendar.timezone)
    except (KeyError, ValueError) as exc:
        raise CalendarError(f"work calendar {work_calendar.name!r}: unknown time zone") from exc
    return Calendar.of(
        hours=hours, holidays=holidays, workdays=workdays, timezone=zone, name=work_calendar.name
    )


def calendar_resolve(calendar: Calendar | WorkCalendar | None = None) -> Calendar:
    """None → the default work calendar; a WorkCalendar row → its Calendar; a Calendar → itself."""
    if isinstance(calendar, Calendar):
        return calendar
    if calendar is not None and not isinstance(calendar, WorkCalendar):
        raise TypeError(f"not a work calendar: {calendar!r}")
    key = "default" if calendar is None else calendar.pk
    interval = float(getattr(settings, "WORK_CALENDAR_CHECK_SECONDS", 1.0))
    cached = cache.calendars.get(key)
    if cache.confirmed_recently(cached, interval):
        return cached.calendar
    with cache.lock:
        cached = cache.calendars.get(key)
        if cache.confirmed_recently(cached, interval):  # another thread checked while this one waited
            return cached.calendar
        generation, checked_at = cache.check_started()
        rows = WorkCalendar.objects.filter(**({"is_default": True} if key == "default" else {"pk": key}))
        row = rows.only("pk", "name", "timezone", "version", "updated_at").first()
        if row is None and key == "default":
            row = calendar_default()  # a fresh install: created on first use
        elif row is None:
            raise WorkCalendar.DoesNotExist(f"work calendar {key} does not exist")
        token = (row.pk, row.version, row.updated_at)
        value = cached.calendar if cached is not None and cached.token == token else calendar_load(row)
        cache.calendars[key] = cache.Cached(
            token=token, calendar=value, generation=generation, checked_at=checked_at
        )
        return value
