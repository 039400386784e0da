"""The reporter's rating of a closed case (回访) through a signed link, no login: one answer per link, for a
while; tampered, expired, reused and spent links are refused in words, never with a 500; the page shows no
one's identity; the answer is in the case's chain, and a dissatisfied one waits for review."""

import datetime as dt
import re
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse

from cases import services
from cases.models import Case, CaseEvent, CaseState
from gridmgmt import clock, tasking
from notifications.models import Notification
from public import follow, ratings
from public.models import CaseRating, Follower, NoticeRule, RatingInvitation, ThrottleHit

from ..cases.helpers import drive, evidence, report
from .helpers import guard_fields

REPORTER_EMAIL = "ouyang.feng@example.com"
REPORTER_NAME = "欧阳锋"
REPORTER_PHONE = "13912345678"
ADDRESS = "中山路88号3单元502室"


@pytest.fixture
def client(client, settings):
    """A reader in English (the Chinese of these pages is compiled with the project's translations)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def closed(world) -> Case:
    """A resident's report, with their name, phone and address, taken to closed."""
    with tasking.suppressed():
        case = report(
            world,
            actor=world.resident,
            source="resident",
            description="楼下垃圾堆放",
            address=ADDRESS,
            reporter_name=REPORTER_NAME,
            reporter_contact=REPORTER_PHONE,
        )
    return drive(world, CaseState.CLOSED, case)


@pytest.fixture
def reporter(closed) -> Follower:
    return follow.follower_add(
        case=closed, kind=Follower.Kind.REPORTER, channel="email", address=REPORTER_EMAIL, language="zh-hans"
    )


@pytest.fixture
def link(closed, reporter) -> str:
    return ratings.rating_link_for(closed, reporter)


def answer(client, link: str, rating: str = "satisfied", comment: str = "", **extra):
    return client.post(link, {"rating": rating, "comment": comment, **guard_fields(), **extra})


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


# --- the link -----------------------------------------------------------------------------------------------


def test_the_reporter_of_a_closed_case_gets_a_signed_link(closed, reporter, link):
    invitation = RatingInvitation.objects.get(case=closed, follower=reporter)
    assert link == reverse("public-rate", kwargs={"token": token_of(link)})
    assert signing.TimestampSigner(salt="public.rating").unsign(token_of(link)) == invitation.nonce
    assert invitation.used_at is None and invitation.expires_at > clock.now()


def test_asking_again_gives_the_same_link_of_this_closing(closed, reporter, link):
    again = ratings.rating_link_for(closed, reporter)
    assert token_of(again).split(":")[0] == token_of(link).split(":")[0]
    assert RatingInvitation.objects.filter(case=closed).count() == 1


def test_only_the_reporter_of_a_closed_case_that_is_not_a_hotline_case_gets_one(world, closed):
    supporter = follow.follower_add(
        case=closed, kind=Follower.Kind.SUPPORTER, channel="email", address="a@b.cn"
    )
    assert ratings.rating_link_for(closed, supporter) == ""
    open_case = drive(world, CaseState.DISPATCHED)
    open_reporter = follow.follower_add(case=open_case, kind="reporter", channel="email", address="c@d.cn")
    assert ratings.rating_link_for(open_case, open_reporter) == ""
    Case.objects.filter(pk=closed.pk).update(source=Case.Source.HOTLINE)
    closed.refresh_from_db()
    hotline_reporter = follow.follower_add(case=closed, kind="reporter", channel="sms", address="13800000000")
    assert ratings.rating_link_for(closed, hotline_reporter) == ""
    assert not RatingInvitation.objects.exists()


# --- the page -----------------------------------------------------------------------------------------------


def test_the_page_shows_the_case_and_three_answers_and_no_identity(client, closed, link):
    response = client.get(link)
    assert response.status_code == 200
    html = response.content.decode()
    assert closed.number in html
    for value in ("satisfied", "basically_satisfied", "dissatisfied"):
        assert f'value="{value}"' in html
    assert 'name="website"' in html and 'data-pow="' in html  # the guard's fields
    for secret in (REPORTER_EMAIL, REPORTER_NAME, REPORTER_PHONE, ADDRESS, "已清运"):
        assert secret not in html
    assert response["Cache-Control"] == "no-store"
    # Not "no-referrer": a browser would send the form with `Origin: null`, and the CSRF check refuses it.
    assert response["Referrer-Policy"] == "same-origin"


def test_a_case_the_public_may_not_read_shows_no_text_of_the_report(client, closed, link):
    Case.objects.filter(pk=closed.pk).update(is_public=False)
    response = client.get(link)
    html = response.content.decode()
    assert response.status_code == 200 and closed.number in html and 'name="rating"' in html
    assert "楼下垃圾堆放" not in html  # the reporter's words stay private
    assert reverse("public-case", kwargs={"number": closed.number}) not in html


