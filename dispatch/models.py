"""Functional departments and their staff, routing rules, and outgoing notifications."""

import datetime as dt

from django.conf import settings
from django.db import models


class Department(models.Model):
    """A functional department (职能部门) that handles dispatched cases."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="departments", blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Category × area → department. The most specific matching rule wins.

    Category specificity outranks area specificity (who is responsible follows mainly from what the problem
    is); within that a grid beats a community beats a street beats the district beats "anywhere".
    """

    category = models.ForeignKey(
        "cases.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="A minor class, a major class (covers its minor classes), or empty for any category.",
    )
    jurisdiction = models.ForeignKey(
        "grids.Jurisdiction", null=True, blank=True, on_delete=models.CASCADE, help_text="Empty for anywhere."
    )
    grid = models.ForeignKey("grids.Grid", null=True, blank=True, on_delete=models.CASCADE)
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="routing_rules")
    auto_dispatch = models.BooleanField(
        default=False, help_text="File and dispatch without waiting for the dispatch center."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(jurisdiction__isnull=True) | models.Q(grid__isnull=True),
                name="routing_rule_one_area",
            )
        ]

    def __str__(self) -> str:
        what = self.category.name if self.category_id else "any category"
        where = self.grid or self.jurisdiction or "anywhere"
        return f"{what} @ {where} → {self.department}"


class Notification(models.Model):
    """An email to send. Rows are written in the transaction that caused them and sent after commit,
    so a mail outage delays notices instead of losing them."""

    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    recipient = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="A sender's lease on this row.")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="notification_pending_idx")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}"


class WorkCalendar(models.Model):
    """Working hours and special days against which handling deadlines are counted (工作日历).

    Categories that are not handled around the clock get their deadlines in working time of the default
    calendar. ``version`` and ``updated_at`` move on every change (``dispatch.services.calendar_touch``),
    which is what ``dispatch.worktime`` checks to drop its cached copy.
    """

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    timezone = models.CharField(
        max_length=64, default="Asia/Shanghai", help_text="IANA zone the working hours are meant in."
    )
    version = models.PositiveBigIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".rstrip()
