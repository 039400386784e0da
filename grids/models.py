"""Jurisdictions (district → street → community), unit grids with GeoJSON boundaries, their administrators."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models


class Jurisdiction(models.Model):
    """One level of the administrative hierarchy; codes nest by prefix (6 + 3 + 3 digits)."""

    class Level(models.TextChoices):
        DISTRICT = "district", "district"
        STREET = "street", "street"
        COMMUNITY = "community", "community"

    CODE_LENGTH = {Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12}

    code = models.CharField(max_length=12, unique=True, validators=[RegexValidator(r"^\d{6}(\d{3}){0,2}$")])
    name = models.CharField(max_length=100)
    level = models.CharField(max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    boundary = models.JSONField(null=True, blank=True, help_text="GeoJSON geometry (WGS84)")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Grid(models.Model):
    """A unit grid (单元网格): the area one or more grid administrators patrol."""

    code = models.CharField(
        max_length=14, unique=True, validators=[RegexValidator(r"^\d{14}$", "A grid code has 14 digits.")]
    )
    name = models.CharField(max_length=100)
    community = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="grids")
    boundary = models.JSONField(help_text="GeoJSON Polygon or MultiPolygon (WGS84)")
    # Bounding box columns: cheap database filters before any exact geometry test.
    min_lng = models.FloatField()
    min_lat = models.FloatField()
    max_lng = models.FloatField()
    max_lat = models.FloatField()
    area_m2 = models.FloatField(default=0)
    properties = models.JSONField(default=dict, blank=True)
    administrators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="GridAssignment", related_name="administered_grids", blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["min_lng", "max_lng", "min_lat", "max_lat"], name="grid_bbox_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class GridAssignment(models.Model):
    """An administrator holds a grid; one person may hold several grids, a grid may have several people."""

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grid_assignments"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grid", "user"], name="unique_grid_assignment")]

    def __str__(self) -> str:
        return f"{self.user} → {self.grid.code}"


class GridLayerVersion(models.Model):
    """A single row whose number goes up with every change to the grid layer, so each process can tell
    cheaply whether its in-memory spatial index is stale."""

    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"grid layer v{self.version}"
