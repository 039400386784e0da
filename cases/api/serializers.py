"""REST serializers for cases: explicit input serializers per action, output serializers per view."""

import copy
import datetime as dt

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from departments.models import Department
from gridmgmt import clock
from gridmgmt.api import CodeRefSerializer, CoordinateField, TextField
from gridmgmt.errors import InvalidInput
from gridmgmt.roles import Role

from ..evidence import position_parse, taken_at_parse
from ..models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    CaseState,
    Category,
    EvidenceRule,
    ExtensionRequest,
)
from ..photos import MAX_PHOTOS
from ..selectors import active_minor_categories
from ..services import MAX_EXTENSION_MINUTES, MAX_TEXT

# --- shared pieces ----------------------------------------------------------------------------------------


def _photos_field(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=MAX_PHOTOS,
        help_text=f"{help_text} Up to {MAX_PHOTOS} JPEG/PNG/WebP/GIF images of at most 10 MB; "
        "send as multipart/form-data.",
    )


def _text(*, required: bool, help_text: str, max_length: int = MAX_TEXT) -> TextField:
    if required:
        return TextField(max_length=max_length, help_text=help_text)
    return TextField(max_length=max_length, required=False, allow_blank=True, default="", help_text=help_text)


class BlankAsNullChoiceField(serializers.ChoiceField):
    """Output: a model's "" (none) becomes null."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value):
        return super().to_representation(value) if value else None


def is_overdue(case: Case, now: dt.datetime) -> bool:
    """Past its running deadline, open and not suspended (a suspended clock does not run)."""
    return (
        case.state in OPEN_STATES
        and case.suspended_at is None
        and case.deadline_at is not None
        and case.deadline_at < now
    )


# --- input: the list's filters ---------------------------------------------------------------------------


class DateOrDateTimeField(serializers.Field):
    """An ISO 8601 date or date-time. A bare date means the start of that day (Asia/Shanghai), or the start
    of the next day with `end_of_day`, so `reported_before=2024-05-31` includes the 31st."""

    default_error_messages = {
        "invalid": "use an ISO 8601 date (2024-05-01) or date-time (2024-05-01T08:00:00+08:00)",
    }

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> dt.datetime:
        if not isinstance(data, str) or len(data) > 40:
            self.fail("invalid")
        try:
            day = parse_date(data)  # before parse_datetime, which reads "2024-05-01" as its midnight
            if day is not None:
                if self.end_of_day:
                    day += dt.timedelta(days=1)
                moment = dt.datetime.combine(day, dt.time.min)
            else:
                moment = parse_datetime(data)
                if moment is None:
                    self.fail("invalid")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            moment.astimezone(dt.UTC)  # the database compares in UTC: reject what cannot be converted
        except (ValueError, OverflowError):
            self.fail("invalid")
        return moment

    def to_representation(self, value):
        return value.isoformat()


class CaseFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=CaseState.choices, required=False)
    category = TextField(max_length=40, required=False)
    grid = TextField(max_length=40, required=False)
    community = TextField(max_length=40, required=False)
    street = TextField(max_length=40, required=False)
    department = TextField(max_length=40, required=False)
    reported_after = DateOrDateTimeField(required=False)
    reported_before = DateOrDateTimeField(required=False, end_of_day=True)
    overdue = serializers.BooleanField(required=False, allow_null=True)

    def validate(self, attrs):
        after, before = attrs.get("reported_after"), attrs.get("reported_before")
        if after and before and after >= before:
            raise serializers.ValidationError({"reported_before": "must be later than reported_after"})
        return attrs


# --- input: create and actions ----------------------------------------------------------------------------


class ActiveMinorCategoryField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(
            slug_field="code",
            queryset=Category.objects.filter(is_active=True, parent__isnull=False),
            error_messages={
                "does_not_exist": "there is no active minor category with code {value}",
                "invalid": "give a category code",
            },
            **kwargs,
        )

    def to_internal_value(self, data):
        # From the per-process table of active minor categories (every report reads one) instead of a query.
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        category = active_minor_categories.get().get(str(data))
        if category is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return copy.copy(category)


class CaseCreateInputSerializer(serializers.Serializer):
    lat = CoordinateField(
        limit=90, required=False, help_text="Latitude (WGS84); required unless `facility` is given"
    )
    lng = CoordinateField(
        limit=180, required=False, help_text="Longitude (WGS84); required unless `facility` is given"
    )
    category = ActiveMinorCategoryField(
        required=False,
        help_text="Code of an active minor category; with a `facility`, default: its class's category",
    )
    facility = TextField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="16-digit code of the city facility (部件) the case is about: the case takes its location "
        "and grid (lat and lng are then ignored), its class's category unless one is given, and routing "
        "its maintaining department. Grid administrators name their own grids' facilities only.",
    )
    description = _text(required=True, help_text="What is wrong")
    address = _text(required=False, max_length=200, help_text="Street address or landmark")
    priority = serializers.ChoiceField(
        choices=Case.Priority.choices, required=False, help_text="Default: the category's priority"
    )
    source = serializers.ChoiceField(
        choices=[Case.Source.PATROL, Case.Source.RESIDENT, Case.Source.HOTLINE],
        required=False,
        help_text="Default by role: patrol (grid administrator), hotline (dispatcher), resident (resident). "
        "An explicit source must belong to one of the caller's roles.",
    )
    reporter_name = _text(required=False, max_length=100, help_text="Hotline: the caller's name")
    reporter_contact = _text(required=False, max_length=100, help_text="Hotline: the caller's phone")
    photos = _photos_field("Photos of the problem.")

    def validate(self, attrs):
        # A facility brings the place and the category; without one the caller gives both.
        if not attrs.get("facility"):
            missing = [name for name in ("lat", "lng", "category") if attrs.get(name) is None]
            if missing:
                raise serializers.ValidationError(
                    {name: "this field is required unless `facility` is given" for name in missing}
                )
        return attrs


class VersionedInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The case version the decision was based on; 409 when the case has changed since.",
    )


class FileInputSerializer(VersionedInputSerializer):
    note = _text(required=False, help_text="Filing note")
    category = ActiveMinorCategoryField(required=False, help_text="Corrected category code")
    priority = serializers.ChoiceField(choices=Case.Priority.choices, required=False)


class RejectInputSerializer(VersionedInputSerializer):
    reason = _text(required=True, help_text="Why the report is not a case")
    duplicate_of = TextField(
        max_length=20, required=False, allow_blank=True, help_text="Number of the case this one duplicates"
    )

    def validate_duplicate_of(self, value: str) -> Case | None:
        if not value:
            return None
        duplicate = Case.objects.filter(number=value).first()
        if duplicate is None:
            raise serializers.ValidationError(f"there is no case {value}")
        return duplicate


class DispatchInputSerializer(VersionedInputSerializer):
    department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.filter(is_active=True),
        error_messages={"does_not_exist": "there is no active department with code {value}"},
        help_text="Code of the department to handle the case",
    )
    note = _text(required=False, help_text="Instructions for the department")


class AcceptInputSerializer(VersionedInputSerializer):
    pass


class ReasonInputSerializer(VersionedInputSerializer):
    reason = _text(required=True, help_text="Why (kept in the case history)")


class NoteInputSerializer(VersionedInputSerializer):
    note = _text(required=False, help_text="Optional note for the case history")


class ExtensionRequestInputSerializer(VersionedInputSerializer):
    minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_EXTENSION_MINUTES, help_text="Extra handling time asked for"
    )
    reason = _text(required=True, help_text="Why the department needs more time")


class EvidenceInputSerializer(serializers.Serializer):
    """The on-site proof of a step: the device position (all three or none) and when the photo was taken.
    Judged by the service against the category's evidence rule; refusals name `photos` or `position`."""

    lat = serializers.FloatField(
        required=False, allow_null=True, help_text="Device latitude (WGS84) when the step was taken"
    )
    lng = serializers.FloatField(
        required=False, allow_null=True, help_text="Device longitude (WGS84) when the step was taken"
    )
    accuracy = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="Accuracy of the device position in metres (68 % radius, as the Geolocation API gives). "
        "Where the category's rule requires the step on site, the position must be within "
        "ON_SITE_RADIUS_M of the case with at most that accuracy.",
    )
    taken_at = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="When the device says the (first) photo was taken: ISO 8601, or epoch milliseconds "
        "(File.lastModified). Compared with the camera's EXIF time and the server's clock.",
    )

    def validate_taken_at(self, value: str):
        try:
            return taken_at_parse(value)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message) from exc

    def validate(self, attrs):
        attrs = super().validate(attrs)
        try:
            position = position_parse(
                attrs.pop("lat", None),
                attrs.pop("lng", None),
                attrs.pop("accuracy", None),
            )
        except InvalidInput as exc:
            raise serializers.ValidationError({"position": [exc.message]}) from exc
        attrs["position"] = position
        attrs.setdefault("taken_at", None)
        return attrs


