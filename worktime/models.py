"""Work calendars: the weekly working hours and the special days that deadlines are counted on."""

import datetime as dt

from django.db import models


class WorkCalendar(models.Model):
    """Working hours and special days against which handling deadlines are counted (工作日历).

    Categories that are not handled around the clock get their deadlines in working time of the default
    calendar. ``version`` and ``updated_at`` move on every change (``worktime.services.calendar_touch``),
    which is what ``worktime.selectors`` checks to drop its cached copy.
    """

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    timezone = models.CharField(
        max_length=64, default="Asia/Shanghai", help_text="IANA zone the working hours are meant in."
    )
    version = models.PositiveBigIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dispatch_workcalendar"  # moved from dispatch; the tables kept their names
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="work_calendar_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """One working period on a weekday; a day may have several (08:30–12:00 and 14:00–17:30).

    An end of 00:00 means midnight at the end of the day, so 00:00–00:00 is the whole day.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        db_table = "dispatch_workinghours"
        ordering = ["calendar", "weekday", "start"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")) | models.Q(end=dt.time(0)),
                name="working_hours_start_before_end",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="working_hours_weekday"
            ),
        ]

    def __str__(self) -> str:
        end = "24:00" if self.end == dt.time(0) else f"{self.end:%H:%M}"
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{end}"


class CalendarDay(models.Model):
    """A date that departs from the weekly pattern: a public holiday, or a make-up working day (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "Holiday"
        WORKDAY = "workday", "Make-up working day"

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True)
    follows_weekday = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=WorkingHours.Weekday.choices,
        help_text="Make-up working day: whose working hours apply. Empty: the first weekday that has any "
        "(normally Monday).",
    )

    class Meta:
        db_table = "dispatch_calendarday"
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".rstrip()
