"""Functional departments and their staff, routing rules, and outgoing notifications."""

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
