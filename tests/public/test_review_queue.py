"""The dispatch center's queue of dissatisfied ratings: the oldest first, dispatchers only; reopening the
case for rework (counted) or keeping it closed with a reason, both in the case's chain and on the rating;
refusals shown on the page in words, never a 500."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case, CaseEvent, CaseState
from gridmgmt import tasking
from public import follow, ratings
from public.models import CaseRating, RatingInvitation

from ..cases.helpers import drive, report

QUEUE = reverse("rating-reviews")


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def rated(world, rating: str = "dissatisfied", comment: str = "垃圾还在", *, email: str = "r@example.com"):
    """A resident's case taken to closed and rated through its link."""
    with tasking.suppressed():
        case = report(world, actor=world.resident, source="resident", reporter_name="欧阳锋")
    case = drive(world, CaseState.CLOSED, case)
    reporter = follow.follower_add(case=case, kind="reporter", channel="email", address=email)
    ratings.rating_link_for(case, reporter)
    invitation = RatingInvitation.objects.get(case=case)
    return ratings.rating_record(invitation=invitation, rating=rating, comment=comment)


def decide(client, rating: CaseRating, decision: str = "reopen", reason: str = "居民反映仍未清理"):
    return client.post(
        reverse("rating-review-decide", kwargs={"rating_id": rating.pk}),
        {"decision": decision, "reason": reason},
    )


# --- the queue ----------------------------------------------------------------------------------------------


def test_the_queue_lists_waiting_dissatisfied_ratings_oldest_first(client, world):
    first = rated(world, comment="第一条")
    second = rated(world, comment="第二条")
    rated(world, "satisfied", "很好")
    kept = rated(world, comment="已处理过")
    ratings.rating_review_decide(rating=kept, actor=world.dispatcher, decision="keep", reason="已核实")
    client.force_login(world.dispatcher)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert [row.pk for row in response.context["rows"]] == [first.pk, second.pk]
    html = response.content.decode()
    assert html.index("第一条") < html.index("第二条") and "很好" not in html and "已处理过" not in html
    assert reverse("case-detail", kwargs={"pk": first.case.pk}) in html and first.case.number in html
    assert world.sanitation.name in html


def test_the_queue_costs_the_same_queries_for_few_and_many(client, world, django_assert_max_num_queries):
    rated(world)
    client.force_login(world.dispatcher)
    client.get(QUEUE)  # warm the per-process caches (categories, calendars)
    with django_assert_max_num_queries(12) as few:
        client.get(QUEUE)
    for n in range(4):
        rated(world, email=f"r{n}@example.com")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(QUEUE)
    assert len(response.context["rows"]) == 5


def test_the_selector_reads_a_page_in_one_query(world, django_assert_num_queries):
    for n in range(3):
        rated(world, email=f"r{n}@example.com")
    with django_assert_num_queries(1):
        rows = list(ratings.ratings_pending_review())
        names = [(r.case.category.parent.name, r.case.department.name) for r in rows]
    assert len(names) == 3


@pytest.mark.parametrize("persona", ["gridadmin", "staff", "supervisor", "resident", "outsider"])
def test_only_the_dispatch_center_sees_the_queue(client, world, persona):
    rating = rated(world)
    client.force_login(getattr(world, persona))
    assert client.get(QUEUE).status_code == 403
    assert decide(client, rating).status_code == 403
    assert CaseRating.objects.get().review == CaseRating.Review.PENDING


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    rating = rated(world)
    for response in (client.get(QUEUE), decide(client, rating)):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_dispatch_queue_links_to_the_reviews_with_their_count(client, world):
    rated(world)
    rated(world, email="two@example.com")
    client.force_login(world.dispatcher)
    html = client.get(reverse("dispatch-queue")).content.decode()
    assert f'href="{QUEUE}"' in html and '<span class="count" id="count-rating-reviews">2</span>' in html


# --- decisions ----------------------------------------------------------------------------------------------