def test_a_valid_link_rates_once(client, closed, link):
    response = answer(client, link, "basically_satisfied", "处理得还行")
    assert response.status_code == 302 and response["Location"].endswith("?thanks=1")
    rating = CaseRating.objects.get(case=closed)
    assert (rating.rating, rating.comment, rating.review) == ("basically_satisfied", "处理得还行", "")
    assert rating.invitation.used_at is not None
    event = CaseEvent.objects.filter(case=closed).order_by("-seq").first()
    assert event.action == "rate" and event.data["rating"] == "basically_satisfied"
    assert event.actor is None and "处理得还行" not in str(event.data)  # the comment stays with the rating
    closed.refresh_from_db()
    assert closed.state == CaseState.CLOSED
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and "Basically satisfied" in thanks.content.decode()


def test_reuse_shows_the_earlier_answer_and_records_nothing(client, closed, link):
    answer(client, link, "dissatisfied", "没修好")
    events = CaseEvent.objects.filter(case=closed).count()
    again = answer(client, link, "satisfied")
    shown = client.get(link)
    for response in (again, shown):
        html = response.content.decode()
        assert response.status_code == 200
        assert "You rated this already" in html and "Dissatisfied" in html and 'name="rating"' not in html
        assert "没修好" not in html  # the answer, never the comment
    assert CaseRating.objects.filter(case=closed).count() == 1
    assert CaseEvent.objects.filter(case=closed).count() == events


def test_a_dissatisfied_answer_waits_for_review(client, closed, link):
    answer(client, link, "dissatisfied", "垃圾还在")
    assert CaseRating.objects.get(case=closed).review == CaseRating.Review.PENDING


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: "x" + t,  # value changed
        lambda t: t.split(":")[0],  # signature cut off
        lambda t: signing.TimestampSigner(salt="public.other").sign(t.split(":")[0]),  # another salt
        lambda t: "Z" * 500,
        lambda t: "%E4%B8%AD",
        lambda t: "..",
    ],
)
def test_a_tampered_link_is_refused_in_words(client, closed, link, mangle):
    url = reverse("public-rate", kwargs={"token": mangle(token_of(link))})
    for response in (client.get(url), answer(client, url)):
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
    assert not CaseRating.objects.exists()


def test_a_link_for_an_unknown_invitation_is_not_valid(client, closed):
    token = signing.TimestampSigner(salt="public.rating").sign("no-such-nonce")
    response = client.get(reverse("public-rate", kwargs={"token": token}))
    assert response.status_code == 404


def test_an_expired_signature_is_refused(client, closed, link, settings):
    later = clock.now().timestamp() + settings.PUBLIC_RATING_LINK_DAYS * 86400 + 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        responses = [client.get(link), answer(client, link)]
    for response in responses:
        assert response.status_code == 410
        html = response.content.decode()
        assert "This link has expired" in html and 'name="rating"' not in html
    assert not CaseRating.objects.exists()


def test_an_invitation_past_its_date_is_refused(client, closed, link):
    RatingInvitation.objects.update(expires_at=clock.now() - dt.timedelta(minutes=1))
    for response in (client.get(link), answer(client, link)):
        assert response.status_code == 410 and "This link has expired" in response.content.decode()
    assert not CaseRating.objects.exists()


def test_the_service_refuses_an_expired_invitation_too(closed, link):
    invitation = RatingInvitation.objects.get()
    RatingInvitation.objects.update(expires_at=clock.now() - dt.timedelta(minutes=1))
    with pytest.raises(Exception) as refused:
        ratings.rating_record(invitation=invitation, rating="satisfied")
    assert getattr(refused.value, "status", None) == 400
    assert RatingInvitation.objects.get().used_at is None and not CaseRating.objects.exists()


def test_a_case_reopened_since_spends_the_link(client, world, closed, link):
    services.case_reopen(case=closed, actor=world.dispatcher, reason="居民反映仍未处理")
    response = client.get(link)
    assert response.status_code == 410 and "The case was reopened" in response.content.decode()
    assert answer(client, link).status_code == 410
    assert not CaseRating.objects.exists()


