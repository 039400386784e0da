"""The patrol pages: a grid administrator's day, starting and recording, one patrol's figures and flags, the
supervisors' list and decision; who may open what (404 outside one's scope, 403 for roles without patrols)."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from gridmgmt.messages import Message
from patrols import services
from patrols.models import Patrol, PatrolEvent
from tests.factories import centre

from .factories import patrol_walked, walk


def client_for(user, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def square_walk(grid, *, minutes_ago: int = 40, speed_kmh: float = 4.5) -> list[dict]:
    lat, lng = centre(grid)
    start = timezone.now() - dt.timedelta(minutes=minutes_ago)
    d = 0.003
    return walk(
        [(lat - d, lng - d), (lat - d, lng + d), (lat + d, lng + d), (lat + d, lng - d)],
        start=start,
        speed_kmh=speed_kmh,
    )


def clean_patrol(world) -> Patrol:
    patrol = patrol_walked(world.gridadmin, square_walk(world.g1))
    assert patrol.review == Patrol.Review.CLEAN
    return patrol


def flagged_patrol(world) -> Patrol:
    # A car's pace: every segment faster than the limit on foot or by bike.
    patrol = patrol_walked(world.gridadmin, square_walk(world.g1, minutes_ago=20, speed_kmh=40))
    assert patrol.review == Patrol.Review.PENDING
    return patrol


# --- the administrator's day --------------------------------------------------------------------------------


def test_the_administrators_day_shows_their_grids_plan_progress_and_a_start_button(world, settings):
    settings.PATROL_PLAN_MINUTES_PER_DAY = 30
    clean_patrol(world)
    response = client_for(world.gridadmin, "en").get(reverse("patrols-today"))
    assert response.status_code == 200
    html = response.content.decode()
    assert world.g1.name in html and world.g2.name in html and world.g3.name not in html
    assert reverse("patrol-start") in html and "Start patrol" in html
    # The patrol spent most of its ~11 minutes in grid 1: progress against the 30-minute plan.
    g1_row = next(p for p in response.context["progress"] if p["grid"] == world.g1)
    assert 5 <= g1_row["done"] <= 30 and g1_row["planned"] == 30
    assert len(response.context["tracks"]) == 1  # today's track, drawn on the map
    assert 'id="patrol-tracks"' in html and 'data-patrol-map="today"' in html
    assert len(response.context["recent"]) == 1


def test_the_day_reads_each_grids_own_plan_and_counts_only_patrols_that_count(world, settings):
    from patrols.models import PatrolPlan

    settings.PATROL_PLAN_MINUTES_PER_DAY = 30
    PatrolPlan.objects.create(grid=world.g1, minutes_per_day=45, weekly_coverage=0.5)
    flagged_patrol(world)  # awaiting review: its minutes do not count yet
    response = client_for(world.gridadmin).get(reverse("patrols-today"))
    rows = {p["grid"].pk: p for p in response.context["progress"]}
    assert (rows[world.g1.pk]["planned"], rows[world.g2.pk]["planned"]) == (45, 30)
    assert rows[world.g1.pk]["done"] == 0
    assert response.context["plan_defaults"]  # grid 2 follows the default


def test_a_running_patrol_is_continued_not_started_again(world):
    patrol, _ = services.patrol_start(actor=world.gridadmin)
    response = client_for(world.gridadmin, "en").get(reverse("patrols-today"))
    assert "Continue patrol" in response.content.decode()
    assert reverse("patrol-record", args=[patrol.pk]) in response.content.decode()
    assert reverse("patrol-start") not in response.content.decode()


def test_start_opens_the_recording_page_and_a_second_start_keeps_the_same_patrol(world):
    client = client_for(world.gridadmin)
    first = client.post(reverse("patrol-start"))
    patrol = Patrol.objects.get(patroller=world.gridadmin)
    assert first.status_code == 302 and first.url == reverse("patrol-record", args=[patrol.pk])
    second = client.post(reverse("patrol-start"))
    assert second.url == first.url
    assert Patrol.objects.filter(patroller=world.gridadmin).count() == 1


def test_start_answers_only_a_post(world):
    assert client_for(world.gridadmin).get(reverse("patrol-start")).status_code == 405


def test_the_recording_page_posts_to_the_api_with_the_csrf_token_and_no_inline_script(world):
    patrol, _ = services.patrol_start(actor=world.gridadmin)
    response = client_for(world.gridadmin, "en").get(reverse("patrol-record", args=[patrol.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-points-url="/api/v1/patrols/{patrol.pk}/points/"' in html
    assert f'data-end-url="/api/v1/patrols/{patrol.pk}/end/"' in html
    token = re.search(r'data-csrf="([^"]+)"', html).group(1)
    assert len(token) >= 32
    assert "patrol_record.js" in html and "End patrol" in html
    # Scripts are files or JSON data only (the CSP allows no inline code).
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert all('type="application/json"' in attrs for attrs in inline), inline


def test_the_recording_page_of_an_ended_patrol_or_anothers_patrol_shows_the_patrol_instead(world):
    patrol = clean_patrol(world)
    response = client_for(world.gridadmin).get(reverse("patrol-record", args=[patrol.pk]))
    assert response.status_code == 302 and response.url == reverse("patrol-detail", args=[patrol.pk])
    running, _ = services.patrol_start(actor=world.gridadmin)
    response = client_for(world.supervisor).get(reverse("patrol-record", args=[running.pk]))
    assert response.status_code == 302 and response.url == reverse("patrol-detail", args=[running.pk])


# --- one patrol ---------------------------------------------------------------------------------------------


def test_the_patrol_page_shows_figures_coverage_per_grid_by_one_rounding_rule(world):
    patrol = clean_patrol(world)
    response = client_for(world.gridadmin, "en").get(reverse("patrol-detail", args=[patrol.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    share = patrol.coverage[str(world.g1.pk)]
    from gridmgmt.figures import percent_text

    assert percent_text(share) in html and world.g1.name in html
    assert "Nothing implausible was found" in html
    assert "No flags: the patrol counts in evaluation." in html
    assert 'id="patrol-tracks"' in html and '"MultiLineString"' in html
    assert "review_form" not in response.context or response.context["review_form"] is None


def test_flags_are_listed_in_the_pages_language_and_their_places_go_to_the_map(world):
    patrol = flagged_patrol(world)
    zh = client_for(world.gridadmin).get(reverse("patrol-detail", args=[patrol.pk]))
    html = zh.content.decode()
    speed = next(f for f in zh.context["flags"] if f["code"] == "speed")
    stored = next(f for f in patrol.flags if f["code"] == "speed")
    with translation.override("zh-hans"):  # the template and its parameters, in the page's language
        assert speed["message"] == str(Message(stored["message"], **stored["params"]))
    assert speed["message"] in html
    assert zh.context["flag_places"] and 'id="patrol-flags"' in html
    en = client_for(world.gridadmin, "en").get(reverse("patrol-detail", args=[patrol.pk]))
    assert "segments faster than 25 km/h" in en.content.decode()


def test_a_patrol_whose_figures_are_pending_reloads_itself(world):
    patrol, _ = services.patrol_start(actor=world.gridadmin)
    services.patrol_end(patrol=patrol, actor=world.gridadmin)  # no worker here: the figures stay pending
    assert Patrol.objects.get(pk=patrol.pk).state == Patrol.State.ENDED
    html = client_for(world.gridadmin).get(reverse("patrol-detail", args=[patrol.pk])).content.decode()
    assert '<meta http-equiv="refresh"' in html
    computed = clean_patrol_other_day(world)
    html = client_for(world.gridadmin).get(reverse("patrol-detail", args=[computed.pk])).content.decode()
    assert '<meta http-equiv="refresh"' not in html


def clean_patrol_other_day(world) -> Patrol:
    return patrol_walked(world.gridadmin, square_walk(world.g2, minutes_ago=60 * 26))


def test_cases_reported_during_the_patrol_link_to_their_pages(world):
    from cases.models import Case

    from ..cases.helpers import report

    patrol, _ = services.patrol_start(actor=world.gridadmin, at=timezone.now() - dt.timedelta(minutes=5))
    case = report(world, grid=world.g1)
    services.patrol_case_link(case.pk)
    assert Case.objects.get(pk=case.pk).patrol_link.patrol_id == patrol.pk
    html = client_for(world.gridadmin).get(reverse("patrol-detail", args=[patrol.pk])).content.decode()
    assert reverse("case-detail", args=[case.pk]) in html and case.number in html


# --- who may open what --------------------------------------------------------------------------------------


def test_another_administrators_patrol_is_not_found(world):
    patrol = clean_patrol(world)
    client = client_for(world.other_gridadmin)
    for name in ("patrol-detail", "patrol-record"):
        assert client.get(reverse(name, args=[patrol.pk])).status_code == 404
    assert client.post(reverse("patrol-review", args=[patrol.pk]), {"decision": "accept"}).status_code == 404
    # Their own page lists none of it.
    assert patrol.pk not in [r["patrol"].pk for r in client.get(reverse("patrols-today")).context["recent"]]


@pytest.mark.parametrize("persona", ["staff", "resident", "outsider"])
def test_roles_without_patrols_are_refused(world, persona):
    patrol = clean_patrol(world)
    client = client_for(getattr(world, persona))
    assert client.get(reverse("patrols-today")).status_code == 403
    assert client.get(reverse("patrol-detail", args=[patrol.pk])).status_code == 403
    assert client.get(reverse("patrol-record", args=[patrol.pk])).status_code == 403
    assert client.post(reverse("patrol-start")).status_code == 403
    assert not Patrol.objects.filter(patroller=getattr(world, persona)).exists()


def test_anonymous_visitors_are_sent_to_the_login_page(world):
    response = Client().get(reverse("patrols-today"))
    assert response.status_code == 302 and response.url.startswith("/login/?next=")


# --- the supervisors' list and decision ---------------------------------------------------------------------


def test_supervisors_see_every_patrol_awaiting_review_first(world):
    flagged = flagged_patrol(world)
    clean = clean_patrol_other_day(world)
    newest = patrol_walked(world.other_gridadmin, square_walk(world.g3, minutes_ago=5))
    response = client_for(world.supervisor).get(reverse("patrols-today"))
    assert response.status_code == 200
    order = [r["patrol"].pk for r in response.context["rows"]]
    assert order[0] == flagged.pk and set(order) == {flagged.pk, clean.pk, newest.pk}
    assert response.context["pending_count"] == 1
    only_clean = client_for(world.supervisor).get(reverse("patrols-today"), {"review": "clean"})
    assert {r["patrol"].pk for r in only_clean.context["rows"]} == {clean.pk, newest.pk}


def test_dispatchers_read_the_list_but_cannot_decide(world):
    patrol = flagged_patrol(world)
    client = client_for(world.dispatcher)
    assert client.get(reverse("patrols-today")).status_code == 200
    detail = client.get(reverse("patrol-detail", args=[patrol.pk]))
    assert detail.context["review_form"] is None
    response = client.post(reverse("patrol-review", args=[patrol.pk]), {"decision": "accept", "note": "ok"})
    assert response.status_code == 403
    assert Patrol.objects.get(pk=patrol.pk).review == Patrol.Review.PENDING


def test_the_list_costs_the_same_few_queries_for_many_patrols(world, django_assert_max_num_queries):
    for i in range(12):
        patrol_walked(world.gridadmin, square_walk(world.g1, minutes_ago=60 * 24 * (i + 2)))
    client = client_for(world.supervisor)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("patrols-today"))
    assert len(response.context["rows"]) == 12
    admin = client_for(world.gridadmin)
    with django_assert_max_num_queries(16):
        response = admin.get(reverse("patrols-today"))
    assert len(response.context["recent"]) == 10


def test_a_supervisor_accepts_a_flagged_patrol_with_a_note(world):
    patrol = flagged_patrol(world)
    client = client_for(world.supervisor)
    assert client.get(reverse("patrol-detail", args=[patrol.pk])).context["review_form"] is not None
    response = client.post(
        reverse("patrol-review", args=[patrol.pk]), {"decision": "accept", "note": "骑车巡查，已核实"}
    )
    assert response.status_code == 302 and response.url == reverse("patrol-detail", args=[patrol.pk])
    patrol.refresh_from_db()
    assert patrol.review == Patrol.Review.ACCEPTED and patrol.reviewed_by == world.supervisor
    assert patrol.events.filter(action=PatrolEvent.Action.REVIEW).count() == 1
    html = client.get(response.url).content.decode()
    assert "骑车巡查，已核实" in html and f'action="/patrols/{patrol.pk}/review/"' not in html


def test_a_decision_without_a_note_is_refused_and_keeps_what_was_chosen(world):
    patrol = flagged_patrol(world)
    response = client_for(world.supervisor).post(
        reverse("patrol-review", args=[patrol.pk]), {"decision": "reject", "note": "   "}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert list(response.context["review_form"].errors) == ["note"]
    assert re.search(r'value="reject"[^>]*checked', html)
    assert Patrol.objects.get(pk=patrol.pk).review == Patrol.Review.PENDING


def test_a_second_decision_is_refused_with_the_reason(world):
    patrol = flagged_patrol(world)
    services.patrol_review(patrol=patrol, actor=world.supervisor, accept=False, note="first")
    other = client_for(world.supervisor, "en")
    url = reverse("patrol-review", args=[patrol.pk])
    response = other.post(url, {"decision": "accept", "note": "second"})
    assert response.status_code == 409
    assert "only a flagged patrol awaiting review can be decided" in response.content.decode()
    assert Patrol.objects.get(pk=patrol.pk).review == Patrol.Review.REJECTED


def test_a_grid_administrator_cannot_decide_on_their_own_patrol(world):
    patrol = flagged_patrol(world)
    response = client_for(world.gridadmin).post(
        reverse("patrol-review", args=[patrol.pk]), {"decision": "accept", "note": "mine"}
    )
    assert response.status_code == 403
    assert Patrol.objects.get(pk=patrol.pk).review == Patrol.Review.PENDING
