"""People by name on the case pages: staff read each other's names (timeline, extension requests), a
resident reading their own case sees roles and never a staff member's name."""

from django.urls import reverse

from cases.models import CaseState
from gridmgmt import tasking

from .console import HTMX, html, login
from .helpers import act, drive, report

S = CaseState


def _name(user, first: str, last: str = "") -> None:
    """Give the account a name, and a username no page text could contain by chance."""
    user.first_name, user.last_name = first, last
    user.username = f"acct_{user.pk}_x"
    user.save(update_fields=["first_name", "last_name", "username"])


def _timeline(page: str) -> str:
    return page.split('class="timeline"', 1)[1].split("</ol>", 1)[0]


def test_staff_read_who_did_what_by_name(client, world):
    _name(world.dispatcher, "芳", "李")
    _name(world.staff, "王伟")
    case = drive(world, S.DISPATCHED)
    login(client, world.supervisor)
    timeline = _timeline(html(client.get(reverse("case-detail", args=[case.pk]))))
    assert '<span class="who">李芳 · dispatcher</span>' in timeline  # family name first, no space; the role
    assert world.dispatcher.username not in timeline
    assert world.gridadmin.username in timeline  # no name on that account: its username


def test_a_resident_sees_roles_not_staff_names(client, world):
    _name(world.dispatcher, "芳", "李")
    _name(world.resident, "张三")
    _name(world.staff, "王伟")
    case = drive(world, S.IN_PROGRESS, report(world, actor=world.resident, source="resident"))
    login(client, world.resident)
    page = html(client.get(reverse("case-detail", args=[case.pk])))
    timeline = _timeline(page)
    for staff in (world.dispatcher, world.staff):  # neither their names nor their account names
        assert staff.first_name not in page and staff.username not in page
    assert '<span class="who">dispatcher</span>' in timeline  # the role alone
    assert "张三" in timeline  # their own report, under their own name
    assert '<span class="who">' in timeline
    whos = [part.split("</span>", 1)[0] for part in timeline.split('<span class="who">')[1:]]
    assert len(whos) >= 3 and all(who.strip() for who in whos)  # every step still says who: a role


def test_a_reporting_resident_is_named_to_the_dispatch_centre_only(client, world):
    _name(world.resident, "张三")
    case = drive(world, S.DISPATCHED, report(world, actor=world.resident, source="resident"))
    login(client, world.dispatcher)
    assert "张三" in html(client.get(reverse("case-detail", args=[case.pk])))
    login(client, world.staff)
    assert "张三" not in html(client.get(reverse("case-detail", args=[case.pk])))


def test_an_extension_request_is_signed_with_the_requesters_name(client, world):
    _name(world.staff, "伟", "王")
    asked = drive(world, S.IN_PROGRESS)
    with tasking.suppressed():
        act(world, asked, "request_extension", world.staff)
    login(client, world.dispatcher)
    queue = html(client.get(reverse("dispatch-queue-rows"), {"queue": "extensions"}, **HTMX))
    assert "王伟" in queue and world.staff.username not in queue
    detail = html(client.get(reverse("case-detail", args=[asked.pk])))
    assert "王伟" in detail and world.staff.username not in detail
