"""The demo's public site: resident1 verified against the registry in a grid of gridadmin1 and resident2 not,
both logging in with griddemo; reports from the public site whose supporters are counted in their chains; a
satisfied rating and a dissatisfied one waiting for review; work phones on every assignment, on the
posters; and every chain intact."""

import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import transaction
from django.db.models import Count
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from cases.audit import chains_verify
from cases.models import Case, CaseEvent, CaseState, Category
from cases.workflow import Action
from demo.public import REPORTS
from demo.seed import demo_logins, demo_seed
from gridmgmt.people import display_name
from gridmgmt.roles import Role
from grids.models import GridAssignment
from public.models import CaseRating, CaseSupport, Follower, RegistryLinkRequest, ResidentAccount

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The smallest demo the seed tests use (40 cases), seeded now and rolled back at the module's end."""
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        now = timezone.now()
        with TestCase.captureOnCommitCallbacks(execute=True):
            demo_seed(cases=40, seed=3, now=now)
        yield now
        transaction.set_rollback(True)


def user(username: str):
    return get_user_model().objects.get(username=username)


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
def test_resident1_is_verified_against_the_registry_in_a_grid_of_gridadmin1(demo, db):
    account = ResidentAccount.objects.select_related("user", "resident", "grid").get(
        user__username="resident1"
    )
    gridadmin1 = user("gridadmin1")

    assert account.is_verified and account.is_confirmed
    assert account.grid.assignments.filter(user=gridadmin1).exists()
    assert account.resident.grid_id == account.grid_id and account.resident.moved_out_on is None
    assert account.verified_by == gridadmin1 and account.verified_at < demo
    assert display_name(account.user) == account.resident.name  # the registry's person holds the account
    link = RegistryLinkRequest.objects.get(account=account)
    assert link.state == RegistryLinkRequest.State.APPROVED and link.resident == account.resident
    assert link.id_hash == account.resident.id_number_hash
    assert account.user.groups.filter(name=Role.RESIDENT).exists()
    assert authenticate(username="resident1", password="griddemo") == account.user


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
def test_resident2_confirmed_their_e_mail_but_is_not_verified(demo, db):
    account = ResidentAccount.objects.select_related("user").get(user__username="resident2")

    assert account.is_confirmed and not account.is_verified
    assert account.grid is None and account.resident is None and account.verified_by is None
    assert not RegistryLinkRequest.objects.filter(account=account).exists()
    assert set(account.user.groups.values_list("name", flat=True)) == {Role.RESIDENT}
    assert authenticate(username="resident2", password="griddemo") == account.user
    assert {"resident1", "resident2"} <= set(demo_logins())


def test_public_reports_count_their_supporters_in_their_chains(demo, db):
    cases = list(Case.objects.filter(source=Case.Source.PUBLIC).annotate(supports_n=Count("supports")))
    assert len(cases) == len(REPORTS)
    assert all(case.is_public and case.number for case in cases)
    supported = [case for case in cases if case.supporter_count]
    assert len(supported) >= 2 and sum(case.supporter_count for case in cases) >= 4
    for case in cases:
        assert case.supports_n == case.supporter_count
        steps = case.events.filter(action=Action.SUPPORT).order_by("seq")
        assert [event.data["supporters"] for event in steps] == list(range(1, case.supporter_count + 1))
    # One supporter by account, the others by the keyed hash of the contact they left; all follow.
    supports = CaseSupport.objects.filter(case__in=supported)
    assert supports.filter(user__username="resident2").count() == 1
    assert not supports.filter(user__isnull=True, fingerprint="").exists()
    assert (
        Follower.objects.filter(case__in=supported, kind=Follower.Kind.SUPPORTER).count() == supports.count()
    )
    # Open ones wait in different stages; the reporters are resident1 or someone who left a phone.
    assert {CaseState.REPORTED, CaseState.IN_PROGRESS, CaseState.CLOSED} <= {case.state for case in cases}
    assert {case.reporter.username if case.reporter else "" for case in cases} == {"resident1", ""}


def test_a_dissatisfied_rating_waits_for_review_and_a_satisfied_one_does_not(demo, db):
    waiting = CaseRating.objects.select_related("case", "invitation__follower").get(
        review=CaseRating.Review.PENDING
    )
    assert waiting.rating == CaseRating.Rating.DISSATISFIED and waiting.comment
    assert waiting.case.state == CaseState.CLOSED and waiting.case.source == Case.Source.PUBLIC
    assert waiting.invitation.used_at == waiting.created_at > waiting.case.closed_at
    assert waiting.invitation.follower.kind == Follower.Kind.REPORTER
    rate = waiting.case.events.get(action=Action.RATE)
    assert rate.data == {"rating": "dissatisfied", "commented": True} and rate.actor is None
    assert rate.seq == waiting.case.audit_seq  # the last step: nobody has reviewed it yet

    satisfied = CaseRating.objects.get(rating=CaseRating.Rating.SATISFIED)
    assert satisfied.review == CaseRating.Review.NONE
    assert satisfied.case.events.filter(action=Action.RATE, data__rating="satisfied").exists()


def test_every_assignment_has_its_administrators_work_phone_and_the_poster_shows_it(demo, db, client):
    phones = dict(GridAssignment.objects.values_list("pk", "work_phone"))
    assert phones and all(re.fullmatch(r"0791-8612\d{4}", phone) for phone in phones.values())
    gridadmin1 = user("gridadmin1")
    assert set(gridadmin1.grid_assignments.values_list("work_phone", flat=True)) == {"0791-86120001"}

    grid = ResidentAccount.objects.get(user__username="resident1").grid
    page = client.get(reverse("public-grid-poster", kwargs={"code": grid.code})).content.decode()

    assert display_name(gridadmin1) in page and "0791-86120001" in page
    assert "gridadmin1" not in page and "@" not in page


def test_the_public_sites_steps_leave_every_chain_intact(demo, db):
    checked, broken = chains_verify()
    assert broken == [] and checked == Case.objects.count()
    assert CaseEvent.objects.filter(case__source=Case.Source.PUBLIC, created_at__gt=demo).count() == 0


def test_a_personal_matter_is_a_category_never_shown_to_the_public(demo):
    dispute = Category.objects.get(code="2505")
    assert dispute.publicity == Category.Publicity.NEVER and dispute.parent.code == "25"
    assert Category.objects.filter(publicity=Category.Publicity.PUBLIC).count() > 40