class ResolveInputSerializer(EvidenceInputSerializer, VersionedInputSerializer):
    notes = _text(required=True, help_text="What was done")
    photos = _photos_field("Evidence of the fix; how many the category's rule asks for (default 1).")


class VerifyPassInputSerializer(EvidenceInputSerializer, NoteInputSerializer):
    photos = _photos_field("Photos taken on site; how many the category's rule asks for (default 1).")


class VerifyFailInputSerializer(EvidenceInputSerializer, ReasonInputSerializer):
    photos = _photos_field(
        "Photos taken on site (a grid administrator: as the category's rule asks; a dispatcher fails at the "
        "desk, without photos or position)."
    )


class VerifyDeskInputSerializer(VersionedInputSerializer):
    reason = _text(
        required=True,
        help_text="Why the case closes without an on-site check (the caller confirmed, a camera shows it); "
        "counted as a desk closure",
    )


class DelegateVerificationInputSerializer(VersionedInputSerializer):
    delegate = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True, groups__name=Role.GRID_ADMIN).distinct(),
        error_messages={"does_not_exist": "there is no active grid administrator with username {value}"},
        help_text="Username of the active grid administrator who is to verify on site instead of the "
        "grid's own; replaces a standing delegation",
    )
    reason = _text(required=True, help_text="Why someone else verifies (kept in the case history)")


