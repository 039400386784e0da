"""The hotline's services: phone numbers read as people say them, callers encrypted at rest and masked for
staff, revealed to dispatchers with a reason that joins the case's chain, repeat callers, the call backs."""

import datetime as dt

import pytest
from django.db import connection

from cases import hotline, services
from cases.audit import chain_verify
from cases.models import Case, CaseCaller, CaseState
from gridmgmt import tasking
from gridmgmt.errors import InvalidInput, InvalidTransition, NotAllowed
from grids import pii

from ..factories import centre
from .helpers import drive

S = CaseState
PHONE = "13800138000"


def take_call(world, *, phone: str = PHONE, name: str = "王小明", grid=None, actor=None, **report) -> Case:
    """A case taken on the hotline by the dispatcher in grid 1 (routing never published)."""
    lat, lng = centre(grid or world.g1)
    report = {
        "lat": lat,
        "lng": lng,
        "category": world.cats.waste,
        "description": "楼下垃圾无人清运",
    } | report
    with tasking.suppressed():
        return hotline.hotline_case_report(
            actor=actor or world.dispatcher, caller_name=name, caller_phone=phone, **report
        )


def closed_call(world, **kwargs) -> Case:
    return drive(world, S.CLOSED, case=take_call(world, **kwargs))


# --- phone numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+86-13800138000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),  # full-width digits, as an IME types them
        ("19912345678", "19912345678"),
        ("0791-86123456", "079186123456"),
        ("(0791) 8612 3456", "079186123456"),
        ("0791 8612345", "07918612345"),  # a 7-digit local number
        ("010-12345678", "01012345678"),
        ("021 6123 4567", "02161234567"),
        ("+86 791 86123456", "079186123456"),  # from abroad the area code loses its 0
        ("+86 10 12345678", "01012345678"),
    ],
)
def test_it_reads_numbers_as_people_give_them(typed, stored):
    assert hotline.caller_phone_normalise(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "12800138000",  # 12x is no mobile range
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "13800138000转123",
        "0791-861234",  # too short for a local number
        "010-1234567",  # Beijing numbers have 8 digits
        "000-12345678",
        "+1 415 555 0100",
        "phone",
        "+86",
    ],
)
def test_it_refuses_what_is_no_mainland_number_at_the_phone_field(typed):
    with pytest.raises(InvalidInput) as refused:
        hotline.caller_phone_normalise(typed)
    assert refused.value.field == "caller_phone"
    assert "mobile number" in refused.value.message


def test_an_empty_number_is_required():
    with pytest.raises(InvalidInput) as refused:
        hotline.caller_phone_normalise("  ")
    assert refused.value.field == "caller_phone" and "required" in refused.value.message


def test_a_landline_is_shown_with_a_dash_after_its_area_code():
    assert hotline.phone_display("079186123456") == "0791-86123456"
    assert hotline.phone_display("01012345678") == "010-12345678"
    assert hotline.phone_display(PHONE) == PHONE


# --- intake -----------------------------------------------------------------------------------------------


def test_it_files_a_hotline_case_with_the_caller_encrypted_at_rest(world):
    case = take_call(world, phone="+86 138-0013-8000", name="王小明")
    case.refresh_from_db()
    assert case.source == Case.Source.HOTLINE and case.state == S.REPORTED
    assert case.reporter_id == world.dispatcher.pk
    assert case.reporter_name == "" and case.reporter_contact == ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name_encrypted, phone_encrypted, phone_hash FROM {CaseCaller._meta.db_table} "
            "WHERE case_id = %s",
            [case.pk],
        )
        name_raw, phone_raw, hash_raw = cursor.fetchone()
    for raw in (name_raw, phone_raw, hash_raw):
        assert PHONE not in raw and "王" not in raw
    assert pii.decrypt(name_raw) == "王小明" and pii.decrypt(phone_raw) == PHONE
    assert hash_raw == hotline.caller_phone_hash(PHONE)
    # Nothing else the case wrote (its chain) holds the number either.
    assert all(PHONE not in str(event.data) + event.note for event in case.events.all())


def test_the_name_is_optional(world):
    case = take_call(world, name="")
    assert hotline.caller_for(case, world.dispatcher)["name"] == ""


@pytest.mark.parametrize("persona", ["gridadmin", "staff", "supervisor", "resident", "outsider"])
def test_only_a_dispatcher_takes_hotline_calls(world, persona):
    with pytest.raises(NotAllowed) as refused:
        take_call(world, actor=getattr(world, persona))
    assert "only a dispatcher" in refused.value.message
    assert not Case.objects.exists() and not CaseCaller.objects.exists()


