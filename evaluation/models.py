"""Materialised evaluation figures and chart series, one row set per period (tables kept from dispatch)."""

from django.db import models


class EvaluationFigure(models.Model):
    """The evaluation indicators of one group (a department, grid, community, street, administrator, or
    the whole district) over one period, as computed by ``evaluation.indicators`` from the case history.

    Rows are a materialised copy: the nightly task and the supervisors' "recompute" replace a period's rows
    as a whole. Only counts are stored; rates are derived from them on reading, so they cannot disagree.
    An inapplicable count (e.g. reports per department: a report has no department yet) is NULL.
    """

    class Kind(models.TextChoices):
        TOTAL = "total", "whole district"
        DEPARTMENT = "department", "department"
        GRID = "grid", "grid"
        COMMUNITY = "community", "community"
        STREET = "street", "street"
        ADMINISTRATOR = "administrator", "grid administrator"

    period_start = models.DateField()
    period_end = models.DateField(help_text="Inclusive: the period's last day (local time).")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=64, help_text="Department or jurisdiction code, grid code, user id.")
    label = models.CharField(max_length=200, blank=True)
    reported = models.PositiveIntegerField(null=True, blank=True)
    rejected = models.PositiveIntegerField(null=True, blank=True)
    filed = models.PositiveIntegerField(null=True, blank=True)
    dispatched = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    reworked = models.PositiveIntegerField(default=0)
    extensions = models.PositiveIntegerField(default=0)
    due = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    closed_on_time = models.PositiveIntegerField(default=0)
    overdue_open = models.PositiveIntegerField(default=0)
    verified = models.PositiveIntegerField(default=0)
    verified_on_time = models.PositiveIntegerField(default=0)
    handled_cases = models.PositiveIntegerField(default=0, help_text="Cases behind the handling times.")
    avg_handling_hours = models.FloatField(null=True, blank=True)
    p90_handling_hours = models.FloatField(null=True, blank=True)
    as_of = models.DateTimeField(help_text="The history up to this moment is counted.")
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "dispatch_evaluationfigure"  # the table from before the app split, kept with its rows
        ordering = ["period_start", "period_end", "kind", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "period_end", "kind", "key"], name="evaluation_figure_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.period_start}–{self.period_end}"


class EvaluationTrends(models.Model):
    """The dashboard's chart series of one period (``evaluation.indicators.trends``), stored with the period's
    figures by the same run: replaying a month of a megacity's history takes tens of seconds, too long
    for the request of a page."""

    period_start = models.DateField()
    period_end = models.DateField(help_text="Inclusive: the period's last day (local time).")
    data = models.JSONField()
    as_of = models.DateTimeField(help_text="The history up to this moment is counted.")
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "dispatch_evaluationtrends"
        constraints = [
            models.UniqueConstraint(fields=["period_start", "period_end"], name="evaluation_trends_unique")
        ]

    def __str__(self) -> str:
        return f"trends {self.period_start}–{self.period_end}"
