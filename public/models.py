"""What the public site keeps: resident accounts and their link to the registry, one-time codes, who supports
and follows a case, grid subscriptions, which step notifies whom (data, edited in the admin), and the
reporters' ratings of closed cases with the dispatch center's review of them.

Contacts (an e-mail address, a phone) are personal data: stored encrypted (grids.pii, the registry's key)
with a keyed hash beside them for lookups and uniqueness; no public page ever shows them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("text message")


class ResidentAccount(models.Model):
    """A resident's account on the public site (a Django user in the `resident` group). Confirmed by an
    e-mail link or a code sent to the phone; verified when a grid administrator confirmed its link to the
    registry, which makes it a verified resident of that grid (polls, suggestions, volunteering)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resident_account"
    )
    phone_encrypted = models.TextField(blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    phone_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The registry link, once a grid administrator confirmed it.
    grid = models.ForeignKey(
        "grids.Grid", null=True, blank=True, on_delete=models.SET_NULL, related_name="verified_accounts"
    )
    resident = models.ForeignKey(
        "grids.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("resident account")
        verbose_name_plural = _("resident accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["phone_hash"], condition=~Q(phone_hash=""), name="account_phone_uniq"
            ),
            models.UniqueConstraint(fields=["resident"], name="account_resident_uniq"),
        ]

    def __str__(self) -> str:
        return self.user.get_username()

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None or self.phone_confirmed_at is not None

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None and self.grid_id is not None


class RegistryLinkRequest(models.Model):
    """A resident asks to be linked to the registry of a grid; its administrators confirm or decline. The
    ID number is kept only as the registry's keyed hash (never shown); the registry entry it matched, if any,
    is found when the request is made, so the administrator sees whether it matches without seeing it."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for the grid administrator")
        APPROVED = "approved", _("confirmed")
        DECLINED = "declined", _("declined")

    account = models.ForeignKey(ResidentAccount, on_delete=models.CASCADE, related_name="link_requests")
    grid = models.ForeignKey("grids.Grid", on_delete=models.CASCADE, related_name="link_requests")
    id_hash = models.CharField(max_length=64)
    resident = models.ForeignKey(
        "grids.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(state="pending"), name="link_request_one_pending"
            )
        ]
        indexes = [models.Index(fields=["grid", "state"], name="link_request_grid_idx")]

    def __str__(self) -> str:
        return f"{self.account} → {self.grid_id} ({self.state})"


class OneTimeCode(models.Model):
    """A code sent by text message (sign-up, sign-in, password reset): only its hash is kept; it expires,
    is spent by its first use, and by too many wrong tries."""

    class Purpose(models.TextChoices):
        SIGNUP = "signup", _("sign-up")
        RESET = "reset", _("password reset")

    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    target_hash = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["target_hash", "purpose", "created_at"], name="otc_target_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} code {self.pk}"


class CaseSupport(models.Model):
    """A resident's "me too" on an open public case: once per account, or per contact or browser for one
    without an account (`fingerprint`, a keyed hash). The case counts them (Case.supporter_count)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="case_supports",
    )
    fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user"], condition=Q(user__isnull=False), name="support_user_uniq"
            ),
            models.UniqueConstraint(
                fields=["case", "fingerprint"], condition=~Q(fingerprint=""), name="support_fingerprint_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"support of case {self.case_id}"


class Follower(models.Model):
    """Someone who hears of a case's public steps: its reporter, a supporter, or anyone who follows it; by
    e-mail or text message, in the language they used. `token` is their unsubscribe link's."""

    class Kind(models.TextChoices):
        REPORTER = "reporter", _("reporter")
        SUPPORTER = "supporter", _("supporter")
        FOLLOWER = "follower", _("follower")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="followers")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=5, choices=Channel.choices)
    address_encrypted = models.TextField()
    address_hash = models.CharField(max_length=64)
    language = models.CharField(max_length=10)
    token = models.CharField(max_length=43, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "address_hash"], name="follower_case_address_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of case {self.case_id} ({self.channel})"


class GridSubscription(models.Model):
    """A resident hears of every new public case in a grid (confirmed by the link sent to the address)."""

    grid = models.ForeignKey("grids.Grid", on_delete=models.CASCADE, related_name="subscriptions")
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    address_encrypted = models.TextField()
    address_hash = models.CharField(max_length=64)
    language = models.CharField(max_length=10)
    token = models.CharField(max_length=43, unique=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["grid", "address_hash"], name="grid_subscription_uniq"),
        ]

    def __str__(self) -> str:
        return f"subscription to grid {self.grid_id} ({self.channel})"


class NoticeRule(models.Model):
    """Which step of a public case notifies which audience on which channel, with what words: data, edited
    in the admin, in both languages. Placeholders: {number} {category} {state} {place} {url} {department}
    {rating_url} (the closed case's rating link, for its reporter) and {unsubscribe_url}."""

    class Audience(models.TextChoices):
        REPORTER = "reporter", _("the reporter")
        SUPPORTERS = "supporters", _("supporters and followers")
        GRID = "grid", _("subscribers of the grid")

    action = models.CharField(max_length=30, help_text="a case action: report, file, dispatch, resolve, …")
    audience = models.CharField(max_length=10, choices=Audience.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    is_active = models.BooleanField(default=True)
    subject_zh = models.CharField(max_length=200)
    subject_en = models.CharField(max_length=200)
    body_zh = models.TextField()
    body_en = models.TextField()

    class Meta:
        verbose_name = _("notice rule")
        verbose_name_plural = _("notice rules")
        ordering = ["action", "audience", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["action", "audience", "channel"], name="notice_rule_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.action} → {self.audience} ({self.channel})"


class RatingInvitation(models.Model):
    """The signed link a closed case's reporter gets to rate the result; used once, valid for a while."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="rating_invitations")
    follower = models.ForeignKey(Follower, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    nonce = models.CharField(max_length=43, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rating link of case {self.case_id}"


class CaseRating(models.Model):
    """A reporter's rating of the result (回访). A dissatisfied one waits in the dispatch center's review
    queue until it reopens the case for rework or keeps it closed with a reason."""

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("satisfied")
        BASICALLY = "basically_satisfied", _("basically satisfied")
        DISSATISFIED = "dissatisfied", _("dissatisfied")

    class Review(models.TextChoices):
        NONE = "", _("no review needed")
        PENDING = "pending", _("waiting for review")
        REOPENED = "reopened", _("reopened for rework")
        KEPT = "kept", _("kept closed")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="ratings")
    invitation = models.OneToOneField(
        RatingInvitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="rating"
    )
    rating = models.CharField(max_length=20, choices=Rating.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.NONE, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(review="pending"), name="rating_review_queue_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating} on case {self.case_id}"


class ThrottleHit(models.Model):
    """One use of a throttled public endpoint by one client (a keyed hash of its address, or of an account):
    counted over the throttle's window (public.guard), in the database so that every process and worker
    sees the same count. Rows older than the longest window are purged by the beat task."""

    scope = models.CharField(max_length=20)
    client = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["scope", "client", "at"], name="throttle_hit_idx")]

    def __str__(self) -> str:
        return f"{self.scope} at {self.at:%Y-%m-%d %H:%M:%S}"


class SpentProof(models.Model):
    """A proof of work already used (its challenge's digest): one challenge buys one message."""

    digest = models.CharField(max_length=64, unique=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.digest
