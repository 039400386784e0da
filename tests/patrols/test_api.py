"""The patrol API (the contract in DESIGN.md): start, points by batch, end, read, list, review, errors."""

import datetime as dt

import pytest
from django.utils import timezone

from patrols import services
from patrols.models import Patrol, PatrolPoint
from tests.factories import centre

from .factories import walk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _compute_inline(monkeypatch):
    """What the worker does after the end, at once (the task's own tests run it through Celery)."""
    from gridmgmt import tasking

    def run(task, *args):
        if isinstance(task, str):
            task = tasking.task_named(task)
        task.apply(args=args)
        return True

    monkeypatch.setattr(tasking, "enqueue", run)


def track(world, minutes_ago: float = 30) -> list[dict]:
    lat, lng = centre(world.g1)
    start = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return walk([(lat, lng - 0.003), (lat, lng + 0.003), (lat + 0.003, lng + 0.003)], start=start)


def test_a_patrol_through_the_api_start_points_end_read(world, api, django_capture_on_commit_callbacks):
    client = api(world.gridadmin)
    started = client.post("/api/v1/patrols/")
    assert started.status_code == 201 and started["Location"].endswith(
        f"/api/v1/patrols/{started.json()['id']}/"
    )
    pid = started.json()["id"]
    Patrol.objects.filter(pk=pid).update(started_at=timezone.now() - dt.timedelta(minutes=31))
    points = track(world)
    for i in range(0, len(points), 100):
        sent = client.post(
            f"/api/v1/patrols/{pid}/points/", {"batch": f"k{i}", "points": points[i : i + 100]}
        )
        assert sent.status_code == 201, sent.json()
        assert sent.json()["added"] == len(points[i : i + 100])
    again = client.post(f"/api/v1/patrols/{pid}/points/", {"batch": "k0", "points": points[:100]})
    assert again.status_code == 200 and again.json() == {
        "batch": "k0",
        "added": 0,
        "point_count": len(points),
    }
    with django_capture_on_commit_callbacks(execute=True):
        ended = client.post(f"/api/v1/patrols/{pid}/end/")
    assert ended.status_code == 200
    body = client.get(f"/api/v1/patrols/{pid}/").json()
    assert body["point_count"] == len(points) == PatrolPoint.objects.filter(patrol_id=pid).count()
    assert body["state"] == "computed" and body["review"] in ("clean", "pending")
    assert isinstance(body["flags"], list) and all("code" in f for f in body["flags"])
    assert body["coverage"][world.g1.code] > 0.03
    assert body["coverage"][world.g2.code] == 0.0
    g1 = next(g for g in body["grids"] if g["grid"] == world.g1.code)
    assert g1["name"] == world.g1.name and g1["minutes"] > 10


def test_a_second_start_answers_200_with_the_running_patrol(world, api):
    client = api(world.gridadmin)
    first = client.post("/api/v1/patrols/").json()["id"]
    second = client.post("/api/v1/patrols/")
    assert second.status_code == 200 and second.json()["id"] == first


def test_flags_come_with_code_count_and_message(world, api, django_capture_on_commit_callbacks):
    client = api(world.gridadmin)
    pid = client.post("/api/v1/patrols/").json()["id"]
    Patrol.objects.filter(pk=pid).update(started_at=timezone.now() - dt.timedelta(minutes=31))
    points = track(world)
    for p in points[5:15]:
        p["accuracy"] = 500
    client.post(f"/api/v1/patrols/{pid}/points/", {"batch": "all", "points": points})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/patrols/{pid}/end/")
    flags = client.get(f"/api/v1/patrols/{pid}/").json()["flags"]
    accuracy = next(f for f in flags if f["code"] == "accuracy")
    assert accuracy["count"] == 10 and accuracy["message"] == "10 points less accurate than 100 m"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": []}, "batch"),
        ({"batch": "b", "points": []}, "points"),
        ({"batch": "b", "points": [{"lat": 28.6}]}, "points[0].lng"),
        (
            {"batch": "b", "points": [{"lat": 28.6, "lng": 115.9, "accuracy": 5, "recorded_at": "x"}]},
            "points[0].recorded_at",
        ),
        ([1, 2], "batch"),
    ],
)
def test_bad_batches_get_a_400_naming_the_field(world, api, body, field):
    client = api(world.gridadmin)
    pid = client.post("/api/v1/patrols/").json()["id"]
    answer = client.post(f"/api/v1/patrols/{pid}/points/", body, format="json")
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == field


