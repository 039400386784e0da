"""The tamper-evident history: a real lifecycle verifies clean, and each kind of tampering is named."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cases import services
from cases.audit import GENESIS_HASH, chain_verify, chains_verify, event_hash
from cases.models import CaseEvent, CaseState
from dispatch.services import case_route, deadlines_enforce
from gridmgmt.clock import frozen_at

from .helpers import drive, event_actions, evidence, png_upload, report

S = CaseState
T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HOUR = dt.timedelta(hours=1)
ROOT = Path(__file__).resolve().parents[2]


def full_lifecycle(world):
    """Every kind of event a case can collect: routing, extension, suspension, alerts, rework, closure."""
    with frozen_at(T0):
        case = report(world, photos=[png_upload()])
        case_route(case_id=case.pk)
        case = services.case_file(case=case, actor=world.dispatcher, note="立案")
        case = services.case_dispatch(case=case, actor=world.dispatcher, department=world.sanitation)
    with frozen_at(T0 + HOUR):
        case = services.case_accept(case=case, actor=world.staff)
        services.case_request_extension(case=case, actor=world.staff, minutes=60, reason="需要调车")
        case = services.case_approve_extension(case=case, actor=world.dispatcher)
        case = services.case_suspend(case=case, actor=world.dispatcher, reason="等待批复")
    with frozen_at(T0 + 2 * HOUR):
        case = services.case_resume(case=case, actor=world.dispatcher)
    deadlines_enforce(now=T0 + 7 * HOUR)  # warning and overdue fire, as system events
    with frozen_at(T0 + 8 * HOUR):
        case = services.case_resolve(case=case, actor=world.staff, notes="已清运", **evidence(case))
        case = services.case_verify_fail(
            case=case, actor=world.gridadmin, reason="未清干净", **evidence(case)
        )
        case = services.case_accept(case=case, actor=world.staff)
        case = services.case_resolve(case=case, actor=world.staff, notes="复清", **evidence(case))
        case = services.case_verify_pass(case=case, actor=world.gridadmin, note="合格", **evidence(case))
    assert case.state == S.CLOSED
    return case


def first_break(case):
    case.refresh_from_db()
    events = CaseEvent.objects.filter(case=case).order_by("seq")
    return chain_verify(case.number, events, head=(case.audit_seq, case.audit_head))


def seq_of(case, action: str) -> int:
    return case.events.filter(action=action).order_by("seq").values_list("seq", flat=True)[0]


def test_a_full_lifecycle_verifies_clean(world):
    case = full_lifecycle(world)
    assert event_actions(case) == [
        "report",
        "route",
        "file",
        "dispatch",
        "accept",
        "request_extension",
        "approve_extension",
        "suspend",
        "resume",
        "deadline_warning",
        "deadline_overdue",
        "resolve",
        "verify_fail",
        "accept",
        "resolve",
        "verify_pass",
    ]
    events = list(case.events.order_by("seq"))
    assert events[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))
    assert first_break(case) is None
    assert chains_verify() == (1, [])


def test_it_detects_a_note_edited_with_a_queryset_update(world):
    case = full_lifecycle(world)
    seq = seq_of(case, "file")
    CaseEvent.objects.filter(case=case, seq=seq).update(note="补录的说明")
    link = first_break(case)
    assert (link.case_number, link.seq) == (case.number, seq)
    assert "was altered" in link.reason


def test_it_detects_a_deleted_middle_event(world):
    case = full_lifecycle(world)
    seq = seq_of(case, "verify_fail")  # the embarrassing one
    CaseEvent.objects.filter(case=case, seq=seq).delete()
    link = first_break(case)
    assert link.seq == seq and link.reason == f"is missing (found #{seq + 1} next)"


@pytest.mark.parametrize(
    "field, value",
    [
        ("data", {"department": "roads", "previous_department": None}),
        ("to_state", S.CLOSED),
        ("actor_username", "someone_else"),
        ("actor_role", "supervisor"),
        ("created_at", T0 - HOUR),
    ],
)
def test_it_detects_any_edited_field(world, field, value):
    case = full_lifecycle(world)
    seq = seq_of(case, "dispatch")
    CaseEvent.objects.filter(case=case, seq=seq).update(**{field: value})
    link = first_break(case)
    assert link.seq == seq and "was altered" in link.reason


def test_re_hashing_an_edited_event_breaks_the_link_to_its_successor(world):
    case = full_lifecycle(world)
    seq = seq_of(case, "verify_fail")
    event = CaseEvent.objects.get(case=case, seq=seq)
    event.note = "合格"
    event.hash = event_hash(event, case.number)  # a careful forger recomputes the edited event's hash
    event.save(update_fields=["note", "hash"])
    link = first_break(case)
    assert link.seq == seq + 1 and "does not link to the previous event" in link.reason


def test_it_detects_the_last_events_deleted(world):
    case = full_lifecycle(world)
    last = case.events.order_by("-seq").first().seq
    CaseEvent.objects.filter(case=case, seq__gte=last - 1).delete()  # "it was never closed"
    link = first_break(case)
    assert link.seq == last - 1 and f"should run to #{last}" in link.reason


def test_it_detects_the_last_event_rewritten_and_re_hashed(world):
    case = full_lifecycle(world)
    event = case.events.order_by("-seq").first()
    event.note = "不合格"
    event.hash = event_hash(event, case.number)  # nothing follows it, so no successor's link breaks
    event.save(update_fields=["note", "hash"])
    link = first_break(case)
    assert link.seq == event.seq and "recorded chain head" in link.reason


def test_it_flags_a_case_whose_history_is_gone(world):
    case = report(world)
    CaseEvent.objects.filter(case=case).delete()
    link = first_break(case)
    assert link.seq == 1 and "no history" in link.reason


def test_chains_verify_names_only_the_broken_cases(world):
    intact, tampered = drive(world, S.CLOSED), drive(world, S.DISPATCHED)
    CaseEvent.objects.filter(case=tampered, seq=2).update(note="改")
    checked, broken = chains_verify(batch_size=1)  # batches of one: the chunking must not mix cases
    assert checked == 2
    assert [(b.case_number, b.seq) for b in broken] == [(tampered.number, 2)]
    assert intact.number not in str(broken)
