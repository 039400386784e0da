"""Jurisdictions (district → street → community), unit grids with GeoJSON boundaries, their administrators."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridmgmt.messages import message_restored

from . import pii


class Jurisdiction(models.Model):
    """One level of the administrative hierarchy; codes nest by prefix (6 + 3 + 3 digits)."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("district")
        STREET = "street", _("street")
        COMMUNITY = "community", _("community")

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


def grid_label(name: str, community: str = "") -> str:
    """A grid as people name it: its name, followed by its community when the name does not already say
    it ("第3网格 · 八一第一社区", but "八一第一社区第3网格" alone). Codes stay out of it: they go beside the
    label only where someone needs them (exports, the partition and import pages)."""
    if not community or community in name:
        return name
    return f"{name} · {community}"


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

    @property
    def label(self) -> str:
        """`grid_label` of this grid (load its community with it: select_related("community"))."""
        return grid_label(self.name, self.community.name if self.community_id else "")

    @property
    def place(self) -> str:
        """Where the grid lies as people say it: its label, then its street, nothing said twice (load the
        community and its parent with it)."""
        label = self.label
        street = self.community.parent if self.community_id else None
        if street is None or street.name in label:
            return label
        return f"{label} · {street.name}"


class GridAssignment(models.Model):
    """An administrator holds a grid; one person may hold several grids, a grid may have several people."""

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grid_assignments"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    # The work phone residents may call about this grid: public (the grid's page and poster), never a
    # private number.
    work_phone = models.CharField(max_length=20, blank=True)

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


class Resident(models.Model):
    """A registered resident (实有人口) of a grid. Name, ID number and phone are stored only as Fernet
    ciphertext (grids.pii); the ID number also as a keyed hash for uniqueness and exact search. Writes go
    through grids.services (resident_create/update/move_out), reads of the clear values through reveal."""

    class Gender(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    class CareTag(models.TextChoices):
        ELDERLY_ALONE = "elderly_alone", _("elderly living alone")
        DISABILITY = "disability", _("disability")
        LEFT_BEHIND_CHILD = "left_behind_child", _("left-behind child")
        LOW_INCOME = "low_income", _("low income")
        VETERAN = "veteran", _("veteran")

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="residents")
    household_no = models.CharField("household number", max_length=30, blank=True)
    address = models.CharField(max_length=200)
    name_encrypted = models.TextField()
    id_number_encrypted = models.TextField()
    id_number_hash = models.CharField(max_length=64, unique=True, help_text="HMAC-SHA256 of the ID number")
    phone_encrypted = models.TextField(blank=True)
    gender = models.CharField(max_length=1, choices=Gender.choices)
    birth_date = models.DateField()
    moved_in_on = models.DateField()
    moved_out_on = models.DateField(null=True, blank=True)
    care_tags = models.JSONField(default=list, blank=True, help_text="codes from Resident.CareTag")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["grid", "household_no", "id"]
        indexes = [models.Index(fields=["grid", "moved_out_on"], name="resident_grid_current_idx")]
        permissions = [("reveal_resident_pii", "Can reveal resident ID numbers and phone numbers")]

    def __str__(self) -> str:
        # The plain name must not leak into logs or admin titles.
        return f"{pii.mask_name(self.name)} ({self.grid_id})"

    @property
    def name(self) -> str:
        return pii.decrypt(self.name_encrypted)

    @property
    def id_number_masked(self) -> str:
        return pii.mask_id_number(pii.decrypt(self.id_number_encrypted))

    @property
    def phone_masked(self) -> str:
        return pii.mask_phone(pii.decrypt(self.phone_encrypted))

    @property
    def care_tag_labels(self) -> list[str]:
        labels = dict(self.CareTag.choices)
        return [labels.get(tag, tag) for tag in self.care_tags]


class ResidentAccessLog(models.Model):
    """One deliberate reveal of a resident's ID number or phone: who, which field, when, from where, why."""

    class Field(models.TextChoices):
        ID_NUMBER = "id_number", _("ID number")
        PHONE = "phone", _("phone")

    class Basis(models.TextChoices):
        GRID_ADMIN = "grid_admin", "administrator of the resident's grid"
        PERMISSION = "permission", "granted grids.reveal_resident_pii"

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="access_logs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="resident_reveals"
    )
    username = models.CharField(max_length=150, help_text="kept if the account is deleted")
    roles = models.CharField(max_length=200, blank=True, help_text="the user's roles at the time")
    basis = models.CharField(max_length=20, choices=Basis.choices)
    field = models.CharField(max_length=20, choices=Field.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)
    forwarded_for = models.CharField(max_length=200, blank=True, help_text="X-Forwarded-For as received")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.username} revealed {self.field} of resident {self.resident_id}"


class ImportJob(models.Model):
    """A file uploaded in the browser and imported by a Celery task; the page polls its progress. Each kind
    of import keeps its jobs in a table of its own (residents here, base data in places.BaseDataImportJob);
    grids.residents_import runs them all alike."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a worker")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        REJECTED = "rejected", _("rejected: nothing imported")
        FAILED = "failed", _("failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=200)
    # The upload may hold PII in clear, so it is stored Fernet-encrypted and deleted once the job has run.
    upload = models.FileField(upload_to="imports/", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{row, column, message}], the first 1000")
    message = models.TextField(blank=True)  # in English: the API, the command line, the logs
    # The same message as its template and parameters (gridmgmt.messages.message_portable): pages show it in
    # their reader's language. Each stored error carries its own template likewise.
    message_sentence = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def message_localized(self) -> str:
        """The job's outcome in the active language."""
        return message_restored(self.message_sentence, self.message)

    def errors_localized(self, limit: int = 200) -> list[dict]:
        """The first stored row errors, each message in the active language."""
        return [
            {"row": e["row"], "column": e["column"], "message": message_restored(e, e.get("message", ""))}
            for e in self.errors[:limit]
        ]


class ResidentImportJob(ImportJob):
    """A resident register (CSV/XLSX) being imported (grids.residents_import)."""

    upload = models.FileField(upload_to="resident-imports/", blank=True)
    partial = models.BooleanField(default=False, help_text="import the good rows even if some are bad")

    class Meta(ImportJob.Meta):
        pass

    def __str__(self) -> str:
        return f"import {self.pk} ({self.filename}): {self.status}"