@pytest.mark.parametrize(
    ("name", "phone", "field"),
    [
        ("王" * 51, PHONE, "caller_name"),
        ("王\x07明", PHONE, "caller_name"),
        ("王小明", "12345", "caller_phone"),
        ("王小明", "", "caller_phone"),
    ],
)
def test_a_bad_caller_is_refused_at_its_field_and_nothing_is_filed(world, name, phone, field):
    with pytest.raises(InvalidInput) as refused:
        take_call(world, name=name, phone=phone)
    assert refused.value.field == field
    assert not Case.objects.exists()


def test_a_refused_report_leaves_no_caller_behind(world):
    with pytest.raises(InvalidInput) as refused:
        take_call(world, lat=10.0, lng=10.0)  # outside every grid
    assert refused.value.field == "location"
    assert not CaseCaller.objects.exists()


def test_the_case_and_its_caller_are_written_together_or_not_at_all(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(CaseCaller.objects, "create", broken)
    with pytest.raises(RuntimeError):
        take_call(world)
    assert not Case.objects.exists()


def test_the_priority_heard_in_the_call_is_kept(world):
    assert take_call(world, priority=Case.Priority.URGENT).priority == Case.Priority.URGENT


# --- masked for staff, revealed for dispatchers -----------------------------------------------------------


@pytest.mark.parametrize("persona", ["dispatcher", "supervisor", "gridadmin", "staff"])
def test_staff_who_see_the_case_see_the_caller_masked(world, persona):
    case = drive(world, S.DISPATCHED, case=take_call(world, name="王小明", phone="138-0013-8000"))
    caller = hotline.caller_for(case, getattr(world, persona))
    assert caller["name"] == "王**" and caller["phone"] == "138****8000"
    assert caller["callback_result"] == ""


@pytest.mark.parametrize("persona", ["resident", "outsider", "other_gridadmin", "other_staff"])
def test_others_never_see_the_caller(world, persona):
    case = drive(world, S.DISPATCHED, case=take_call(world))
    with pytest.raises(NotAllowed):
        hotline.caller_for(case, getattr(world, persona))


def test_a_case_without_a_caller_has_none(world):
    case = drive(world, S.FILED)
    assert hotline.caller_for(case, world.dispatcher) is None


def test_a_dispatcher_reveals_the_caller_with_a_reason_that_joins_the_chain(world):
    case = take_call(world, name="王小明", phone="(0791) 8612-3456")
    version, seq = case.version, case.audit_seq
    revealed = hotline.caller_reveal(case=case, actor=world.dispatcher, reason="  回访前核实  ")
    assert revealed == {"name": "王小明", "phone": "079186123456", "phone_display": "0791-86123456"}
    case.refresh_from_db()
    assert case.version == version, "a look-up changes nothing anyone's open form relies on"
    assert case.audit_seq == seq + 1
    event = case.events.get(seq=case.audit_seq)
    assert event.action == "caller_revealed" and event.from_state == event.to_state == S.REPORTED
    assert event.actor == world.dispatcher and event.actor_role == "dispatcher"
    assert event.data == {"reason": "回访前核实"}
    events = list(case.events.order_by("seq"))
    assert chain_verify(case.number, events, head=(case.audit_seq, case.audit_head)) is None


def test_the_chain_goes_on_after_a_reveal(world):
    case = take_call(world)
    hotline.caller_reveal(case=case, actor=world.dispatcher, reason="核实地址")
    case = services.case_file(case=case, actor=world.dispatcher)
    hotline.caller_reveal(case=case, actor=world.dispatcher, reason="再次核实")
    case.refresh_from_db()
    events = list(case.events.order_by("seq"))
    assert [e.action for e in events][-3:] == ["caller_revealed", "file", "caller_revealed"]
    assert chain_verify(case.number, events, head=(case.audit_seq, case.audit_head)) is None


@pytest.mark.parametrize("persona", ["supervisor", "gridadmin", "staff", "resident"])
def test_only_a_dispatcher_may_reveal(world, persona):
    case = drive(world, S.DISPATCHED, case=take_call(world))
    seq = case.audit_seq
    with pytest.raises(NotAllowed):
        hotline.caller_reveal(case=case, actor=getattr(world, persona), reason="想看看")
    case.refresh_from_db()
    assert case.audit_seq == seq


@pytest.mark.parametrize("reason", ["", "   ", "原因\x00", "长" * 501])
def test_a_reveal_needs_a_reason(world, reason):
    case = take_call(world)
    with pytest.raises(InvalidInput) as refused:
        hotline.caller_reveal(case=case, actor=world.dispatcher, reason=reason)
    assert refused.value.field == "reason"
    assert not case.events.filter(action="caller_revealed").exists()


def test_a_case_without_a_caller_has_nothing_to_reveal(world):
    case = drive(world, S.FILED)
    with pytest.raises(InvalidInput):
        hotline.caller_reveal(case=case, actor=world.dispatcher, reason="回访")


# --- repeat callers ---------------------------------------------------------------------------------------


def test_earlier_calls_are_found_by_the_number_however_it_was_typed(world):
    first = take_call(world, phone="138 0013 8000")
    second = take_call(world, phone="+86 13800138000")
    take_call(world, phone="13900139000")
    count, latest = hotline.caller_history(actor=world.dispatcher, phone="138-0013-8000")
    assert count == 2 and {c.pk for c in latest} == {first.pk, second.pk}
    assert hotline.caller_history(actor=world.dispatcher, phone="13700137000") == (0, [])


def test_the_history_shows_the_latest_few_and_counts_them_all(world):
    for _ in range(hotline.REPEAT_CASES_SHOWN + 2):
        take_call(world)
    count, latest = hotline.caller_history(actor=world.dispatcher, phone=PHONE)
    assert count == hotline.REPEAT_CASES_SHOWN + 2 and len(latest) == hotline.REPEAT_CASES_SHOWN


def test_only_a_dispatcher_looks_up_earlier_calls(world):
    with pytest.raises(NotAllowed):
        hotline.caller_history(actor=world.supervisor, phone=PHONE)


# --- call backs -------------------------------------------------------------------------------------------


def test_a_closed_call_waits_for_its_call_back_until_one_is_recorded(world):
    waiting = closed_call(world)
    assert list(hotline.hotline_callbacks_due(world.dispatcher)) == [waiting]
    services.case_callback(case=waiting, actor=world.dispatcher, result="unreachable")
    assert not hotline.hotline_callbacks_due(world.dispatcher).exists()
    # Another try later: the latest counts, both are in the chain.
    services.case_callback(case=waiting, actor=world.dispatcher, result="satisfied", note="已解决")
    caller = hotline.caller_for(waiting, world.supervisor)
    assert caller["callback_result"] == "satisfied" and caller["callback_note"] == "已解决"
    assert caller["callback_by"] == world.dispatcher
    waiting.refresh_from_db()
    events = list(waiting.events.order_by("seq"))
    assert [e.data for e in events if e.action == "callback"] == [
        {"result": "unreachable"},
        {"result": "satisfied"},
    ]
    assert chain_verify(waiting.number, events, head=(waiting.audit_seq, waiting.audit_head)) is None


def test_the_call_backs_due_are_closed_hotline_cases_oldest_closed_first(world):
    newer = closed_call(world)
    older = closed_call(world)
    # Closed a day before the other, though filed after it: the list goes by the wait since closing.
    Case.objects.filter(pk=older.pk).update(closed_at=newer.closed_at - dt.timedelta(days=1))
    take_call(world)  # still open
    drive(world, S.CLOSED)  # closed, but not a hotline call
    assert list(hotline.hotline_callbacks_due(world.dispatcher)) == [older, newer]
    assert not hotline.hotline_callbacks_due(world.supervisor).exists()


def test_a_call_back_is_refused_on_an_open_case(world):
    case = drive(world, S.RESOLVED, case=take_call(world))
    with pytest.raises(InvalidTransition):
        services.case_callback(case=case, actor=world.dispatcher, result="satisfied")


@pytest.mark.parametrize("persona", ["supervisor", "gridadmin", "staff"])
def test_a_call_back_is_the_dispatchers(world, persona):
    case = closed_call(world)
    with pytest.raises(NotAllowed):
        services.case_callback(case=case, actor=getattr(world, persona), result="satisfied")
    assert CaseCaller.objects.get(case=case).callback_result == ""


# --- the demo's hotline -----------------------------------------------------------------------------------


@pytest.mark.demo
def test_the_demos_calls_have_encrypted_callers_and_most_closed_ones_are_called_back(world):
    import random

    from demo.hotline import demo_callbacks_seed, demo_callers, demo_hotline_report
    from gridmgmt import clock

    rng = random.Random(1)
    callers = demo_callers(rng)
    assert all(hotline.caller_phone_normalise(phone) for _, phone in callers)
    lat, lng = centre(world.g1)
    with tasking.suppressed():
        cases = [
            demo_hotline_report(
                rng,
                callers,
                actor=world.dispatcher,
                lat=lat,
                lng=lng,
                category=world.cats.waste,
                description="积水",
            )
            for _ in range(6)
        ]
    assert all(c.source == Case.Source.HOTLINE and c.reporter_contact == "" for c in cases)
    assert all(
        c.phone_encrypted and not c.phone_encrypted.startswith("1380000") for c in CaseCaller.objects.all()
    )
    for case in cases:
        drive(world, S.CLOSED, case=case)
    called = demo_callbacks_seed(rng=rng, now=clock.now() + dt.timedelta(days=3), dispatcher=world.dispatcher)
    assert 0 < called <= 6
    assert CaseCaller.objects.exclude(callback_result="").count() == called
    for case in Case.objects.all():
        events = list(case.events.order_by("seq"))
        assert chain_verify(case.number, events) is None
