"""The REST API under the evidence rules: resolve/verify take photos, the device position and the photo time
(multipart), a refusal names its field, a dispatcher closes at the desk (verify-desk/) or delegates
(delegate-verification/, by username), and the case detail lists each step's proof for staff only."""

from cases import services
from cases.models import CaseEvent, CaseState, EvidenceRule
from cases.workflow import Action

from ..cases.helpers import drive, on_site, report
from ..cases.helpers import png_upload as png_file
from .conftest import png_upload

S = CaseState


def _post(client, case, segment: str, data: dict, *, multipart: bool = True):
    url = f"/api/v1/cases/{case.number}/{segment}/"
    return client.post(url, data, format="multipart" if multipart else "json")


def _where(case, metres_north: float = 0.0, accuracy: float = 8.0) -> dict:
    position = on_site(case, metres_north=metres_north, accuracy=accuracy)
    return {"lat": position.lat, "lng": position.lng, "accuracy": accuracy}


def _error(response) -> dict:
    return response.json()["error"]


def test_resolve_is_refused_without_a_photo_naming_photos(api, world):
    case = drive(world, S.IN_PROGRESS)
    response = _post(api(world.staff), case, "resolve", {"notes": "已清运"})
    assert response.status_code == 400
    assert _error(response)["field"] == "photos" and "at least 1 photo" in _error(response)["message"]
    accepted = _post(api(world.staff), case, "resolve", {"notes": "已清运", "photos": [png_upload()]})
    assert accepted.status_code == 200 and accepted.json()["state"] == S.RESOLVED


def test_verify_pass_is_refused_without_a_position_and_far_away(api, world):
    case = drive(world, S.RESOLVED)
    client = api(world.gridadmin)
    missing = _post(client, case, "verify-pass", {"photos": [png_upload()]})
    assert missing.status_code == 400 and _error(missing)["field"] == "position"
    far = _post(client, case, "verify-pass", {"photos": [png_upload()], **_where(case, 300)})
    assert far.status_code == 400 and _error(far)["field"] == "position"
    assert "300 m from the case" in _error(far)["message"]
    near = _post(client, case, "verify-pass", {"photos": [png_upload()], **_where(case, 40)})
    assert near.status_code == 200 and near.json()["state"] == S.CLOSED


def test_a_half_given_position_or_a_bad_time_is_refused_naming_the_field(api, world):
    case = drive(world, S.RESOLVED)
    client = api(world.gridadmin)
    half = _post(client, case, "verify-pass", {"photos": [png_upload()], "lat": 28.68})
    assert half.status_code == 400 and _error(half)["field"] == "position"
    late = _post(
        client, case, "verify-pass", {"photos": [png_upload()], **_where(case), "taken_at": "yesterday"}
    )
    assert late.status_code == 400 and _error(late)["field"] == "taken_at"


def test_the_photo_time_is_recorded_and_flagged_when_stale(api, world):
    case = drive(world, S.RESOLVED)
    data = {"photos": [png_upload()], **_where(case), "taken_at": "2023-11-14T22:13:20+00:00"}
    assert _post(api(world.gridadmin), case, "verify-pass", data).status_code == 200
    evidence = CaseEvent.objects.get(case=case, action=Action.VERIFY_PASS).data["evidence"]
    assert evidence["device_taken_at"].startswith("2023-11-14") and "photo_stale" in evidence["flags"]


def test_a_rule_without_photos_or_position_accepts_a_bare_verification(api, world):
    EvidenceRule.objects.create(
        category=world.cats.waste, step=EvidenceRule.Step.VERIFY, min_photos=0, position="none"
    )
    case = drive(world, S.RESOLVED)
    response = _post(api(world.gridadmin), case, "verify-pass", {"note": "已核实"}, multipart=False)
    assert response.status_code == 200 and response.json()["state"] == S.CLOSED


def test_a_dispatcher_closes_at_the_desk_with_a_reason_not_with_pass(api, world):
    case = drive(world, S.RESOLVED)
    client = api(world.dispatcher)
    assert _post(client, case, "verify-pass", {"photos": [png_upload()], **_where(case)}).status_code == 403
    refused = _post(client, case, "verify-desk", {"reason": ""}, multipart=False)
    assert refused.status_code == 400 and _error(refused)["field"] == "reason"
    closed = _post(client, case, "verify-desk", {"reason": "来电人确认"}, multipart=False)
    assert closed.status_code == 200 and closed.json()["state"] == S.CLOSED
    desk = [step for step in closed.json()["evidence"] if step["action"] == Action.VERIFY_DESK]
    assert desk and desk[0]["desk"] is True


def test_only_a_dispatcher_closes_at_the_desk(api, world):
    case = drive(world, S.RESOLVED)
    response = _post(api(world.gridadmin), case, "verify-desk", {"reason": "x"}, multipart=False)
    assert response.status_code == 403


def test_a_delegation_names_an_active_grid_administrator_by_username(api, world):
    case = drive(world, S.RESOLVED)
    client = api(world.dispatcher)
    wrong = _post(
        client, case, "delegate-verification", {"delegate": "staff", "reason": "休假"}, multipart=False
    )
    assert wrong.status_code == 400 and _error(wrong)["field"] == "delegate"
    data = {"delegate": world.other_gridadmin.username, "reason": "本网格网格员休假"}
    done = _post(client, case, "delegate-verification", data, multipart=False)
    assert done.status_code == 200, done.json()
    case.refresh_from_db()
    closed = services.case_verify_pass(
        case=case, actor=world.other_gridadmin, photos=[png_file()], position=on_site(case)
    )
    body = api(world.dispatcher).get(f"/api/v1/cases/{closed.number}/").json()
    verified = [step for step in body["evidence"] if step["action"] == Action.VERIFY_PASS][0]
    assert verified["delegated"] is True and verified["delegation_reason"] == "本网格网格员休假"
    assert verified["evidence"]["on_site"] is True and verified["evidence"]["position"]["accuracy"] == 8.0


def test_residents_read_no_proof_in_the_detail_or_the_timeline(api, world):
    case = drive(world, S.CLOSED, report(world, actor=world.resident, source="resident"))
    client = api(world.resident)
    assert client.get(f"/api/v1/cases/{case.number}/").json()["evidence"] == []
    events = client.get(f"/api/v1/cases/{case.number}/events/").json()["events"]
    assert all("evidence" not in event["data"] for event in events)
    staff_events = api(world.dispatcher).get(f"/api/v1/cases/{case.number}/events/").json()["events"]
    assert any("evidence" in event["data"] for event in staff_events)


def test_the_detail_offers_the_new_actions_with_their_paths(api, world):
    case = drive(world, S.RESOLVED)
    actions = {
        a["action"]: a["path"]
        for a in api(world.dispatcher).get(f"/api/v1/cases/{case.number}/").json()["actions"]
    }
    assert actions[Action.VERIFY_DESK] == f"/api/v1/cases/{case.number}/verify-desk/"
    assert actions[Action.DELEGATE_VERIFICATION] == f"/api/v1/cases/{case.number}/delegate-verification/"
    assert Action.VERIFY_PASS not in actions
