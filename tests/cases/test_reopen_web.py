"""The dispatch center reopens a closed case for rework from its page: a reason, the department again,
counted as rework; others are not offered the action."""

from django.urls import reverse

from cases.models import CaseState
from gridmgmt import tasking

from .helpers import drive


def test_a_dispatcher_reopens_a_closed_case_from_its_page_with_a_reason(client, world):
    case = drive(world, "closed")
    client.force_login(world.dispatcher)
    page = client.get(reverse("case-detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Reopen for rework" in page and "Why the case goes back for rework" in page
    url = reverse("case-action", args=[case.pk, "reopen"])
    refused = client.post(url, {"version": case.version, "reason": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "reason is required" in refused.content.decode()
    with tasking.suppressed():
        done = client.post(url, {"version": case.version, "reason": "回访不满意，复核属实"})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.DISPATCHED and case.rework_count == 1 and case.closed_at is None
    assert case.events.order_by("-seq").first().action == "reopen"


def test_the_grid_administrator_is_not_offered_a_reopening(client, world):
    case = drive(world, "closed")
    client.force_login(world.gridadmin)
    page = client.get(reverse("case-detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Reopen for rework" not in page
