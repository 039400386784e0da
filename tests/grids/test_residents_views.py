"""Resident pages: the owner / colleague / outsider trio (and the other roles) on every view."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from grids import pii
from grids.models import Resident, ResidentAccessLog

from .resident_factories import id_number, resident, resident_form_data

pytestmark = pytest.mark.django_db

NUMBER = id_number(birth=date(1975, 8, 9), seq=321)
MOBILE = "13812345678"


@pytest.fixture
def r1(world):
    """A resident of grid 1, which `gridadmin` administers (the owner); `other_gridadmin` is a colleague."""
    return resident(world.g1, name="陈小红", id_no=NUMBER, phone_no=MOBILE, household_no="H-1")


def _client(client, user):
    client.force_login(user)
    return client


def _grant(user, codename: str) -> None:
    user.user_permissions.add(Permission.objects.get(codename=codename, content_type__app_label="grids"))


MASKED_ID = f"{NUMBER[:4]}**********{NUMBER[-4:]}"


# --- list -----------------------------------------------------------------------------------------------


def test_the_owner_sees_their_residents_masked(client, world, r1):
    page = _client(client, world.gridadmin).get(reverse("resident-list")).content.decode()
    assert "陈小红" in page and MASKED_ID in page and "138****5678" in page
    assert NUMBER not in page and MOBILE not in page


def test_it_hides_other_grids_residents_from_a_colleague(client, world, r1):
    resident(world.g3, name="周其他")
    response = _client(client, world.other_gridadmin).get(reverse("resident-list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "周其他" in page and "陈小红" not in page and MASKED_ID not in page


def test_a_colleague_cannot_filter_on_another_grid(client, world, r1):
    response = _client(client, world.other_gridadmin).get(reverse("resident-list"), {"grid": world.g1.code})
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["outsider", "staff", "resident"])
def test_the_list_is_forbidden_to_outsiders_staff_and_residents(client, world, r1, persona):
    assert _client(client, getattr(world, persona)).get(reverse("resident-list")).status_code == 403


@pytest.mark.parametrize("persona", ["supervisor", "dispatcher"])
def test_supervisors_and_dispatchers_see_counts_only(client, world, r1, persona):
    resident(world.g3)
    resident(world.g3)
    response = _client(client, getattr(world, persona)).get(reverse("resident-list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "陈小红" not in page and MASKED_ID not in page
    counts = {g.code: g.current for g in response.context["counts"]}
    assert counts[world.g1.code] == 1 and counts[world.g3.code] == 2 and counts[world.g4.code] == 0


def test_a_supervisor_granted_view_sees_the_list_masked(client, world, r1):
    _grant(world.supervisor, "view_resident")
    page = _client(client, world.supervisor).get(reverse("resident-list")).content.decode()
    assert "陈小红" in page and MASKED_ID in page and NUMBER not in page


def test_search_by_full_id_number_uses_the_hash(client, world, r1):
    resident(world.g2, name="另一人")
    c = _client(client, world.gridadmin)
    page = c.get(reverse("resident-list"), {"q": NUMBER.lower()}).content.decode()
    assert "陈小红" in page and "另一人" not in page


def test_anonymous_visitors_are_sent_to_log_in(client, r1):
    response = client.get(reverse("resident-list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- counts ---------------------------------------------------------------------------------------------


def test_counts_owner_sees_own_grids_only(client, world, r1):
    response = _client(client, world.gridadmin).get(reverse("resident-counts"))
    assert [g.code for g in response.context["counts"]] == [world.g1.code, world.g2.code]


@pytest.mark.parametrize(("persona", "status"), [("other_gridadmin", 200), ("outsider", 403), ("staff", 403)])
def test_counts_for_colleague_and_outsider(client, world, r1, persona, status):
    response = _client(client, getattr(world, persona)).get(reverse("resident-counts"))
    assert response.status_code == status
    if status == 200:
        assert [g.code for g in response.context["counts"]] == [world.g3.code]


# --- detail ---------------------------------------------------------------------------------------------


def test_the_owner_sees_the_detail_masked_with_reveal_buttons(client, world, r1):
    page = _client(client, world.gridadmin).get(reverse("resident-detail", args=[r1.pk])).content.decode()
    assert "陈小红" in page and MASKED_ID in page and "138****5678" in page
    assert NUMBER not in page and MOBILE not in page
    assert reverse("resident-reveal", args=[r1.pk, "id_number"]) in page


@pytest.mark.parametrize("persona", ["other_gridadmin", "outsider", "staff", "supervisor", "dispatcher"])
def test_the_detail_is_not_found_for_everyone_else(client, world, r1, persona):
    assert (
        _client(client, getattr(world, persona)).get(reverse("resident-detail", args=[r1.pk])).status_code
        == 404
    )


def test_a_granted_viewer_sees_the_detail_without_reveal_buttons(client, world, r1):
    _grant(world.supervisor, "view_resident")
    page = _client(client, world.supervisor).get(reverse("resident-detail", args=[r1.pk])).content.decode()
    assert MASKED_ID in page and reverse("resident-reveal", args=[r1.pk, "id_number"]) not in page


# --- reveal ---------------------------------------------------------------------------------------------


def test_the_owner_reveals_one_field_and_it_is_logged(client, world, r1):
    c = _client(client, world.gridadmin)
    response = c.post(reverse("resident-reveal", args=[r1.pk, "id_number"]), REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert NUMBER in page and MOBILE not in page  # one field only
    log = ResidentAccessLog.objects.get()
    assert (log.resident_id, log.user_id, log.field, log.ip, log.basis) == (
        r1.pk,
        world.gridadmin.pk,
        "id_number",
        "10.0.0.7",
        "grid_admin",
    )
    response = c.post(reverse("resident-reveal", args=[r1.pk, "phone"]))
    assert MOBILE in response.content.decode()
    assert ResidentAccessLog.objects.count() == 2


def test_reveal_must_be_a_post(client, world, r1):
    c = _client(client, world.gridadmin)
    assert c.get(reverse("resident-reveal", args=[r1.pk, "id_number"])).status_code == 405
    assert not ResidentAccessLog.objects.exists()


@pytest.mark.parametrize(
    "persona", ["other_gridadmin", "outsider", "staff", "supervisor", "dispatcher", "resident"]
)
def test_reveal_is_forbidden_to_everyone_else_and_not_logged(client, world, r1, persona):
    response = _client(client, getattr(world, persona)).post(
        reverse("resident-reveal", args=[r1.pk, "id_number"])
    )
    assert response.status_code == 403
    assert NUMBER not in response.content.decode()
    assert not ResidentAccessLog.objects.exists()


def test_a_granted_supervisor_may_reveal(client, world, r1):
    _grant(world.supervisor, "reveal_resident_pii")
    response = _client(client, world.supervisor).post(reverse("resident-reveal", args=[r1.pk, "phone"]))
    assert response.status_code == 200 and MOBILE in response.content.decode()
    assert ResidentAccessLog.objects.get().basis == "permission"


def test_reveal_of_a_missing_resident_answers_like_a_forbidden_one(client, world, r1):
    c = _client(client, world.other_gridadmin)
    assert c.post(reverse("resident-reveal", args=[r1.pk + 999, "id_number"])).status_code == 403


def test_reveal_of_an_unknown_field_is_not_found(client, world, r1):
    c = _client(client, world.gridadmin)
    assert c.post(reverse("resident-reveal", args=[r1.pk, "name_encrypted"])).status_code == 404
    assert not ResidentAccessLog.objects.exists()


# --- create / edit / move out ---------------------------------------------------------------------------


def test_the_owner_registers_a_resident_in_their_grid(client, world):
    c = _client(client, world.gridadmin)
    assert c.get(reverse("resident-create")).status_code == 200
    response = c.post(reverse("resident-create"), resident_form_data(world.g2))
    created = Resident.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "resident-detail", args=[created.pk]
    )
    assert (created.grid_id, created.name, created.care_tags) == (world.g2.id, "黄新", ["veteran"])


def test_the_owner_cannot_register_into_a_colleagues_grid(client, world):
    response = _client(client, world.gridadmin).post(reverse("resident-create"), resident_form_data(world.g3))
    assert response.status_code == 400 and not Resident.objects.exists()


def test_an_invalid_id_number_is_explained_on_the_form(client, world):
    response = _client(client, world.gridadmin).post(
        reverse("resident-create"),
        resident_form_data(world.g1, id_number="36010219900307123"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "ID number: an ID number has 18 characters, this one has 17" in response.content.decode()
    response = _client(client, world.gridadmin).post(
        reverse("resident-create"),
        resident_form_data(world.g1, id_number="36010219900307123"),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "身份证号：身份证号应为 18 位，此号码为 17 位" in response.content.decode()


@pytest.mark.parametrize("persona", ["outsider", "staff", "supervisor", "dispatcher"])
def test_registering_is_forbidden_without_grids(client, world, persona):
    c = _client(client, getattr(world, persona))
    assert c.get(reverse("resident-create")).status_code == 403
    assert c.post(reverse("resident-create"), resident_form_data(world.g1)).status_code == 403


def test_the_edit_form_never_shows_the_clear_id_or_phone(client, world, r1):
    page = _client(client, world.gridadmin).get(reverse("resident-edit", args=[r1.pk])).content.decode()
    assert "陈小红" in page and MASKED_ID in page
    assert NUMBER not in page and MOBILE not in page


def test_the_owner_edits_and_blank_id_and_phone_are_kept(client, world, r1):
    data = resident_form_data(world.g1, name="陈小红", id_number="", phone="", address="新址 9 号")
    response = _client(client, world.gridadmin).post(reverse("resident-edit", args=[r1.pk]), data)
    assert response.status_code == 302
    r1.refresh_from_db()
    assert r1.address == "新址 9 号"
    assert pii.decrypt(r1.id_number_encrypted) == NUMBER and pii.decrypt(r1.phone_encrypted) == MOBILE


@pytest.mark.parametrize("persona", ["other_gridadmin", "outsider", "staff", "supervisor"])
def test_editing_is_not_found_for_everyone_else(client, world, r1, persona):
    c = _client(client, getattr(world, persona))
    assert c.get(reverse("resident-edit", args=[r1.pk])).status_code == 404
    assert c.post(reverse("resident-edit", args=[r1.pk]), resident_form_data(world.g1)).status_code == 404


def test_a_granted_viewer_may_not_edit(client, world, r1):
    _grant(world.supervisor, "view_resident")
    assert _client(client, world.supervisor).get(reverse("resident-edit", args=[r1.pk])).status_code == 403


def test_the_owner_records_a_move_out(client, world, r1):
    response = _client(client, world.gridadmin).post(
        reverse("resident-move-out", args=[r1.pk]), {"moved_out_on": "2024-01-31"}
    )
    assert response.status_code == 302
    r1.refresh_from_db()
    assert r1.moved_out_on == date(2024, 1, 31)


@pytest.mark.parametrize("persona", ["other_gridadmin", "outsider", "supervisor"])
def test_move_out_is_not_found_for_everyone_else(client, world, r1, persona):
    c = _client(client, getattr(world, persona))
    assert (
        c.post(reverse("resident-move-out", args=[r1.pk]), {"moved_out_on": "2024-01-31"}).status_code == 404
    )
    r1.refresh_from_db()
    assert r1.moved_out_on is None