# --- output -----------------------------------------------------------------------------------------------


class CaseSummarySerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(choices=CaseState.choices, read_only=True)
    source = serializers.ChoiceField(choices=Case.Source.choices, read_only=True)
    priority = serializers.ChoiceField(choices=Case.Priority.choices, read_only=True)
    category = CodeRefSerializer(read_only=True)
    grid = CodeRefSerializer(read_only=True, allow_null=True)
    department = CodeRefSerializer(read_only=True, allow_null=True)
    description = serializers.CharField(read_only=True)
    address = serializers.CharField(read_only=True)
    lat = serializers.FloatField(read_only=True)
    lng = serializers.FloatField(read_only=True)
    deadline_stage = BlankAsNullChoiceField(choices=Case.Stage.choices)
    deadline_at = serializers.DateTimeField(read_only=True, allow_null=True)
    is_overdue = serializers.SerializerMethodField()
    is_suspended = serializers.SerializerMethodField()
    reported_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True, help_text="Send back as `version` with an action")

    def get_is_overdue(self, case: Case) -> bool:
        now = self.context.setdefault("now", clock.now())
        return is_overdue(case, now)

    def get_is_suspended(self, case: Case) -> bool:
        return case.suspended_at is not None


class PhotoSerializer(serializers.Serializer):
    """Links to the EXIF-free copies only (the upload itself may carry GPS and device data)."""

    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=CasePhoto.Kind.choices, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    display_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    def get_display_url(self, photo: CasePhoto) -> str:
        return self._url(photo, "display")

    def get_thumbnail_url(self, photo: CasePhoto) -> str:
        return self._url(photo, "thumb")

    def _url(self, photo: CasePhoto, variant: str) -> str:
        kwargs = {"number": self.context["number"], "photo_id": photo.pk, "variant": variant}
        return self.context["request"].build_absolute_uri(reverse("api-case-photo", kwargs=kwargs))


class ExtensionRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    minutes = serializers.IntegerField(read_only=True)
    reason = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(choices=ExtensionRequest.State.choices, read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decision_note = serializers.CharField(read_only=True)


class ExtensionRequestCreatedSerializer(ExtensionRequestSerializer):
    case_version = serializers.IntegerField(
        source="case.version", read_only=True, help_text="The case's version after the request"
    )


class CaseActionLinkSerializer(serializers.Serializer):
    action = serializers.CharField(read_only=True, help_text="Workflow action name")
    path = serializers.CharField(read_only=True, help_text="POST here to take it")


class DeadlineSerializer(serializers.Serializer):
    stage = BlankAsNullChoiceField(choices=Case.Stage.choices, source="deadline_stage")
    started_at = serializers.DateTimeField(source="deadline_started_at", read_only=True, allow_null=True)
    warn_at = serializers.DateTimeField(source="deadline_warn_at", read_only=True, allow_null=True)
    due_at = serializers.DateTimeField(source="deadline_at", read_only=True, allow_null=True)
    escalate_at = serializers.DateTimeField(source="deadline_escalate_at", read_only=True, allow_null=True)
    suspended_at = serializers.DateTimeField(read_only=True, allow_null=True)


class EvidencePositionSerializer(serializers.Serializer):
    lat = serializers.FloatField(read_only=True)
    lng = serializers.FloatField(read_only=True)
    accuracy = serializers.FloatField(read_only=True, help_text="metres")


class EvidenceFindingsSerializer(serializers.Serializer):
    """What the step's position and photo times showed (output only). The optional findings are not marked
    read-only: the schema generator would list read-only fields as always present, and a step without a
    position has no distance."""

    rule = serializers.ChoiceField(
        choices=EvidenceRule.Position.choices, read_only=True, help_text="The category's position rule"
    )
    radius_m = serializers.FloatField(read_only=True)
    position = EvidencePositionSerializer(required=False)
    distance_m = serializers.FloatField(required=False, help_text="From the case")
    on_site = serializers.BooleanField(required=False)
    track = serializers.ChoiceField(
        choices=["near", "absent"], required=False, help_text="The verifier's running patrol"
    )
    device_taken_at = serializers.CharField(required=False)
    camera_taken_at = serializers.ListField(child=serializers.CharField(), required=False)
    flags = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="no_position, off_site, imprecise, track_absent, photo_stale, photo_future, "
        "photo_times_disagree",
    )


class EventEvidenceSerializer(serializers.Serializer):
    """One step's proof, from its hash-chained event."""

    seq = serializers.IntegerField(read_only=True)
    action = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    photos = serializers.IntegerField(read_only=True, help_text="Photos the step brought")
    desk = serializers.BooleanField(read_only=True, help_text="Decided at the desk, not on site")
    delegated = serializers.BooleanField(read_only=True, help_text="By a delegated grid administrator")
    delegation_reason = serializers.CharField(read_only=True, allow_null=True)
    evidence = EvidenceFindingsSerializer(read_only=True, allow_null=True)