def test_another_administrator_cannot_see_or_feed_a_patrol(world, api):
    pid = api(world.gridadmin).post("/api/v1/patrols/").json()["id"]
    other = api(world.other_gridadmin)
    assert other.get(f"/api/v1/patrols/{pid}/").status_code == 404
    sent = other.post(f"/api/v1/patrols/{pid}/points/", {"batch": "x", "points": track(world)[:3]})
    assert sent.status_code == 404
    assert other.post(f"/api/v1/patrols/{pid}/end/").status_code == 404
    assert PatrolPoint.objects.count() == 0


def test_a_supervisor_reads_but_cannot_feed_a_patrol(world, api):
    pid = api(world.gridadmin).post("/api/v1/patrols/").json()["id"]
    supervisor = api(world.supervisor)
    assert supervisor.get(f"/api/v1/patrols/{pid}/").status_code == 200
    sent = supervisor.post(f"/api/v1/patrols/{pid}/points/", {"batch": "x", "points": track(world)[:3]})
    assert sent.status_code == 403
    assert supervisor.post("/api/v1/patrols/").status_code == 403


@pytest.mark.parametrize("persona", ["staff", "resident", "outsider"])
def test_roles_without_patrols_get_403(world, api, persona):
    client = api(getattr(world, persona))
    assert client.get("/api/v1/patrols/").status_code == 403
    assert client.post("/api/v1/patrols/").status_code == 403


def test_anonymous_gets_401(api):
    assert api().get("/api/v1/patrols/").status_code == 401


@pytest.mark.parametrize("pid", ["abc", "0", "99999999999999999999", "１"])
def test_odd_ids_are_404(world, api, pid):
    assert api(world.supervisor).get(f"/api/v1/patrols/{pid}/").status_code == 404


def test_the_list_is_scoped_and_filters_by_review(world, api, django_assert_max_num_queries):
    mine = api(world.gridadmin).post("/api/v1/patrols/").json()["id"]
    theirs, _ = services.patrol_start(actor=world.other_gridadmin)
    own = api(world.gridadmin).get("/api/v1/patrols/").json()["results"]
    assert [p["id"] for p in own] == [mine]
    client = api(world.supervisor)
    with django_assert_max_num_queries(8):
        everyone = client.get("/api/v1/patrols/").json()["results"]
    assert {p["id"] for p in everyone} == {mine, theirs.pk}
    assert client.get("/api/v1/patrols/?review=pending").json()["results"] == []
    assert client.get("/api/v1/patrols/?review=bogus").status_code == 400


def test_a_supervisor_reviews_through_the_api(world, api, django_capture_on_commit_callbacks):
    lat, lng = centre(world.g3)
    start = timezone.now() - dt.timedelta(minutes=30)
    client = api(world.gridadmin)
    pid = client.post("/api/v1/patrols/").json()["id"]
    Patrol.objects.filter(pk=pid).update(started_at=start - dt.timedelta(minutes=1))
    client.post(
        f"/api/v1/patrols/{pid}/points/",
        {"batch": "b", "points": walk([(lat, lng - 0.003), (lat, lng + 0.003)], start=start)},
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/patrols/{pid}/end/")
    assert "outside" in client.get(f"/api/v1/patrols/{pid}/").json()["flag_codes"]
    supervisor = api(world.supervisor)
    assert (
        supervisor.post(f"/api/v1/patrols/{pid}/review/", {"decision": "maybe", "note": "x"}).status_code
        == 400
    )
    assert supervisor.post(f"/api/v1/patrols/{pid}/review/", {"decision": "accept"}).status_code == 400
    assert (
        client.post(f"/api/v1/patrols/{pid}/review/", {"decision": "accept", "note": "me"}).status_code == 403
    )
    done = supervisor.post(f"/api/v1/patrols/{pid}/review/", {"decision": "reject", "note": "Not his grid."})
    assert done.status_code == 200 and done.json()["review"] == "rejected"
    assert done.json()["reviewed_by"] == "supervisor"
    again = supervisor.post(f"/api/v1/patrols/{pid}/review/", {"decision": "accept", "note": "x"})
    assert again.status_code == 409


def test_the_patrol_api_is_in_the_schema(world, api):
    schema = api(world.supervisor).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for route in (
        "/api/v1/patrols/",
        "/api/v1/patrols/{id}/",
        "/api/v1/patrols/{id}/points/",
        "/api/v1/patrols/{id}/end/",
    ):
        assert route in schema["paths"]
