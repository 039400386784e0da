"""The one public decision: a case is public from its category at report time; the dispatch center shows or
hides it, and may replace the description the public reads; each decision is in the chain."""

import pytest
from django.urls import reverse

from cases import services
from cases.audit import chain_verify
from cases.models import CaseState, Category
from gridmgmt.errors import InvalidInput, NotAllowed

from .console import html, login
from .helpers import drive, report


def _category(world, publicity: str) -> Category:
    category = world.cats.waste
    category.publicity = publicity
    category.save(update_fields=["publicity"])
    return category


@pytest.mark.parametrize(("publicity", "public"), [("public", True), ("private", False), ("never", False)])
def test_a_report_is_public_as_its_category_says(world, publicity, public):
    case = report(world, category=_category(world, publicity))
    assert case.is_public is public


def test_the_dispatch_center_hides_a_case_and_replaces_its_public_text_in_the_chain(world):
    case = drive(world, CaseState.DISPATCHED)
    case = services.case_publicity_set(
        case=case,
        actor=world.dispatcher,
        public=False,
        reason="涉及住户隐私",
        public_description="楼道堆放杂物",
    )
    assert not case.is_public and case.public_description == "楼道堆放杂物"
    event = case.events.order_by("-seq").first()
    assert (event.action, event.note) == ("publicity", "涉及住户隐私")
    assert event.data == {"public": False, "public_description": "楼道堆放杂物"}
    assert (
        chain_verify(case.number, case.events.order_by("seq"), head=(case.audit_seq, case.audit_head)) is None
    )
    assert case.state == CaseState.DISPATCHED  # no state change, and the clock runs on


def test_a_category_that_is_never_public_cannot_be_shown(world):
    case = report(world, category=_category(world, "never"))
    with pytest.raises(InvalidInput, match="never shown to the public"):
        services.case_publicity_set(case=case, actor=world.dispatcher, public=True, reason="居民要求公开")


def test_a_decision_that_changes_nothing_is_refused_and_a_reason_is_required(world):
    case = report(world)
    with pytest.raises(InvalidInput, match="nothing to change"):
        services.case_publicity_set(case=case, actor=world.dispatcher, public=True, reason="维持公开")
    with pytest.raises(InvalidInput, match="reason is required"):
        services.case_publicity_set(case=case, actor=world.dispatcher, public=False, reason="")


def test_only_the_dispatch_center_decides(world):
    case = report(world)
    for actor in (world.gridadmin, world.staff, world.supervisor):
        with pytest.raises(NotAllowed):
            services.case_publicity_set(case=case, actor=actor, public=False, reason="隐藏")


def test_the_dispatcher_hides_a_case_from_its_page_and_a_refusal_keeps_the_typed_text(client, world):
    case = report(world)
    login(client, world.dispatcher)
    page = html(client.get(reverse("case-detail", args=[case.pk])))
    assert 'name="public"' in page and "checked" in page

    url = reverse("case-action", args=[case.pk, "publicity"])
    refused = client.post(url, {"version": case.version, "public_description": "已隐去门牌号", "reason": ""})
    assert refused.status_code == 400
    assert "已隐去门牌号" in html(refused)

    done = client.post(
        url, {"version": case.version, "public_description": "已隐去门牌号", "reason": "含门牌号"}
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert not case.is_public and case.public_description == "已隐去门牌号"
