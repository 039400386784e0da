"""Organisation pages: who sees which, the form's refusals (all at once, typed values kept), and personal
data never in clear on a page."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grids import pii
from places import codes, services
from places.models import Organisation
from tests.factories import centre

from . import factories

pytestmark = pytest.mark.django_db

REPRESENTATIVE = "王大明"
CONTACT = "李小红"
PHONE = "13912345678"


def credit_code(n: int) -> str:
    return codes.credit_code_complete(f"91360102MA3{n:06d}")


def organisation(grid, *, n: int = 1, name: str = "东湖饭店", **extra) -> Organisation:
    lat, lng = centre(grid)
    return services.organisation_save(
        actor=None,
        name=name,
        credit_code=credit_code(n),
        kind=extra.pop("kind", Organisation.Kind.ENTERPRISE),
        lat=lat,
        lng=lng,
        address=extra.pop("address", f"八一大道{n}号"),
        legal_representative=REPRESENTATIVE,
        contact_name=CONTACT,
        contact_phone=PHONE,
        **extra,
    )


def form_data(grid=None, **overrides) -> dict:
    data = {
        "name": "阳明书店",
        "credit_code": credit_code(77),
        "kind": "shop",
        "address": "阳明路 8 号",
        "lat": "",
        "lng": "",
        "legal_representative": REPRESENTATIVE,
        "contact_name": CONTACT,
        "contact_phone": PHONE,
        "employees": "12",
        "risk_tags": ["crowded"],
        "next_inspection_on": "2030-05-01",
    }
    if grid is not None:
        data["lat"], data["lng"] = (f"{v:.6f}" for v in centre(grid))
    data.update(overrides)
    return data


def _as(client, user):
    client.force_login(user)
    return client


def _summary(page: str) -> str:
    match = re.search(r'<div class="error error-summary" role="alert"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no error summary at the top of the page"
    return match[1]


LIST = reverse("places-organisation-list")
CREATE = reverse("places-organisation-create")


# --- who sees what ---------------------------------------------------------------------------------------


def test_a_grid_administrator_lists_their_grids_organisations_only(client, world):
    organisation(world.g1, n=1, name="渊明饭店")
    organisation(world.g3, n=2, name="孺子饭店")
    page = _as(client, world.gridadmin).get(LIST).content.decode()
    assert "渊明饭店" in page and "孺子饭店" not in page


@pytest.mark.parametrize("persona", ["dispatcher", "supervisor"])
def test_dispatchers_and_supervisors_read_every_grid(client, world, persona):
    mine = organisation(world.g1, n=1, name="渊明饭店")
    organisation(world.g3, n=2, name="孺子饭店")
    c = _as(client, getattr(world, persona))
    page = c.get(LIST).content.decode()
    assert "渊明饭店" in page and "孺子饭店" in page
    assert c.get(reverse("places-organisation-detail", args=[mine.pk])).status_code == 200
    assert "places-organisation-create" not in page and CREATE not in page
    assert c.get(CREATE).status_code == 403
    assert c.get(reverse("places-organisation-edit", args=[mine.pk])).status_code == 403


@pytest.mark.parametrize("persona", ["staff", "resident", "outsider"])
def test_department_staff_residents_and_outsiders_are_refused(client, world, persona):
    org = organisation(world.g1)
    c = _as(client, getattr(world, persona))
    for url in (LIST, CREATE, reverse("places-organisation-detail", args=[org.pk])):
        assert c.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(LIST)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_another_grids_administrator_gets_404_for_the_organisation(client, world):
    org = organisation(world.g1)
    c = _as(client, world.other_gridadmin)
    assert c.get(reverse("places-organisation-detail", args=[org.pk])).status_code == 404
    assert c.get(reverse("places-organisation-edit", args=[org.pk])).status_code == 404
    assert c.post(reverse("places-organisation-edit", args=[org.pk]), form_data(world.g3)).status_code == 404


def test_a_colleague_cannot_filter_on_another_grid(client, world):
    response = _as(client, world.other_gridadmin).get(LIST, {"grid": world.g1.code})
    assert response.status_code == 404


# --- the list's filters --------------------------------------------------------------------------------


def test_the_list_filters_by_grid_type_risk_and_name_or_code(client, world):
    organisation(world.g1, n=1, name="渊明饭店", risk_tags=["fire_safety"])
    organisation(world.g2, n=2, name="第二学校", kind="school", risk_tags=["crowded"])
    c = _as(client, world.gridadmin)

    def names(**query) -> set[str]:
        response = c.get(LIST, query)
        assert response.status_code == 200
        return {o.name for o in response.context["page"]}

    assert names() == {"渊明饭店", "第二学校"}
    assert names(grid=world.g2.code) == {"第二学校"}
    assert names(kind="school") == {"第二学校"}
    assert names(risk="fire_safety") == {"渊明饭店"}
    assert names(q="饭店") == {"渊明饭店"}
    assert names(q=credit_code(2).lower()) == {"第二学校"}


def test_an_unknown_filter_value_is_a_400_that_names_it(client, world):
    organisation(world.g1)
    response = _as(client, world.gridadmin).get(LIST, {"kind": "castle"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "castle is not one of the choices" in response.content.decode()
    assert not list(response.context["page"])


def test_an_overdue_inspection_is_marked(client, world):
    yesterday = timezone.localdate() - timedelta(days=1)
    organisation(world.g1, n=1, name="过期饭店", next_inspection_on=yesterday)
    organisation(world.g1, n=2, name="准时饭店", next_inspection_on=yesterday + timedelta(days=30))
    page = _as(client, world.gridadmin).get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<span class="overdue">{yesterday:%Y-%m-%d} · overdue</span>' in page
    assert page.count('class="overdue"') == 1


def test_the_list_costs_the_same_queries_for_3_and_30_rows(client, world, django_assert_max_num_queries):
    c = _as(client, world.gridadmin)
    for n in range(3):
        organisation(world.g1, n=n, name=f"饭店{n}", risk_tags=["crowded"])
    c.get(LIST)  # warm the caches a first request fills (sessions, the grid index)
    with django_assert_max_num_queries(12) as three:
        assert len(c.get(LIST).context["page"]) == 3
    for n in range(3, 30):
        organisation(world.g2, n=n, name=f"饭店{n}", risk_tags=["crowded"])
    with django_assert_max_num_queries(len(three.captured_queries)):
        assert len(c.get(LIST).context["page"]) == 30


# --- personal data --------------------------------------------------------------------------------------


def test_the_detail_shows_personal_data_masked_only(client, world):
    org = organisation(world.g1, risk_tags=["hazardous"])
    c = _as(client, world.gridadmin)
    for url in (reverse("places-organisation-detail", args=[org.pk]), LIST):
        page = c.get(url).content.decode()
        assert REPRESENTATIVE not in page and CONTACT not in page and PHONE not in page, url
    page = c.get(reverse("places-organisation-detail", args=[org.pk])).content.decode()
    assert "王*明" in page and "李*红" in page and "139****5678" in page
    assert org.credit_code in page and world.g1.name in page


def test_the_edit_form_never_holds_personal_data_and_empty_keeps_it(client, world):
    org = organisation(world.g1)
    c = _as(client, world.gridadmin)
    url = reverse("places-organisation-edit", args=[org.pk])
    page = c.get(url).content.decode()
    assert REPRESENTATIVE not in page and CONTACT not in page and PHONE not in page
    assert "王*明" in page  # named masked beside "leave empty to keep"
    data = form_data(
        name="东湖大饭店",
        credit_code=org.credit_code,
        address=org.address,
        lat=f"{org.lat:.6f}",
        lng=f"{org.lng:.6f}",
        legal_representative="",
        contact_name="",
        contact_phone="",
    )
    response = c.post(url, data)
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "东湖大饭店"
    assert pii.decrypt(org.legal_representative_encrypted) == REPRESENTATIVE
    assert pii.decrypt(org.contact_phone_encrypted) == PHONE


def test_the_edit_form_replaces_or_removes_a_personal_field(client, world):
    org = organisation(world.g1)
    c = _as(client, world.gridadmin)
    data = form_data(
        credit_code=org.credit_code,
        address=org.address,
        lat=f"{org.lat:.6f}",
        lng=f"{org.lng:.6f}",
        legal_representative="赵新",
        contact_name="",
        clear_contact_name="1",
        contact_phone="",
    )
    assert c.post(reverse("places-organisation-edit", args=[org.pk]), data).status_code == 302
    org.refresh_from_db()
    assert pii.decrypt(org.legal_representative_encrypted) == "赵新"
    assert pii.decrypt(org.contact_name_encrypted) == ""
    assert pii.decrypt(org.contact_phone_encrypted) == PHONE


# --- registering: the place ----------------------------------------------------------------------------


def test_an_address_of_the_base_data_places_it_at_that_house(client, world):
    building = factories.building(world.g2, road="叠山路", number="5", name="2")
    house = factories.house(building, unit=1, room="301")
    c = _as(client, world.gridadmin)
    response = c.post(CREATE, form_data(address="叠山路5号2栋1单元301室"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    org = Organisation.objects.get()
    assert org.house == house and org.building == building and org.grid == world.g2
    assert (org.lat, org.lng) == (building.lat, building.lng)
    assert response["Location"] == reverse("places-organisation-detail", args=[org.pk])
    page = c.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "a house of the base data" in page and "Organisation saved, in grid" in page


def test_an_address_outside_the_base_data_takes_the_point_and_its_grid(client, world):
    c = _as(client, world.gridadmin)
    response = c.post(CREATE, form_data(world.g2, address="阳明路 8 号"))
    assert response.status_code == 302
    org = Organisation.objects.get()
    assert org.house is None and org.building is None and org.grid == world.g2
    assert org.address == "阳明路 8 号" and org.risk_tags == ["crowded"] and org.employees == 12
    assert pii.decrypt(org.legal_representative_encrypted) == REPRESENTATIVE


def test_an_unknown_address_without_a_point_asks_for_the_point(client, world):
    response = _as(client, world.gridadmin).post(CREATE, form_data(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and not Organisation.objects.exists()
    summary = _summary(response.content.decode())
    assert 'href="#o-address"' in summary and "tap the organisation&#x27;s place on the map" in summary


def test_a_point_outside_every_grid_is_refused_at_the_location(client, world):
    data = form_data(lat="30.5", lng="114.3")
    response = _as(client, world.gridadmin).post(CREATE, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and not Organisation.objects.exists()
    page = response.content.decode()
    assert 'href="#o-location"' in _summary(page) and "no grid contains it" in page
    assert 'value="30.5"' in page and 'value="114.3"' in page


def test_a_point_in_another_administrators_grid_is_refused(client, world):
    response = _as(client, world.gridadmin).post(CREATE, form_data(world.g3), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403 and not Organisation.objects.exists()
    assert "you may keep the base data of your own grids only" in response.content.decode()


# --- registering: refusals -----------------------------------------------------------------------------


def test_a_wrong_check_character_names_the_expected_one_and_keeps_the_input(client, world):
    good = credit_code(5)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    data = form_data(world.g1, credit_code=wrong, employees="many", next_inspection_on="2030-02-30")
    response = _as(client, world.gridadmin).post(CREATE, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and not Organisation.objects.exists()
    page = response.content.decode()
    summary = _summary(page)
    assert f"wrong check character {wrong[17]}" in summary and f"give {good[17]}" in summary
    for field in ("credit_code", "employees", "next_inspection_on"):
        assert f'href="#o-{field}"' in summary, field
        assert f'id="o-{field}-error"' in page, field
    for typed in (f'value="{wrong}"', 'value="阳明书店"', 'value="阳明路 8 号"', 'value="many"'):
        assert typed in page, typed
    assert 'value="crowded" checked' in page and 'value="shop" selected' in page
    assert response["Cache-Control"] == "no-store"


def test_a_registered_credit_code_is_refused_at_its_field(client, world):
    taken = organisation(world.g1, n=9)
    data = form_data(world.g2, credit_code=taken.credit_code.lower(), name="另一家")
    response = _as(client, world.gridadmin).post(CREATE, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and Organisation.objects.count() == 1
    page = response.content.decode()
    assert "this credit code is already registered" in _summary(page)
    assert 'id="o-credit_code-error"' in page and 'value="另一家"' in page


def test_missing_name_and_type_are_said_together(client, world):
    data = form_data(world.g1, name="", kind="")
    response = _as(client, world.gridadmin).post(CREATE, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    summary = _summary(response.content.decode())
    assert "enter the name of the organisation" in summary and "choose the type of organisation" in summary


@pytest.mark.parametrize(
    "odd",
    [
        {"address": "号号号栋单元室"},
        {"address": "x" * 300},
        {"address": "八一大道\x00 1 号"},
        {"lat": "nan", "lng": "nan"},
        {"lat": "1e999", "lng": "115.9"},
        {"lat": "28.68", "lng": ""},
        {"credit_code": "９１３６０１０２ＭＡ３０００００１Ｘ"},
        {"employees": "-3"},
        {"risk_tags": ["castle"]},
        {"kind": "castle"},
    ],
)
def test_odd_input_is_refused_with_400_never_500(client, world, odd):
    response = _as(client, world.gridadmin).post(CREATE, form_data(**odd))
    assert response.status_code == 400 and not Organisation.objects.exists()
