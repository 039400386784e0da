"""Routing rules: which department handles a category in an area."""

from django.db import models


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
    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="routing_rules"
    )
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
