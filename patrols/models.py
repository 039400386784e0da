"""Patrols (巡查): tracks, plausibility flags, review; patrol plans; home visits (走访) and their plans.

A patrol's record is append-only: points are only ever added (each batch once, by its client key), and every
step — start, a batch of points, end, the computed figures, a supervisor's decision — is a `PatrolEvent` in a
hash chain per patrol, like a case's events. A batch's event carries the SHA-256 of its points, so a point
edited in the database breaks the chain (`patrols.audit`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Patrol(models.Model):
    class State(models.TextChoices):
        RUNNING = "running", _("patrolling")
        ENDED = "ended", _("ended, figures pending")
        COMPUTED = "computed", _("ended")

    class Review(models.TextChoices):
        # Whether the patrol counts in evaluation: a clean one does at once; a flagged one waits for a
        # supervisor's decision, which is recorded (and chained).
        NONE = "", _("not yet computed")
        CLEAN = "clean", _("no flags")
        PENDING = "pending", _("flagged: awaiting review")
        ACCEPTED = "accepted", _("flagged: accepted")
        REJECTED = "rejected", _("flagged: rejected")

    COUNTED = (Review.CLEAN, Review.ACCEPTED)

    patroller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrols")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # Figures, written once by the computation after the end (patrols.services.patrol_compute).
    computed_at = models.DateTimeField(null=True, blank=True)
    point_count = models.PositiveIntegerField(default=0)
    duration_s = models.PositiveIntegerField(default=0)
    distance_m = models.FloatField(default=0)
    buffer_m = models.FloatField(default=0, help_text="the track's buffer width used for coverage")
    grid_ids = models.JSONField(default=list, blank=True, help_text="grids the track touched")
    coverage = models.JSONField(default=dict, blank=True, help_text="{grid id: share of its area covered}")
    minutes_by_grid = models.JSONField(default=dict, blank=True, help_text="{grid id: minutes spent in it}")
    track = models.JSONField(null=True, blank=True, help_text="GeoJSON LineString of the points used")
    flags = models.JSONField(default=list, blank=True, help_text="[{code, count, message, params, where}]")
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.NONE, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    # The head of the patrol's hash chain, as on a case.
    audit_seq = models.PositiveIntegerField(default=0)
    audit_head = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["patroller", "-started_at"], name="patrol_patroller_started"),
            models.Index(fields=["review", "-started_at"], name="patrol_review_started"),
            models.Index(fields=["started_at"], name="patrol_started"),
        ]
        constraints = [
            # One running patrol per person: a second start answers with the running one.
            models.UniqueConstraint(
                fields=["patroller"], condition=Q(state="running"), name="one_running_patrol_per_patroller"
            )
        ]

    def __str__(self) -> str:
        return f"patrol {self.pk} by {self.patroller_id}"

    @property
    def counts(self) -> bool:
        return self.review in self.COUNTED


class PatrolBatch(models.Model):
    """One batch of points as the device sent it; its client key makes a resend add nothing."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="batches", db_index=False)
    key = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    point_count = models.PositiveIntegerField()
    digest = models.CharField(max_length=64, help_text="SHA-256 of the batch's points as stored")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patrol", "key"], name="unique_patrol_batch_key")]

    def __str__(self) -> str:
        return f"batch {self.key} of patrol {self.patrol_id}"


class PatrolPoint(models.Model):
    """A recorded position. `seq` is the order of arrival; the track is read in `recorded_at` order."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="points", db_index=False)
    batch = models.ForeignKey(PatrolBatch, on_delete=models.CASCADE, related_name="points", db_index=False)
    seq = models.PositiveIntegerField()
    lat = models.FloatField()
    lng = models.FloatField()
    accuracy = models.FloatField(help_text="metres, as the device reported it")
    recorded_at = models.DateTimeField(help_text="the device's time")
    received_at = models.DateTimeField(help_text="the server's time")

    class Meta:
        ordering = ["patrol_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["patrol", "seq"], name="unique_patrol_point_seq")]

    def __str__(self) -> str:
        return f"point {self.seq} of patrol {self.patrol_id}"


class TrackPrint(models.Model):
    """Fingerprints of a patrol's track (hashes of runs of consecutive positions), to find a track that
    repeats an earlier patrol's points through an index rather than by comparing tracks."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="prints", db_index=False)
    print_hash = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["print_hash"], name="trackprint_hash"),
            models.Index(fields=["patrol"], name="trackprint_patrol"),
        ]

    def __str__(self) -> str:
        return f"print {self.print_hash} of patrol {self.patrol_id}"


