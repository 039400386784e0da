"""A resident asks to be linked to the registry; an administrator of that grid confirms a matching request
(the account becomes a verified resident of the grid) or declines with a reason. The ID number is stored
nowhere and shown nowhere; other grids' administrators and other roles neither see nor decide."""

import pytest
from django.test import Client
from django.urls import reverse

from gridmgmt.errors import Conflict, InvalidInput, NotAllowed
from grids import services as grid_services
from public import accounts
from public.models import RegistryLinkRequest, ResidentAccount

from ..grids.resident_factories import id_number, resident
from .test_accounts import email_account, guarded

NAME = "王小明"


@pytest.fixture
def registered(world):
    """A current registry resident of grid 1 and their ID number."""
    number = id_number()
    return resident(world.g1, name=NAME, id_no=number), number


@pytest.fixture
def account(db):
    return email_account("wang@example.cn")


def ask(client: Client, grid, number: str, name: str = NAME):
    body = {"grid": grid.pk, "full_name": name, "id_number": number}
    return client.post(reverse("public-registry-link"), guarded(body))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def decide(user, link, decision: str, reason: str = ""):
    return signed_in(user).post(
        reverse("registry-link-decide", kwargs={"request_id": link.pk}),
        {"decision": decision, "reason": reason},
    )


def test_a_request_keeps_no_id_number_and_no_page_shows_it(world, registered, account):
    person, number = registered
    client = signed_in(account.user)

    response = ask(client, world.g1, number.lower())

    assert response.status_code == 302
    link = RegistryLinkRequest.objects.get()
    assert link.state == "pending" and link.resident == person and link.grid == world.g1
    for row in (RegistryLinkRequest.objects.values().get(), ResidentAccount.objects.values().get()):
        assert not any(number in str(value) or number[:17] in str(value) for value in row.values())
    pages = [
        client.get(reverse("public-registry-link")),
        client.get(reverse("public-my-reports")),
        signed_in(world.gridadmin).get(reverse("registry-links")),
    ]
    for page in pages:
        assert page.status_code == 200
        text = page.content.decode()
        assert number not in text and number[:17] not in text and link.id_hash not in text
        assert NAME not in text  # the registry's name shows masked to the administrator only
    assert "王*明" in pages[2].content.decode()


def test_the_grids_administrator_approves_and_the_account_is_verified(world, registered, account):
    person, number = registered
    ask(signed_in(account.user), world.g1, number)
    link = RegistryLinkRequest.objects.get()
    assert not accounts.is_verified_resident(account.user)

    response = decide(world.gridadmin, link, "approve")

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.is_verified and account.grid == world.g1 and account.resident == person
    assert account.verified_by == world.gridadmin
    assert accounts.is_verified_resident(account.user, world.g1)
    assert accounts.is_verified_resident(account.user, world.g1.pk)
    assert not accounts.is_verified_resident(account.user, world.g2)
    assert accounts.verified_grid(account.user) == world.g1
    link.refresh_from_db()
    assert link.state == "approved" and link.decided_by == world.gridadmin
    assert decide(world.gridadmin, link, "approve").status_code == 409  # decided once


def test_another_grids_administrator_neither_sees_nor_decides(world, registered, account):
    _person, number = registered
    ask(signed_in(account.user), world.g1, number)
    link = RegistryLinkRequest.objects.get()
    page = signed_in(world.other_gridadmin).get(reverse("registry-links"))
    assert page.status_code == 200 and f"link-{link.pk}" not in page.content.decode()
    assert decide(world.other_gridadmin, link, "approve").status_code == 404
    for someone in (world.dispatcher, world.supervisor, world.staff, world.resident, world.outsider):
        assert signed_in(someone).get(reverse("registry-links")).status_code == 403
        assert decide(someone, link, "approve").status_code == 403
    with pytest.raises(NotAllowed):
        accounts.registry_link_decide(link=link, actor=world.other_gridadmin, approve=True)
    link.refresh_from_db()
    assert link.state == "pending"


def test_a_decline_needs_a_reason_which_the_resident_reads(world, registered, account):
    _person, number = registered
    client = signed_in(account.user)
    ask(client, world.g1, number)
    link = RegistryLinkRequest.objects.get()

    refused = decide(world.gridadmin, link, "decline", "  ")
    assert refused.status_code == 400
    link.refresh_from_db()
    assert link.state == "pending"

    assert decide(world.gridadmin, link, "decline", "请到社区居委会核对户籍信息").status_code == 302
    link.refresh_from_db()
    assert link.state == "declined" and link.decided_by == world.gridadmin
    assert "请到社区居委会核对户籍信息" in client.get(reverse("public-registry-link")).content.decode()
    account.refresh_from_db()
    assert not account.is_verified


