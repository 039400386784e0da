"""A resident reads what is happening to their report, not which desk holds it: a case the department handed
back to dispatch is, for them, still being handled; staff keep the workflow's own states."""

from django.urls import reverse

from cases.models import CaseState

from .console import html, login
from .helpers import drive, report

S = CaseState


def _state_badges(page: str) -> list[str]:
    badges = page.split('<span class="state state-')[1:]
    return [badge.split("</span>", 1)[0].split(">", 1)[1] for badge in badges]


def test_a_returned_report_reads_as_being_handled_to_its_resident(client, world):
    case = drive(world, S.RETURNED, report(world, actor=world.resident, source="resident"))
    login(client, world.resident, language="zh-hans")
    for url in (reverse("my-reports"), reverse("case-detail", args=[case.pk])):
        page = html(client.get(url))
        assert "处理中" in _state_badges(page), url
        assert "已退回" not in page, url  # reads like a refusal of their report


def test_staff_read_the_workflow_state(client, world):
    case = drive(world, S.RETURNED, report(world, actor=world.resident, source="resident"))
    login(client, world.dispatcher, language="zh-hans")
    assert "已退回" in _state_badges(html(client.get(reverse("case-detail", args=[case.pk]))))


def test_the_residents_timeline_skips_moves_between_desks(client, world):
    case = drive(world, S.RETURNED, report(world, actor=world.resident, source="resident"))
    login(client, world.resident)
    timeline = html(client.get(reverse("case-detail", args=[case.pk]))).split('class="timeline"', 1)[1]
    assert "from being handled to being handled" not in timeline
    assert "from accepted to being handled" in timeline