class CaseDetailSerializer(CaseSummarySerializer):
    facility = serializers.CharField(
        source="facility.code",
        read_only=True,
        allow_null=True,
        help_text="16-digit code of the city facility the case is about, if any",
    )
    community = serializers.SerializerMethodField()
    street = serializers.SerializerMethodField()
    suggested_department = CodeRefSerializer(read_only=True, allow_null=True)
    duplicate_of = serializers.SerializerMethodField()
    deadline = DeadlineSerializer(source="*", read_only=True)
    return_count = serializers.IntegerField(read_only=True)
    rework_count = serializers.IntegerField(read_only=True)
    extension_count = serializers.IntegerField(read_only=True)
    photos = serializers.SerializerMethodField()
    pending_extension = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField(
        help_text="Staff only (empty for residents): the proof each step brought, from the timeline"
    )

    @extend_schema_field(CodeRefSerializer(allow_null=True))
    def get_community(self, case: Case):
        community = case.grid.community if case.grid_id else None
        return CodeRefSerializer(community).data if community else None

    @extend_schema_field(CodeRefSerializer(allow_null=True))
    def get_street(self, case: Case):
        street = case.grid.community.parent if case.grid_id else None
        return CodeRefSerializer(street).data if street else None

    def get_duplicate_of(self, case: Case) -> str | None:
        return case.duplicate_of.number if case.duplicate_of_id else None

    @extend_schema_field(PhotoSerializer(many=True))
    def get_photos(self, case: Case):
        context = {**self.context, "number": case.number}
        # Prefetched by the view (to_attr "photo_list").
        return PhotoSerializer(case.photo_list, many=True, context=context).data

    @extend_schema_field(ExtensionRequestSerializer(allow_null=True))
    def get_pending_extension(self, case: Case):
        # Prefetched by the view (to_attr "pending_extensions"): at most one is pending at a time.
        pending = case.pending_extensions
        return ExtensionRequestSerializer(pending[0]).data if pending else None

    @extend_schema_field(CaseActionLinkSerializer(many=True))
    def get_actions(self, case: Case):
        """What the caller may do now; the view passes them in (they depend on the caller's roles)."""
        return self.context.get("actions", [])

    @extend_schema_field(EventEvidenceSerializer(many=True))
    def get_evidence(self, case: Case):
        """The view passes in the steps' proof for staff (`evidence` in the context), nothing for others."""
        return EventEvidenceSerializer(self.context.get("evidence", []), many=True).data


class CaseEventSerializer(serializers.Serializer):
    seq = serializers.IntegerField(read_only=True)
    action = serializers.CharField(read_only=True)
    from_state = serializers.CharField(read_only=True)
    to_state = serializers.CharField(read_only=True)
    actor = serializers.SerializerMethodField()
    actor_role = serializers.CharField(read_only=True)
    note = serializers.CharField(read_only=True)
    data = serializers.DictField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    prev_hash = serializers.CharField(read_only=True)
    hash = serializers.CharField(read_only=True, help_text="sha256 over prev_hash and the event")

    def get_actor(self, event: CaseEvent) -> str | None:
        """The username frozen at the time; null for the system."""
        return event.actor_username or None

    def to_representation(self, instance):
        body = super().to_representation(instance)
        if not self.context.get("staff", False):
            # Where the device stood and what was flagged are the staff's: residents read what happened.
            body["data"] = {k: v for k, v in body["data"].items() if k not in _STAFF_ONLY_DATA}
        return body


# Event data shown to staff only: the on-site findings (device position, distance, flags) and delegations.
_STAFF_ONLY_DATA = frozenset({"evidence", "delegation", "delegate"})


class CaseTimelineSerializer(serializers.Serializer):
    case = serializers.CharField(read_only=True, help_text="Case number")
    chain_intact = serializers.BooleanField(read_only=True, help_text="Every hash link verifies")
    broken_link = serializers.CharField(read_only=True, allow_null=True, help_text="The first broken link")
    events = CaseEventSerializer(many=True, read_only=True)


# --- categories -------------------------------------------------------------------------------------------


class MinorCategorySerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    name_en = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=Category.Kind.choices, read_only=True)
    default_priority = serializers.IntegerField(read_only=True)
    around_the_clock = serializers.BooleanField(read_only=True, help_text="Deadlines ignore work hours")
    filing_minutes = serializers.IntegerField(read_only=True, help_text="SLA: reported → filed")
    dispatch_minutes = serializers.IntegerField(read_only=True, help_text="SLA: filed → dispatched")
    handling_minutes = serializers.IntegerField(read_only=True, help_text="SLA: dispatched → resolved")
    verification_minutes = serializers.IntegerField(read_only=True, help_text="SLA: resolved → closed")


class MajorCategorySerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    name_en = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=Category.Kind.choices, read_only=True)
    minors = MinorCategorySerializer(many=True, read_only=True, source="active_children")
