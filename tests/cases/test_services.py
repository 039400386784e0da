"""What each case service does beyond moving the state: reasons, links, counters, clocks, input, photos."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import services
from cases.models import Case, CaseEvent, CasePhoto, CaseState, ExtensionRequest
from cases.photos import MAX_PHOTOS
from dispatch.services import deadlines_enforce
from gridmgmt.clock import frozen_at
from gridmgmt.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from gridmgmt.policy import can_view_case
from notifications.models import Notification

from .helpers import drive, event_actions, evidence, png_upload, report

S = CaseState
T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday morning
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


def counts() -> tuple[int, int, int, int]:
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        CasePhoto.objects.count(),
        ExtensionRequest.objects.count(),
    )


def last_event(case: Case) -> CaseEvent:
    return case.events.order_by("-seq").first()


# --- rejection (invalid reports, duplicates) ---


@pytest.mark.parametrize("reason", ["", "   "])
def test_it_requires_a_reason_to_reject(world, reason):
    case = report(world)
    before = counts()
    with pytest.raises(InvalidInput, match="reason is required") as raised:
        services.case_reject(case=case, actor=world.dispatcher, reason=reason)
    assert raised.value.field == "reason"
    assert counts() == before
    case.refresh_from_db()
    assert case.state == S.REPORTED


def test_it_records_which_case_a_duplicate_repeats(world):
    original = report(world, description="路边垃圾")
    duplicate = report(world, description="路边垃圾又报一次")
    with frozen_at(T0):
        rejected = services.case_reject(
            case=duplicate, actor=world.dispatcher, reason="重复上报", duplicate_of=original
        )
    assert rejected.state == S.REJECTED and rejected.duplicate_of == original
    assert rejected.closed_at == T0 and rejected.deadline_at is None and rejected.deadline_stage == ""
    event = last_event(rejected)
    assert event.note == "重复上报" and event.data == {"duplicate_of": original.number}
    original.refresh_from_db()
    assert original.state == S.REPORTED  # the surviving case is untouched


def test_it_refuses_to_mark_a_case_a_duplicate_of_itself(world):
    case = report(world)
    before = counts()
    with pytest.raises(InvalidInput, match="cannot duplicate itself"):
        services.case_reject(case=case, actor=world.dispatcher, reason="重复", duplicate_of=case)
    assert counts() == before


def test_it_refuses_a_duplicate_link_to_a_rejected_case(world):
    gone = drive(world, S.REJECTED)
    case = report(world)
    with pytest.raises(InvalidInput, match="itself rejected"):
        services.case_reject(case=case, actor=world.dispatcher, reason="重复", duplicate_of=gone)


# --- returns and re-dispatch (the bounce between departments is counted) ---


def test_a_returned_case_loses_its_department_and_counts_the_return(world):
    case = drive(world, S.DISPATCHED)
    with frozen_at(T0):
        case = services.case_return(case=case, actor=world.staff, reason="应由市政局处理")
    assert case.state == S.RETURNED and case.department is None and case.return_count == 1
    assert case.deadline_stage == Case.Stage.DISPATCH and case.deadline_started_at == T0
    assert last_event(case).data == {
        "department": "sanitation",
        "stage": "dispatch",
        "deadline": case.deadline_at.isoformat(),
    }
    assert not can_view_case(world.staff, case)  # the returning department no longer holds it


def test_a_returned_case_can_be_dispatched_to_another_department(world):
    case = services.case_return(case=drive(world, S.DISPATCHED), actor=world.staff, reason="非本部门")
    case = services.case_dispatch(case=case, actor=world.dispatcher, department=world.roads)
    assert case.state == S.DISPATCHED and case.department == world.roads
    assert last_event(case).data == {
        "department": "roads",
        "previous_department": None,
        "stage": "handling",
        "deadline": case.deadline_at.isoformat(),
    }
    with pytest.raises(NotAllowed, match="not in your department"):
        services.case_accept(case=case, actor=world.staff)
    case = services.case_accept(case=case, actor=world.other_staff)
    case = services.case_return(case=case, actor=world.other_staff, reason="也不是我们")
    assert case.return_count == 2


def test_it_requires_a_reason_to_return(world):
    case = drive(world, S.IN_PROGRESS)
    with pytest.raises(InvalidInput, match="reason is required"):
        services.case_return(case=case, actor=world.staff, reason="")


# --- failed verification (rework) ---


def test_a_failed_verification_sends_the_case_back_to_the_same_department(world):
    with frozen_at(T0):
        case = drive(world, S.RESOLVED)
    later = T0 + 3 * HOUR
    with frozen_at(later):
        case = services.case_verify_fail(
            case=case, actor=world.gridadmin, reason="垃圾仍未清走", **evidence(case)
        )
    assert case.state == S.DISPATCHED and case.department == world.sanitation and case.rework_count == 1
    assert case.deadline_stage == Case.Stage.HANDLING
    assert case.deadline_started_at == later
    assert case.deadline_at == later + world.cats.waste.handling_minutes * MINUTE
    data = last_event(case).data
    photo = case.photos.get(kind="verification")
    assert data == {
        "department": "sanitation",
        "rework": 1,
        "photos": 1,
        "photo_hashes": [photo.sha256],
        "evidence": {
            "rule": "require",
            "radius_m": 100.0,
            "position": {"lat": round(case.lat, 7), "lng": round(case.lng, 7), "accuracy": 8.0},
            "distance_m": 0.0,
            "on_site": True,
            "flags": [],
        },
        "stage": "handling",
        "deadline": case.deadline_at.isoformat(),
    }
    assert Notification.objects.filter(case=case, kind="rework", recipient="staff@example.org").exists()
    # The same department takes it up again; a second failure counts again.
    case = services.case_accept(case=case, actor=world.staff)
    case = services.case_resolve(case=case, actor=world.staff, notes="再次清运", **evidence(case))
    case = services.case_verify_fail(case=case, actor=world.dispatcher, reason="还是没清")
    assert case.rework_count == 2


# --- extensions (延期) ---


def test_it_allows_only_one_pending_extension_request(world):
    case = drive(world, S.IN_PROGRESS)
    request = services.case_request_extension(case=case, actor=world.staff, minutes=60, reason="等设备")
    assert request.state == ExtensionRequest.State.PENDING and request.requested_by == world.staff
    before = counts()
    with pytest.raises(Conflict, match="already waiting"):
        services.case_request_extension(case=case, actor=world.staff, minutes=30, reason="再等等")
    assert counts() == before
    assert event_actions(case).count("request_extension") == 1


def test_an_approved_extension_moves_the_deadline_by_its_minutes(world):
    with frozen_at(T0):
        case = drive(world, S.IN_PROGRESS)
    deadline = case.deadline_at
    services.case_request_extension(case=case, actor=world.staff, minutes=90, reason="需要调集设备")
    with frozen_at(T0 + HOUR):
        case = services.case_approve_extension(case=case, actor=world.dispatcher, note="同意")
    assert case.deadline_at == deadline + 90 * MINUTE and case.extension_count == 1
    assert case.deadline_started_at == T0  # the stage began when it began
    assert case.deadline_warn_at < case.deadline_at < case.deadline_escalate_at
    request = ExtensionRequest.objects.get(case=case)
    assert request.state == ExtensionRequest.State.APPROVED and request.decided_by == world.dispatcher
    assert last_event(case).data == {
        "request": request.pk,
        "minutes": 90,
        "stage": "handling",
        "previous_deadline": deadline.isoformat(),
        "deadline": case.deadline_at.isoformat(),
    }
    # Decided, so a new request may follow.
    services.case_request_extension(case=case, actor=world.staff, minutes=30, reason="还需要半小时")


def test_a_denied_extension_keeps_the_deadline(world):
    case = drive(world, S.DISPATCHED)
    deadline = case.deadline_at
    services.case_request_extension(case=case, actor=world.staff, minutes=90, reason="需要调集设备")
    case = services.case_deny_extension(case=case, actor=world.dispatcher, reason="理由不充分")
    assert case.deadline_at == deadline and case.extension_count == 0
    assert ExtensionRequest.objects.get(case=case).state == ExtensionRequest.State.DENIED


@pytest.mark.parametrize("minutes", [0, -5, "soon", None, 30 * 24 * 60 + 1])
def test_it_refuses_an_extension_of_a_bad_length(world, minutes):
    case = drive(world, S.IN_PROGRESS)
    before = counts()
    with pytest.raises(InvalidInput) as raised:
        services.case_request_extension(case=case, actor=world.staff, minutes=minutes, reason="x")
    assert raised.value.field == "minutes"
    assert counts() == before


# --- suspension (挂账) ---


def test_a_suspended_case_keeps_its_clock_stopped_until_resumed(world):
    with frozen_at(T0):
        case = drive(world, S.DISPATCHED)
    original = (case.deadline_started_at, case.deadline_warn_at, case.deadline_at, case.deadline_escalate_at)
    assert case.deadline_at == T0 + 4 * HOUR
    with frozen_at(T0 + HOUR):
        case = services.case_suspend(case=case, actor=world.dispatcher, reason="等待上级批复")
    assert case.suspended_at == T0 + HOUR and case.suspended_remaining_s == 3 * 3600
    assert case.state == S.DISPATCHED and case.deadline_at == original[2]

    # Long past the original deadline and escalation point, nothing fires for a suspended case.
    fired = deadlines_enforce(now=T0 + 10 * HOUR)
    assert fired == {"deadline_warning": 0, "deadline_overdue": 0, "escalated": 0}
    case.refresh_from_db()
    assert case.warned_at is case.overdue_at is case.escalated_at is None

    with frozen_at(T0 + 24 * HOUR):
        case = services.case_resume(case=case, actor=world.dispatcher, note="已批复")
    # The world's calendar runs around the clock: every point still ahead moves by the 23 hours suspended
    # (tests/dispatch/test_worktime.py has the same in office hours). The stage began when it began.
    paused = 23 * HOUR
    assert case.deadline_started_at == original[0]
    assert (case.deadline_warn_at, case.deadline_at, case.deadline_escalate_at) == tuple(
        point + paused for point in original[1:]
    )
    assert case.suspended_at is None and case.suspended_remaining_s is None
    assert last_event(case).data == {
        "suspended_seconds": 23 * 3600,
        "stage": "handling",
        "previous_deadline": original[2].astimezone(dt.UTC).isoformat(),
        "deadline": case.deadline_at.isoformat(),
    }


def test_it_refuses_to_suspend_a_suspended_case(world):
    case = services.case_suspend(case=drive(world, S.FILED), actor=world.dispatcher, reason="挂账")
    before = counts()
    with pytest.raises(InvalidTransition, match="already suspended"):
        services.case_suspend(case=case, actor=world.dispatcher, reason="再挂一次")
    assert counts() == before


def test_a_new_stage_ends_a_suspension_on_the_record(world):
    t0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with frozen_at(t0):
        case = services.case_suspend(case=drive(world, S.FILED), actor=world.dispatcher, reason="挂账")
    with frozen_at(t0 + dt.timedelta(minutes=30)):
        case = services.case_dispatch(case=case, actor=world.dispatcher, department=world.sanitation)

    assert case.suspended_at is None and case.deadline_stage == "handling"
    assert last_event(case).data["suspension_ended"] is True
    assert last_event(case).data["suspended_seconds"] == 30 * 60


def test_actions_that_keep_the_deadline_keep_a_suspension(world):
    case = services.case_suspend(case=drive(world, S.DISPATCHED), actor=world.dispatcher, reason="挂账")
    case = services.case_accept(case=case, actor=world.staff)

    assert case.suspended_at is not None
    assert "suspension_ended" not in last_event(case).data


def test_it_requires_a_reason_to_suspend(world):
    case = drive(world, S.FILED)
    with pytest.raises(InvalidInput, match="reason is required"):
        services.case_suspend(case=case, actor=world.dispatcher, reason=" ")


# --- optimistic locking ---


def test_it_refuses_an_action_decided_on_a_stale_version(world):
    case = report(world)
    seen = case.version
    services.case_suspend(case=case, actor=world.dispatcher, reason="先挂起")  # someone else acts first
    before = counts()
    with pytest.raises(Conflict, match="changed by someone else"):
        services.case_file(case=case, actor=world.dispatcher, expected_version=seen)
    assert counts() == before
    case.refresh_from_db()
    assert case.state == S.REPORTED and case.version == seen + 1
    filed = services.case_file(case=case, actor=world.dispatcher, expected_version=seen + 1)
    assert filed.state == S.FILED and filed.version == seen + 2


# --- reporting: input is checked before anything is written ---


def _not_an_image() -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.png", b"this is not a picture", content_type="image/png")


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"description": ""}, "description", "description is required"),
        ({"description": " \n "}, "description", "description is required"),
        ({"description": "x" * 4001}, "description", "longer than 4000"),
        ({"lat": 91}, "location", "latitude must be within"),
        ({"lat": -90.5}, "location", "latitude must be within"),
        ({"lng": 181}, "location", "longitude within"),
        ({"lat": "north"}, "location", "numeric latitude and longitude"),
        ({"lng": None}, "location", "numeric latitude and longitude"),
        ({"lat": float("nan")}, "location", "latitude must be within"),
        ({"lat": 39.9, "lng": 116.4}, "location", "outside the jurisdiction"),  # Beijing: in range, no grid
        ({"category": "major"}, "category", "active minor category"),
        ({"photos": "not_an_image"}, "photos", "not a readable image"),
        ({"photos": "too_many"}, "photos", f"at most {MAX_PHOTOS} photos"),
        ({"source": "carrier-pigeon"}, "source", "unknown source"),
        ({"priority": 7}, "priority", "priority must be"),
    ],
)
def test_it_refuses_a_bad_report_and_writes_nothing(world, overrides, field, message):
    overrides = dict(overrides)
    if overrides.get("category") == "major":
        overrides["category"] = world.cats.major
    if overrides.get("photos") == "not_an_image":
        overrides["photos"] = [_not_an_image()]
    elif overrides.get("photos") == "too_many":
        overrides["photos"] = [png_upload(f"p{i}.png") for i in range(MAX_PHOTOS + 1)]
    before = counts()
    with pytest.raises(InvalidInput, match=message) as raised:
        report(world, **overrides)
    assert raised.value.field == field
    assert counts() == before


def test_it_refuses_a_report_by_a_grid_administrator_outside_their_grids(world):
    before = counts()
    with pytest.raises(NotAllowed, match="not in your grids"):
        report(world, actor=world.gridadmin, grid=world.g3)
    assert counts() == before


def test_it_stores_a_real_photo_with_the_report(world):
    case = report(world, photos=[png_upload("scene.png", size=(32, 24))])
    photo = case.photos.get()
    assert photo.kind == CasePhoto.Kind.REPORT and photo.uploaded_by == world.gridadmin
    assert photo.image.name.endswith(".png") and photo.image.storage.exists(photo.image.name)
    assert (photo.image.width, photo.image.height) == (32, 24)
    assert last_event(case).data["photos"] == 1


def test_it_stores_fix_evidence_with_the_resolution(world):
    case = drive(world, S.IN_PROGRESS)
    case = services.case_resolve(
        case=case, actor=world.staff, notes="已清运", photos=[png_upload("after.png")]
    )
    assert list(case.photos.values_list("kind", flat=True)) == [CasePhoto.Kind.EVIDENCE]


def test_a_report_starts_the_filing_clock_and_numbers_the_case(world):
    with frozen_at(T0):
        case = report(world)
    assert case.number == f"20250303{case.pk:06d}"
    assert case.deadline_stage == Case.Stage.FILING
    assert case.deadline_at == T0 + world.cats.waste.filing_minutes * MINUTE
    assert case.priority == world.cats.waste.default_priority
    assert event_actions(case) == ["report"]