@pytest.mark.parametrize("mismatch", ["other grid", "other name", "moved out", "unknown number"])
def test_a_request_that_matched_nobody_cannot_be_approved(world, registered, account, mismatch):
    person, number = registered
    grid, name = world.g1, NAME
    if mismatch == "other grid":
        grid = world.g2
    elif mismatch == "other name":
        name = "王大明"
    elif mismatch == "moved out":
        grid_services.resident_move_out(resident=person, actor=None, moved_out_on=person.moved_in_on)
    else:
        number = id_number()
    assert ask(signed_in(account.user), grid, number, name).status_code == 302
    link = RegistryLinkRequest.objects.get()
    assert link.resident is None

    page = signed_in(world.gridadmin).get(reverse("registry-links")).content.decode()
    assert 'value="approve"' not in page

    assert decide(world.gridadmin, link, "approve").status_code == 400
    account.refresh_from_db()
    assert not account.is_verified
    link.refresh_from_db()
    assert link.state == "pending"


def test_a_registry_resident_is_linked_to_one_account_only(world, registered, account):
    _person, number = registered
    first = accounts.registry_link_request(account=account, grid=world.g1, full_name=NAME, id_number=number)
    accounts.registry_link_decide(link=first, actor=world.gridadmin, approve=True)
    other = email_account("other@example.cn")
    second = accounts.registry_link_request(account=other, grid=world.g1, full_name=NAME, id_number=number)
    with pytest.raises(Conflict):
        accounts.registry_link_decide(link=second, actor=world.gridadmin, approve=True)


def test_only_a_confirmed_account_asks_and_once_at_a_time(world, registered):
    _person, number = registered
    unconfirmed = email_account("new@example.cn", confirmed=False)
    with pytest.raises(NotAllowed):
        accounts.registry_link_request(account=unconfirmed, grid=world.g1, full_name=NAME, id_number=number)
    account = email_account("wang@example.cn")
    client = signed_in(account.user)
    assert ask(client, world.g1, number).status_code == 302
    again = ask(client, world.g1, number)
    assert again.status_code in (200, 409)  # the page now says the request waits
    assert RegistryLinkRequest.objects.count() == 1
    with pytest.raises(Conflict):
        accounts.registry_link_request(account=account, grid=world.g1, full_name=NAME, id_number=number)


def test_a_wrong_id_number_is_refused_and_kept_nowhere(world, account):
    client = signed_in(account.user)
    good = id_number()
    bad = good[:17] + ("0" if good[-1] != "0" else "1")  # a wrong check character
    response = ask(client, world.g1, bad)
    assert response.status_code == 400
    assert bad not in response.content.decode()
    assert not RegistryLinkRequest.objects.exists()
    with pytest.raises(InvalidInput):
        accounts.registry_link_request(account=account, grid=world.g1, full_name="", id_number=id_number())


def test_the_queue_reads_in_bounded_queries(world, django_assert_max_num_queries):
    def make(n: int) -> None:
        for i in range(n):
            number = id_number()
            resident(world.g1, name=NAME, id_no=number)
            someone = email_account(f"r{RegistryLinkRequest.objects.count()}-{i}@example.cn")
            accounts.registry_link_request(account=someone, grid=world.g1, full_name=NAME, id_number=number)

    client = signed_in(world.gridadmin)
    make(1)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("registry-links"))
    make(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("registry-links")).content.decode().count('class="card link-card"') == 6


@pytest.mark.parametrize("value", ["", "\x00", "a" * 3000, "abc", "-1", "99999999999999999999"])
def test_hostile_input_never_gives_a_500(world, account, value):
    client = Client(raise_request_exception=False)
    client.force_login(account.user)
    body = {"grid": value, "full_name": value, "id_number": value}
    assert client.post(reverse("public-registry-link"), body).status_code < 500
    assert client.post(reverse("public-registry-link"), guarded(body)).status_code < 500
    admin = Client(raise_request_exception=False)
    admin.force_login(world.gridadmin)
    number = id_number()
    link = accounts.registry_link_request(account=account, grid=world.g1, full_name=NAME, id_number=number)
    for decision in (value, "approve", "decline"):
        url = reverse("registry-link-decide", kwargs={"request_id": link.pk})
        assert admin.post(url, {"decision": decision, "reason": value}).status_code < 500


def test_the_grid_administrators_home_links_to_the_queue_with_its_count(world, registered, account):
    _person, number = registered
    accounts.registry_link_request(account=account, grid=world.g1, full_name=NAME, id_number=number)
    page = signed_in(world.gridadmin).get(reverse("home")).content.decode()
    assert reverse("registry-links") in page
    assert '<strong id="count-registry-links">1</strong>' in page
    other = signed_in(world.other_gridadmin).get(reverse("home")).content.decode()
    assert '<strong id="count-registry-links">0</strong>' in other
