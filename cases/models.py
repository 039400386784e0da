"""The case taxonomy, cases, their photos, extension requests and the hash-chained event history."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models


class Category(models.Model):
    """Two-level taxonomy after the national standard: a major class (parent empty) and its minor classes.

    Components (部件) are physical facilities; events (事件) are happenings. SLA limits sit on each minor
    class (a major class's values are the default its minor classes were seeded with).
    """

    class Kind(models.TextChoices):
        COMPONENT = "component", "component (部件)"
        EVENT = "event", "event (事件)"

    code = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    filing_minutes = models.PositiveIntegerField(default=60, help_text="reported → filed")
    dispatch_minutes = models.PositiveIntegerField(default=60, help_text="filed → dispatched")
    handling_minutes = models.PositiveIntegerField(default=24 * 60, help_text="dispatched → resolved")
    verification_minutes = models.PositiveIntegerField(default=8 * 60, help_text="resolved → closed")
    around_the_clock = models.BooleanField(
        default=False, help_text="Urgent hazards: deadlines ignore work hours."
    )
    default_priority = models.PositiveSmallIntegerField(default=3)

    class Publicity(models.TextChoices):
        PUBLIC = "public", "public unless the dispatch center hides it"
        PRIVATE = "private", "not public unless the dispatch center shows it"
        NEVER = "never", "never public (personal matters, disputes)"

    # Whether a new case of this class is shown on the public channels (the residents' site, Open311's
    # reads); the dispatch center decides each case (cases.services.case_publicity_set), within `never`.
    publicity = models.CharField(max_length=8, choices=Publicity.choices, default=Publicity.PUBLIC)
    # What an open case of this class says about the facility it names (places.Facility.State): a
    # "missing manhole cover" makes the cover missing until the case closes.
    facility_state = models.CharField(max_length=10, blank=True, default="damaged")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_major(self) -> bool:
        return self.parent_id is None


class CaseState(models.TextChoices):
    REPORTED = "reported", "reported"
    FILED = "filed", "filed"
    DISPATCHED = "dispatched", "dispatched"
    IN_PROGRESS = "in_progress", "in progress"
    RETURNED = "returned", "returned"
    RESOLVED = "resolved", "resolved"
    CLOSED = "closed", "closed"
    REJECTED = "rejected", "rejected"


OPEN_STATES = (
    CaseState.REPORTED,
    CaseState.FILED,
    CaseState.DISPATCHED,
    CaseState.IN_PROGRESS,
    CaseState.RETURNED,
    CaseState.RESOLVED,
)


class Case(models.Model):
    class Source(models.TextChoices):
        PATROL = "patrol", "patrol"
        RESIDENT = "resident", "resident"
        OPEN311 = "open311", "Open311"
        HOTLINE = "hotline", "hotline"
        PUBLIC = "public", "public site"

    class Priority(models.IntegerChoices):
        URGENT = 1, "urgent"
        HIGH = 2, "high"
        NORMAL = 3, "normal"

    class Stage(models.TextChoices):
        FILING = "filing", "filing"
        DISPATCH = "dispatch", "dispatch"
        HANDLING = "handling", "handling"
        VERIFICATION = "verification", "verification"

    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    reporter_name = models.CharField(max_length=100, blank=True)
    reporter_contact = models.CharField(max_length=100, blank=True)
    lat = models.FloatField()
    lng = models.FloatField()
    address = models.CharField(max_length=200, blank=True)
    grid = models.ForeignKey(
        "grids.Grid", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    # The city facility (部件) the case is about, if any: its maintaining department takes precedence in
    # routing, and its state follows the case while it is open.
    facility = models.ForeignKey(
        "places.Facility", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    # No index of its own: case_duplicate_idx starts with it (every index costs each write of a case).
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases", db_index=False)
    description = models.TextField()
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    state = models.CharField(max_length=12, choices=CaseState.choices, default=CaseState.REPORTED)
    department = models.ForeignKey(  # indexed by case_department_idx, which starts with it
        "departments.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    suggested_department = models.ForeignKey(
        "departments.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    duplicate_candidates = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="+")
    # The one decision every public channel follows: the residents' site, Open311's reads and media, the
    # "likely duplicates" a reporter is shown. Set from the category at report time; the dispatch center
    # changes it, and may replace the description the public reads (abusive or personal text), in the chain.
    is_public = models.BooleanField(default=False)
    public_description = models.TextField(blank=True, help_text="shown publicly instead of the description")
    # Residents who said "me too" on the public site (public.CaseSupport holds who); each one is an event in
    # the chain, and enough of them raise the priority (settings.SUPPORT_PRIORITY_RULE).
    supporter_count = models.PositiveIntegerField(default=0)
    notifications = GenericRelation(
        "notifications.Notification", content_type_field="content_type", related_query_name="case"
    )

    # The running deadline of the current stage; warning and escalation points are precomputed so the
    # per-minute enforcement is three indexed range queries.
    deadline_stage = models.CharField(max_length=12, choices=Stage.choices, blank=True)
    deadline_started_at = models.DateTimeField(null=True, blank=True)
    deadline_warn_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deadline_escalate_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_remaining_s = models.PositiveIntegerField(null=True, blank=True)

    routed_at = models.DateTimeField(null=True, blank=True)
    return_count = models.PositiveSmallIntegerField(default=0)
    rework_count = models.PositiveSmallIntegerField(default=0)
    extension_count = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(
        default=1, help_text="Bumped by every transition (optimistic lock)."
    )
    # The head of the case's event chain, written with each event: a chain cut short at its end (the last
    # events deleted, or the last one rewritten and re-hashed) no longer reaches this head.
    audit_seq = models.PositiveIntegerField(default=0)
    audit_head = models.CharField(max_length=64, blank=True)
    # Supervision (督办): an overdue case climbs the SupervisionLevel ladder; 0 is not under supervision.
    # Written by the supervision sweep (dispatch) through cases.supervision, with an event in the chain.
    supervision_level = models.PositiveSmallIntegerField(default=0)
    supervised_at = models.DateTimeField(null=True, blank=True)
    supervision_next_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at"]
        indexes = [
            models.Index(fields=["state", "deadline_at"], name="case_state_deadline_idx"),
            models.Index(fields=["category", "state", "reported_at"], name="case_duplicate_idx"),
            models.Index(fields=["lat", "lng"], name="case_point_idx"),
            # Only the few reports not yet routed (reconcile's read): a case leaves it once routed.
            # The public map (public.mapdata): open public cases in a box, and public cases fixed lately, each
            # read from its index alone (the columns it groups by are in the key: SQLite has no INCLUDE).
            models.Index(
                fields=["lat", "lng", "category", "state"],
                condition=models.Q(
                    is_public=True, number__isnull=False, state__in=[s.value for s in OPEN_STATES]
                ),
                name="case_public_open_idx",
            ),
            models.Index(
                fields=["closed_at", "lat", "lng", "category"],
                condition=models.Q(is_public=True, number__isnull=False, state="closed"),
                name="case_public_closed_idx",
            ),
            models.Index(
                fields=["reported_at"], condition=models.Q(routed_at__isnull=True), name="case_unrouted_idx"
            ),
            models.Index(fields=["department", "state"], name="case_department_idx"),
            # The queues' cases, found through partial indexes that hold only the rows they show. Their order
            # (most urgent first, cases.selectors.urgency_order) depends on the time of reading, so no index
            # holds it: the database sorts the queue's own rows (a top-N sort), never the whole backlog.
            models.Index(
                fields=["priority", "deadline_at", "reported_at"],
                condition=models.Q(state__in=["reported", "filed"]),
                name="case_triage_queue_idx",
            ),
            models.Index(
                fields=["department", "priority", "deadline_at", "reported_at"],
                condition=models.Q(state__in=["dispatched", "in_progress"]),
                name="case_department_queue_idx",
            ),
            # The deadline sweep's three "due and not yet alerted" reads (dispatch.selectors.cases_due):
            # partial, so they hold only the points still to fire and the sweep's cost follows the cases
            # that cross a point, not all open (or all) cases.
            *(
                models.Index(
                    fields=[point],
                    condition=models.Q(
                        **{f"{flag}__isnull": True, "suspended_at__isnull": True, f"{point}__isnull": False}
                    ),
                    name=name,
                )
                for point, flag, name in (
                    ("deadline_warn_at", "warned_at", "case_warn_due_idx"),
                    ("deadline_at", "overdue_at", "case_overdue_due_idx"),
                    ("deadline_escalate_at", "escalated_at", "case_escalate_due_idx"),
                )
            ),
            # The supervision sweep's read: open cases whose next level is due (few rows).
            models.Index(
                fields=["supervision_next_at"],
                condition=models.Q(supervision_next_at__isnull=False),
                name="case_supervision_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"case #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class CasePhoto(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", "report"
        EVIDENCE = "evidence", "fix evidence"
        VERIFICATION = "verification", "verification"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="cases/%Y/%m/")
    # Copies made by cases.tasks after commit: EXIF (GPS, device) stripped, orientation applied. Pages serve
    # these, never `image` (the upload as it came, kept as evidence).
    display = models.ImageField(upload_to="cases/display/%Y/%m/", blank=True)
    thumbnail = models.ImageField(upload_to="cases/thumbs/%Y/%m/", blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField()
    # SHA-256 of the original as uploaded; the event that added the photo carries it in the chain, so a
    # file swapped on disk (or a row pointed at another file) fails verify_audit. Empty: from before hashing.
    sha256 = models.CharField(max_length=64, blank=True)
    # When the camera says the photo was taken (EXIF DateTimeOriginal), if it says; never trusted alone.
    taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} photo of case {self.case_id}"


class ExtensionRequest(models.Model):
    """A department asks for more handling time (延期); the dispatch center approves or denies it."""

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        APPROVED = "approved", "approved"
        DENIED = "denied", "denied"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extension_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    minutes = models.PositiveIntegerField()
    reason = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(state="pending"), name="one_pending_extension_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"extension of {self.minutes} min for case {self.case_id} ({self.state})"


class CaseEvent(models.Model):
    """One step in a case's history. Events are hash-chained per case: each hash covers the previous
    hash and the canonical JSON of the event, so an edited or deleted row breaks the chain."""

    # Indexed by unique_case_event_seq (case, seq), which starts with it.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_username = models.CharField(
        max_length=150, blank=True, help_text="Frozen at the time of the event."
    )
    actor_role = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Which key of gridmgmt.chain made `hash` (an HMAC); empty for links from before keying (plain SHA-256).
    key_id = models.CharField(max_length=12, blank=True, default="")

    class Meta:
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="unique_case_event_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"


class EvidenceRule(models.Model):
    """What a step of a case must bring as evidence, per category: a minor class's own rule, else its major
    class's, else the shipped default (`cases.evidence.DEFAULT_RULES`: a photo to resolve and to verify,
    and verification on site)."""

    class Step(models.TextChoices):
        REPORT = "report", "report"
        RESOLVE = "resolve", "resolve"
        VERIFY = "verify", "verify"

    class Position(models.TextChoices):
        NONE = "none", "not needed"
        FLAG = "flag", "flagged when missing or off site"
        REQUIRE = "require", "required on site"

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="evidence_rules")
    step = models.CharField(max_length=10, choices=Step.choices)
    min_photos = models.PositiveSmallIntegerField(default=0)
    position = models.CharField(max_length=10, choices=Position.choices, default=Position.NONE)

    class Meta:
        ordering = ["category__code", "step"]
        constraints = [
            models.UniqueConstraint(fields=["category", "step"], name="one_evidence_rule_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.category.code} {self.step}: {self.min_photos} photo(s), position {self.position}"


class VerifierDelegation(models.Model):
    """A case's on-site verification handed to another grid administrator (the grid's own is away), with a
    recorded reason; at most one standing delegation per case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="verifier_delegations")
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="verifications_delegated"
    )
    reason = models.TextField()
    delegated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(is_active=True), name="one_active_delegation_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"verification of case {self.case_id} delegated to {self.delegate_id}"