def test_the_reopen_hook_expires_unanswered_links_and_settles_a_waiting_review(world, closed, reporter, link):
    other = follow.follower_add(case=closed, kind="reporter", channel="email", address="x@y.cn")
    ratings.rating_link_for(closed, other)
    ratings.rating_record(invitation=RatingInvitation.objects.get(follower=reporter), rating="dissatisfied")
    case = services.case_reopen(case=closed, actor=world.dispatcher, reason="从案件页返工")
    event = CaseEvent.objects.filter(case=closed, action="reopen").get()
    ratings.on_case_stepped((case.pk, "reopen", event.seq))
    assert RatingInvitation.objects.get(follower=other).expires_at <= clock.now()
    rating = CaseRating.objects.get()
    assert (rating.review, rating.reviewed_by, rating.review_reason) == (
        "reopened",
        world.dispatcher,
        "从案件页返工",
    )


# --- the guard ----------------------------------------------------------------------------------------------


def test_a_filled_honeypot_is_refused_and_keeps_what_was_typed(client, closed, link):
    response = answer(client, link, "satisfied", "很好", website="http://spam.example")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and "很好" in html and 'value="satisfied" required checked' in html
    assert not CaseRating.objects.exists()


def test_a_missing_or_wrong_proof_of_work_is_refused(client, closed, link):
    fields = guard_fields()
    for proof in ({}, {"pow_challenge": fields["pow_challenge"], "pow_nonce": "x"}):
        response = client.post(link, {"rating": "satisfied", "website": "", **proof})
        assert response.status_code == 400
    assert not CaseRating.objects.exists()


def test_a_spent_proof_is_refused(client, closed, link):
    fields = guard_fields()
    client.post(link, {"rating": "nonsense", **fields})
    response = client.post(link, {"rating": "satisfied", **fields})
    assert response.status_code == 400 and not CaseRating.objects.exists()


def test_the_rating_throttle_answers_429(client, closed, link, settings):
    settings.PUBLIC_THROTTLES = "rating=2/h"
    for _ in range(2):
        client.post(link, {"rating": "nonsense", **guard_fields()})
    response = answer(client, link)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert ThrottleHit.objects.filter(scope="rating").count() == 2
    assert not CaseRating.objects.exists()


# --- hostile input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"rating": ""},
        {"rating": "very_satisfied"},
        {"rating": "satisfied\x00"},
        {"rating": "satisfied", "comment": "坏\x00字"},
        {"rating": "satisfied", "comment": "长" * 5000},
    ],
)
def test_hostile_answers_are_refused_in_words_never_500(client, closed, link, data):
    response = client.post(link, {**guard_fields(), **data})
    assert response.status_code == 400  # a NUL is refused by the middleware before the view; the rest here
    assert not CaseRating.objects.exists() and RatingInvitation.objects.get().used_at is None


def test_a_refused_answer_says_why_at_its_field(client, closed, link):
    response = answer(client, link, "satisfied", "长" * 5000)
    html = response.content.decode()
    assert response.status_code == 400 and 'id="rate-comment-error"' in html and "2000" in html
    response = answer(client, link, "")
    assert response.status_code == 400 and 'id="rate-rating-error"' in response.content.decode()


def test_other_methods_are_refused(client, closed, link):
    assert client.put(link).status_code == 405


def test_closing_a_followed_case_sends_a_link_that_works_end_to_end(
    client, world, django_capture_on_commit_callbacks
):
    """A resident reports and follows by e-mail; closing the case sends the closing notice (the notice rule
    of verify_pass, through the case_stepped hook), whose {rating_url} opens the page and rates once."""
    NoticeRule.objects.update_or_create(  # the seeded rule, or ours: either way with its {rating_url}
        action="verify_pass",
        audience=NoticeRule.Audience.REPORTER,
        channel="email",
        defaults={
            "is_active": True,
            "subject_zh": "案件 {number} 已办结",
            "subject_en": "Case {number} is closed",
            "body_zh": "请评价：{rating_url}",
            "body_en": "Rate the result: {rating_url}",
        },
    )
    with tasking.suppressed():
        case = report(world, actor=world.resident, source="resident")
    follow.follower_add(case=case, kind="reporter", channel="email", address=REPORTER_EMAIL, language="en")
    case = drive(world, CaseState.RESOLVED, case)
    with tasking.suppressed(), django_capture_on_commit_callbacks(execute=True):
        services.case_verify_pass(case=case, actor=world.gridadmin, **evidence(case))

    notice = Notification.objects.get(recipient=REPORTER_EMAIL, subject__contains="is closed")
    link = re.search(r"/public/rate/[^\s/]+/", notice.body).group()
    invitation = RatingInvitation.objects.get(case=case)
    assert invitation.follower.address_hash == follow.address_hash(REPORTER_EMAIL)
    assert client.get(link).status_code == 200
    assert answer(client, link, "satisfied").status_code == 302
    assert CaseRating.objects.get(case=case).rating == "satisfied"
    assert "You rated this already" in client.get(link).content.decode()