class PatrolEvent(models.Model):
    """One step in a patrol's record, hash-chained per patrol (see patrols.audit)."""

    class Action(models.TextChoices):
        START = "start", _("started")
        POINTS = "points", _("points received")
        CASE = "case", _("case reported")
        END = "end", _("ended")
        COMPUTE = "compute", _("figures computed")
        REVIEW = "review", _("reviewed")

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_username = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    # Which key of gridmgmt.chain made `hash`; empty for links from before keying (plain SHA-256).
    key_id = models.CharField(max_length=12, blank=True, default="")
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["patrol_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["patrol", "seq"], name="unique_patrol_event_seq")]

    def __str__(self) -> str:
        return f"patrol {self.patrol_id}#{self.seq} {self.action}"


class PatrolCase(models.Model):
    """A case reported during a patrol (by the patroller, while it ran)."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="case_links")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="patrol_link")
    linked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"case {self.case_id} on patrol {self.patrol_id}"


class PatrolPlan(models.Model):
    """How much patrolling a grid needs: its own plan, else its community's, else the settings'."""

    grid = models.OneToOneField(
        "grids.Grid", null=True, blank=True, on_delete=models.CASCADE, related_name="patrol_plan"
    )
    community = models.OneToOneField(
        "grids.Jurisdiction", null=True, blank=True, on_delete=models.CASCADE, related_name="patrol_plan"
    )
    minutes_per_day = models.PositiveIntegerField(help_text="patrol minutes required per working day")
    weekly_coverage = models.FloatField(help_text="share of the grid's area to cover per week, 0–1")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(grid__isnull=False, community__isnull=True)
                | Q(grid__isnull=True, community__isnull=False),
                name="patrol_plan_grid_xor_community",
            ),
            models.CheckConstraint(
                condition=Q(weekly_coverage__gte=0, weekly_coverage__lte=1), name="patrol_plan_coverage_share"
            ),
        ]

    def __str__(self) -> str:
        return f"plan of grid {self.grid_id}" if self.grid_id else f"plan of community {self.community_id}"


class PatrolWarning(models.Model):
    """A grid unpatrolled past its plan on a working day: warned once (administrators, supervisors)."""

    grid = models.ForeignKey("grids.Grid", on_delete=models.CASCADE, related_name="patrol_warnings")
    day = models.DateField()
    minutes_required = models.PositiveIntegerField()
    minutes_done = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grid", "day"], name="unique_patrol_warning_day")]

    def __str__(self) -> str:
        return f"grid {self.grid_id} unpatrolled on {self.day}"


class VisitPlan(models.Model):
    """How often households with a care tag (residents) or units with a risk tag (organisations) are visited;
    a community may set its own interval for a tag, else the district-wide row (community empty) holds."""

    class Target(models.TextChoices):
        RESIDENT = "resident", _("resident")
        ORGANISATION = "organisation", _("organisation")

    target = models.CharField(max_length=12, choices=Target.choices)
    tag = models.CharField(max_length=30, help_text="a Resident.CareTag or Organisation.Risk code")
    every_days = models.PositiveIntegerField()
    community = models.ForeignKey(
        "grids.Jurisdiction", null=True, blank=True, on_delete=models.CASCADE, related_name="visit_plans"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["target", "tag", "community"], name="unique_visit_plan_tag_community"
            ),
            models.UniqueConstraint(
                fields=["target", "tag"],
                condition=Q(community__isnull=True),
                name="unique_visit_plan_tag_default",
            ),
            models.CheckConstraint(condition=Q(every_days__gte=1), name="visit_plan_every_day_or_more"),
        ]

    def __str__(self) -> str:
        return f"{self.target} {self.tag} every {self.every_days} days"


class Visit(models.Model):
    """A home visit (走访) to a household or resident, or a call on an organisation."""

    class Position(models.TextChoices):
        ON_SITE = "on_site", _("on site")
        FAR = "far", _("far from the address")
        UNKNOWN = "unknown", _("no position given")
        NO_ADDRESS = "no_address", _("the address has no position")

    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits")
    grid = models.ForeignKey("grids.Grid", on_delete=models.PROTECT, related_name="visits")
    resident = models.ForeignKey(
        "grids.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    house = models.ForeignKey(
        "places.House", null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    organisation = models.ForeignKey(
        "places.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    visited_at = models.DateTimeField()
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    accuracy = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField(null=True, blank=True, help_text="from the position to the address")
    position = models.CharField(max_length=12, choices=Position.choices)
    met = models.CharField(max_length=200, blank=True, help_text="who was met")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["visitor", "-visited_at"], name="visit_visitor_visited"),
            models.Index(fields=["grid", "-visited_at"], name="visit_grid_visited"),
            models.Index(fields=["resident", "-visited_at"], name="visit_resident_visited"),
            models.Index(fields=["organisation", "-visited_at"], name="visit_organisation_visited"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | Q(house__isnull=False) | Q(organisation__isnull=False),
                name="visit_names_whom",
            )
        ]

    def __str__(self) -> str:
        return f"visit {self.pk} by {self.visitor_id}"


class VisitNeed(models.Model):
    """A need found on a visit; it may become a case in one step (the case is kept here)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="needs")
    text = models.CharField(max_length=500)
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="visit_need"
    )

    def __str__(self) -> str:
        return f"need {self.pk} of visit {self.visit_id}"