def test_reopen_sends_the_case_back_for_rework(client, world):
    rating = rated(world)
    client.force_login(world.dispatcher)
    response = decide(client, rating, "reopen", "居民反映仍未清理")
    assert response.status_code == 302 and response["Location"] == QUEUE
    case = Case.objects.get(pk=rating.case_id)
    assert case.state == CaseState.DISPATCHED and case.rework_count == 1 and case.closed_at is None
    rating.refresh_from_db()
    assert (rating.review, rating.reviewed_by, rating.review_reason) == (
        "reopened",
        world.dispatcher,
        "居民反映仍未清理",
    )
    assert rating.reviewed_at is not None
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.action, event.note, event.actor) == ("reopen", "居民反映仍未清理", world.dispatcher)
    assert "reopened" in client.get(QUEUE).content.decode()  # the message says what happened


def test_keep_leaves_the_case_closed_with_its_reason(client, world):
    rating = rated(world)
    client.force_login(world.dispatcher)
    assert decide(client, rating, "keep", "已现场核实，问题已解决").status_code == 302
    case = Case.objects.get(pk=rating.case_id)
    assert case.state == CaseState.CLOSED and case.rework_count == 0
    rating.refresh_from_db()
    assert (rating.review, rating.review_reason) == ("kept", "已现场核实，问题已解决")
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.action, event.note) == ("review_keep", "已现场核实，问题已解决")


@pytest.mark.parametrize(
    ("decision", "reason", "field"),
    [
        ("reopen", "", "reason"),
        ("reopen", "   ", "reason"),
        ("", "理由", "decision"),
        ("delete", "理由", "decision"),
        ("keep", "长" * 5000, "reason"),
    ],
)
def test_a_refused_decision_shows_why_and_keeps_what_was_typed(client, world, decision, reason, field):
    rating = rated(world)
    client.force_login(world.dispatcher)
    response = decide(client, rating, decision, reason)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and f'id="rv-{rating.pk}-{field}-error"' in html
    if field == "reason" and reason.strip() and len(reason) < 100:
        assert reason in html
    rating.refresh_from_db()
    assert rating.review == CaseRating.Review.PENDING and rating.reviewed_by is None
    assert Case.objects.get(pk=rating.case_id).state == CaseState.CLOSED


@pytest.mark.parametrize("reason", ["坏\x01字", "坏\x00字"])
def test_control_characters_are_refused_never_500(client, world, reason):
    rating = rated(world)
    client.force_login(world.dispatcher)
    assert decide(client, rating, "keep", reason).status_code == 400  # the middleware or the service
    rating.refresh_from_db()
    assert rating.review == CaseRating.Review.PENDING


def test_a_second_decision_is_refused_on_the_page(client, world):
    rating = rated(world)
    client.force_login(world.dispatcher)
    decide(client, rating, "keep", "已核实")
    response = decide(client, rating, "reopen", "再看看")
    assert response.status_code == 409
    assert "already reviewed" in response.content.decode()
    assert Case.objects.get(pk=rating.case_id).state == CaseState.CLOSED


def test_a_case_reopened_from_its_page_settles_its_waiting_rating(
    client, world, django_capture_on_commit_callbacks
):
    rating = rated(world)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_reopen(case=rating.case, actor=world.dispatcher, reason="案件页返工")
    rating.refresh_from_db()
    assert (rating.review, rating.review_reason) == ("reopened", "案件页返工")
    client.force_login(world.dispatcher)
    assert list(client.get(QUEUE).context["rows"]) == []


def test_a_superuser_without_the_dispatcher_role_sees_the_queue_but_the_case_refuses_them(
    client, world, django_user_model
):
    rating = rated(world)
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(root)
    assert client.get(QUEUE).status_code == 200
    response = decide(client, rating)
    assert response.status_code == 403 and 'role="alert"' in response.content.decode()
    rating.refresh_from_db()
    assert rating.review == CaseRating.Review.PENDING  # the claim was rolled back with the refusal


def test_an_unknown_rating_is_not_found(client, world):
    client.force_login(world.dispatcher)
    response = client.post(
        reverse("rating-review-decide", kwargs={"rating_id": 999999}), {"decision": "keep"}
    )
    assert response.status_code == 404


def test_the_queue_page_answers_a_wrong_page_number(client, world):
    rated(world)
    client.force_login(world.dispatcher)
    for page in ("x", "-1", "99999", "\u4e2d"):
        assert client.get(QUEUE, {"page": page}).status_code == 200
