"""Following a public case, subscribing to a grid's new public cases, confirming and unsubscribing by the
links the messages carry; an Open311 reporter who gave an e-mail follows their case. Hostile input is
refused with a message (never a 500), the "subscribe" throttle answers 429, no page shows an address."""

import datetime as dt
import importlib
import re

import pytest
from django.core import mail
from django.urls import reverse

from cases import services
from gridmgmt import clock, tasking
from notifications import sms
from notifications.models import Notification
from notifications.services import notifications_send
from public import follow
from public.models import Follower, GridSubscription, NoticeRule

from ..cases.helpers import report
from ..factories import centre
from ..open311.conftest import post_form
from .helpers import guard_fields

seeding = importlib.import_module("public.migrations.0002_notice_rules")

EMAIL = "wang.follower@example.net"
PHONE = "13912345678"


@pytest.fixture
def rules(db):
    if not NoticeRule.objects.exists():  # a transactional test elsewhere may have emptied the table
        for row in seeding.default_rules():
            NoticeRule.objects.create(**row)


@pytest.fixture
def hooks(django_capture_on_commit_callbacks):
    """Run `call()` and what it fires after commit (the hooks, the notices), publishing no task."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True), tasking.suppressed():
            return call()

    return run


def follow_url(case) -> str:
    return reverse("public-case-follow", kwargs={"number": case.number})


def subscribe_url(grid) -> str:
    return reverse("public-grid-subscribe", kwargs={"code": grid.code})


def links_in(text: str, name: str) -> list[str]:
    prefix = reverse(name, kwargs={"token": "TOKEN"}).split("TOKEN")[0]
    return re.findall(re.escape(prefix) + r"[A-Za-z0-9_-]+/(?:confirm/)?", text)


# --- following a case ---------------------------------------------------------------------------------------


def test_the_case_page_offers_the_follow_form(client, world):
    case = report(world)
    page = client.get(reverse("public-case", kwargs={"number": case.number})).content.decode()
    assert f'action="{follow_url(case)}"' in page
    assert 'name="contact"' in page and 'name="pow_nonce"' in page and "js/pow.js" in page


def test_following_a_case_adds_a_follower_who_hears_the_next_step_in_their_language(
    client, world, rules, hooks
):
    case = report(world)
    response = client.post(follow_url(case), {"contact": EMAIL, **guard_fields()}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert EMAIL not in response.content.decode()
    follower = Follower.objects.get(case=case)
    assert (follower.kind, follower.channel, follower.language) == ("follower", "email", "en")
    hooks(lambda: services.case_file(case=case, actor=world.dispatcher))
    notifications_send()
    (message,) = [m for m in mail.outbox if m.to == [EMAIL]]
    assert "was accepted by the dispatch center" in message.body


def test_following_by_phone_sends_text_messages(client, world, rules, hooks):
    case = report(world)
    client.post(follow_url(case), {"contact": "+86 139-1234-5678", **guard_fields()})
    assert Follower.objects.get(case=case).channel == "sms"
    hooks(lambda: services.case_file(case=case, actor=world.dispatcher))
    notifications_send()
    assert [m.phone for m in sms.outbox] == [PHONE]
    assert "已由指挥中心受理" in sms.outbox[0].text


def test_a_hidden_or_unknown_case_cannot_be_followed(client, world):
    case = report(world)
    services.case_publicity_set(case=case, actor=world.dispatcher, public=False, reason="隐私")
    for number in (case.number, "20990101000001", "abc"):
        response = client.post(reverse("public-case-follow", kwargs={"number": number}), {"contact": EMAIL})
        assert response.status_code == 404
    assert not Follower.objects.exists()


@pytest.mark.parametrize(
    "contact",
    [
        "",
        "not an address",
        "name@",
        "@example.net",
        "a@b",
        "12345",
        "139123456789",  # 12 digits
        "x" * 5000 + "@example.net",
        "<script>alert(1)</script>@example.net",
        "a@example.net\nBcc: victim@example.net",
        "{number}@example.net{",
        "1３９１２３４５６７８x",
    ],
)
def test_hostile_contacts_are_refused_with_a_message(client, world, contact):
    case = report(world)
    response = client.post(follow_url(case), {"contact": contact, **guard_fields()})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="field-error"' in page and 'aria-invalid="true"' in page
    assert "<script>alert" not in page
    assert not Follower.objects.exists()


def test_a_form_without_its_proof_or_with_the_honeypot_is_refused(client, world):
    case = report(world)
    bare = client.post(follow_url(case), {"contact": EMAIL})
    robot = client.post(follow_url(case), {"contact": EMAIL, **guard_fields(), "website": "http://spam"})
    for response in (bare, robot):
        assert response.status_code == 400
        assert 'class="error"' in response.content.decode()
        assert EMAIL in response.content.decode()  # what they typed is kept
    assert not Follower.objects.exists()


def test_the_subscribe_throttle_answers_429(client, world, settings):
    settings.PUBLIC_THROTTLES = "subscribe=2/h"
    case = report(world)
    for index in range(2):
        ok = client.post(follow_url(case), {"contact": f"p{index}@example.net", **guard_fields()})
        assert ok.status_code == 200
    refused = client.post(subscribe_url(world.g1), {"contact": EMAIL, **guard_fields()})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert not GridSubscription.objects.exists()


# --- grid subscriptions: confirmed before anything is sent --------------------------------------------------


def test_a_grid_subscription_is_confirmed_by_its_link_before_it_hears_anything(client, world, rules, hooks):
    page = client.get(reverse("public-grid", kwargs={"code": world.g1.code}))
    if page.status_code == 200:  # the grid page (built by its own part) includes the form
        assert f'action="{subscribe_url(world.g1)}"' in page.content.decode()
    response = client.post(subscribe_url(world.g1), {"contact": EMAIL, **guard_fields()})
    assert response.status_code == 200 and EMAIL not in response.content.decode()
    subscription = GridSubscription.objects.get()
    assert subscription.confirmed_at is None

    hooks(lambda: report(world))  # a new public case before the confirmation: nothing for the subscriber
    notifications_send()
    (confirmation,) = [m for m in mail.outbox if m.to == [EMAIL]]
    (link,) = links_in(confirmation.body, "public-subscription-confirm")

    # Opening the link asks (mail scanners open links too); the button confirms.
    asked = client.get(link)
    assert (
        asked.status_code == 200 and "<form" in asked.content.decode() and EMAIL not in asked.content.decode()
    )
    # Not "no-referrer": the browser would then send "Origin: null" with the button, which CSRF refuses.
    assert asked["Referrer-Policy"] == "same-origin" and asked["Cache-Control"] == "no-store"
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None
    assert client.post(link).status_code == 200
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None

    mail.outbox.clear()
    hooks(lambda: report(world))  # grid 1: told
    hooks(lambda: report(world, grid=world.g2))  # grid 2: not
    notifications_send()
    assert len([m for m in mail.outbox if m.to == [EMAIL]]) == 1


def test_asking_again_for_a_confirmed_grid_sends_nothing(client, world):
    client.post(subscribe_url(world.g1), {"contact": EMAIL, **guard_fields()})
    subscription = GridSubscription.objects.get()
    follow.grid_subscription_confirm(subscription=subscription)
    client.post(subscribe_url(world.g1), {"contact": EMAIL, **guard_fields()})
    assert Notification.objects.filter(kind=follow.CONFIRM_KIND).count() == 1


def test_a_phone_subscription_is_confirmed_by_text_message(client, world):
    client.post(subscribe_url(world.g1), {"contact": PHONE, **guard_fields()})
    notifications_send()
    (text,) = sms.outbox
    assert text.phone == PHONE and links_in(text.text, "public-subscription-confirm")


def test_a_stale_or_cancelled_confirmation_link_is_refused(client, world):
    client.post(subscribe_url(world.g1), {"contact": EMAIL, **guard_fields()})
    subscription = GridSubscription.objects.get()
    link = reverse("public-subscription-confirm", kwargs={"token": subscription.token})
    later = clock.now() + dt.timedelta(hours=49)
    with clock.frozen_at(later):
        assert client.get(link).status_code == 410
        assert client.post(link).status_code == 410
    follow.subscription_end(subscription=subscription)
    assert client.get(link).status_code == 410
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None
    # A follower's token is no confirmation link, and a made-up one is nobody's.
    for token in ("x" * 43, "../../etc", "a" * 500):
        assert client.get(f"/public/subscriptions/{token}/confirm/").status_code == 404


# --- unsubscribing ------------------------------------------------------------------------------------------


def test_the_unsubscribe_link_asks_then_stops_the_notices(client, world, rules, hooks):
    case = report(world)
    follower = follow.follower_add(case=case, kind="follower", channel="email", address=EMAIL)
    link = reverse("public-unsubscribe", kwargs={"token": follower.token})
    asked = client.get(link)
    assert asked.status_code == 200 and "<form" in asked.content.decode()
    assert EMAIL not in asked.content.decode() and case.number in asked.content.decode()
    follower.refresh_from_db()
    assert follower.is_active
    assert client.post(link).status_code == 200
    follower.refresh_from_db()
    assert not follower.is_active
    assert client.post(link).status_code == 200  # twice: no error
    hooks(lambda: services.case_file(case=case, actor=world.dispatcher))
    assert not Notification.objects.filter(recipient=EMAIL).exists()


def test_a_grid_subscription_is_stopped_by_its_link(client, world):
    client.post(subscribe_url(world.g1), {"contact": EMAIL, **guard_fields()})
    subscription = GridSubscription.objects.get()
    follow.grid_subscription_confirm(subscription=subscription)
    response = client.post(reverse("public-unsubscribe", kwargs={"token": subscription.token}))
    assert response.status_code == 200 and world.g1.code in response.content.decode()
    subscription.refresh_from_db()
    assert not subscription.is_active


def test_an_unknown_unsubscribe_link_is_not_found(client, world):
    for token in ("x" * 43, "short", "%00"):
        assert client.get(f"/public/unsubscribe/{token}/").status_code == 404
        assert client.post(f"/public/unsubscribe/{token}/").status_code in (400, 404)


# --- Open311: the same flow ---------------------------------------------------------------------------------


def test_an_open311_reporter_with_an_email_follows_and_hears_of_each_step(client, world, rules, hooks):
    from open311.services import api_key_ensure_demo

    key = api_key_ensure_demo()
    lat, lng = centre(world.g1)
    data = {
        "api_key": key.key,
        "service_code": world.cats.waste.code,
        "lat": str(lat),
        "long": str(lng),
        "description": "路边堆放了一堆垃圾",
        "email": "li.open311@example.org",
        "phone": "13900001111",
        "first_name": "Li",
    }
    response = hooks(lambda: post_form(client, "requests.json", data))
    assert response.status_code in (200, 201)
    follower = Follower.objects.get()
    assert (follower.kind, follower.channel) == ("reporter", "email")
    case = follower.case
    assert case.source == "open311"
    hooks(lambda: services.case_file(case=case, actor=world.dispatcher))
    notifications_send()
    to_reporter = [m for m in mail.outbox if m.to == ["li.open311@example.org"]]
    assert [m.subject for m in to_reporter] == [
        f"我们已收到您反映的问题 {case.number}",
        f"您反映的问题 {case.number} 已由指挥中心受理",
    ]
    assert "Li" not in "".join(m.body for m in to_reporter).replace("Link", "")


# --- reads stay bounded -------------------------------------------------------------------------------------


def test_notices_for_a_step_take_the_same_queries_for_many_followers(
    world, rules, django_assert_max_num_queries
):
    case = report(world)
    for index in range(25):
        follow.follower_add(case=case, kind="supporter", channel="email", address=f"s{index}@example.net")
    services.case_file(case=case, actor=world.dispatcher)
    with django_assert_max_num_queries(8), tasking.suppressed():
        rows = follow.notices_for_step(case.pk, "file")
    assert len(rows) == 25