class SupervisionLevel(models.Model):
    """One rung of the supervision ladder (督办): an overdue case reaches rank 1 when it is escalated, and
    climbs to the next rank after `after_minutes` at this one (working time unless the category is around
    the clock). Each level says who must act and who hears of it."""

    class Audience(models.TextChoices):
        DEPARTMENT = "department", "the department's staff"
        SUPERVISORS = "supervisors", "the district supervisors"
        LEADERS = "leaders", "the district leaders' office"

    rank = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100, blank=True)
    audience = models.CharField(max_length=12, choices=Audience.choices)
    after_minutes = models.PositiveIntegerField(help_text="time at this level before the next one")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return f"{self.rank} {self.name}"


class CaseCaller(models.Model):
    """Who rang the hotline about a case (encrypted like residents' PII, grids.pii) and what the call back
    (回访) found once the case closed."""

    class Callback(models.TextChoices):
        SATISFIED = "satisfied", "satisfied"
        BASICALLY = "basically", "basically satisfied"
        UNSATISFIED = "unsatisfied", "unsatisfied"
        UNREACHABLE = "unreachable", "could not be reached"

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="caller")
    name_encrypted = models.TextField(blank=True)
    phone_encrypted = models.TextField()
    # HMAC of the normalised phone number (grids.pii): repeat callers are found without decrypting.
    phone_hash = models.CharField(max_length=64, db_index=True)
    callback_result = models.CharField(max_length=12, choices=Callback.choices, blank=True)
    callback_note = models.TextField(blank=True)
    callback_at = models.DateTimeField(null=True, blank=True)
    callback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"caller of case {self.case_id}"
