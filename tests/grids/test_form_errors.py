"""The resident and workload forms show every error at once, keep what was typed and redirect on success."""

import re
from datetime import date

import pytest
from django.urls import reverse

from grids.models import GridAssignment, Resident

from .resident_factories import id_number, resident, resident_form_data
from .test_workload import URL as WORKLOAD_URL
from .test_workload import busy, client_for  # noqa: F401 - the workload fixture

pytestmark = pytest.mark.django_db


def _summary(page: str) -> str:
    match = re.search(r'<div class="error error-summary" role="alert"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no error summary at the top of the page"
    return match[1]


TWO_TAGS = ["veteran", "disability"]


def test_a_resident_form_with_three_invalid_fields_lists_all_and_keeps_the_rest(client, world):
    client.force_login(world.gridadmin)
    data = resident_form_data(
        world.g2, name="", id_number="36010219900307123", moved_in_on="2019-13-01", care_tags=TWO_TAGS
    )
    response = client.post(reverse("resident-create"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and not Resident.objects.exists()
    page = response.content.decode()
    summary = _summary(page)
    for field, message in (
        ("name", "a name is required"),
        ("id_number", "an ID number has 18 characters, this one has 17"),
        ("moved_in_on", "the moved-in date must be a date (YYYY-MM-DD)"),
    ):
        assert f'href="#r-{field}"' in summary and message in summary, field
        assert f'aria-invalid="true" aria-describedby="r-{field}-error"' in page, field
        assert f'id="r-{field}-error"' in page
    # Everything typed is still there: texts, the grid chosen, the care boxes ticked.
    for typed in ('value="36010219900307123"', 'value="13700001111"', 'value="叠山路 5 号"', 'value="H-9"'):
        assert typed in page, typed
    assert 'value="2019-13-01"' in page
    assert re.search(rf'<option value="{world.g2.code}" selected>', page)
    assert 'value="veteran" checked' in page and 'value="disability" checked' in page
    assert response["Cache-Control"] == "no-store"  # the typed ID number must not stay in a cache


def test_the_zh_page_says_each_field_in_chinese(client, world):
    client.force_login(world.gridadmin)
    data = resident_form_data(world.g2, name="", id_number="36010219900307123")
    page = client.post(reverse("resident-create"), data, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "身份证号：身份证号应为 18 位，此号码为 17 位" in _summary(page)


def test_a_registered_id_number_is_refused_at_its_field_and_the_form_keeps_the_input(client, world):
    taken = id_number(birth=date(1980, 1, 2), seq=77)
    resident(world.g1, id_no=taken)
    client.force_login(world.gridadmin)
    response = client.post(
        reverse("resident-create"), resident_form_data(world.g2, id_number=taken), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "this ID number is already registered" in _summary(page)
    assert 'id="r-id_number-error"' in page and 'value="黄新"' in page
    assert Resident.objects.count() == 1


def test_a_valid_resident_form_redirects(client, world):
    client.force_login(world.gridadmin)
    response = client.post(reverse("resident-create"), resident_form_data(world.g2, care_tags=TWO_TAGS))
    created = Resident.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "resident-detail", args=[created.pk]
    )
    assert sorted(created.care_tags) == ["disability", "veteran"]


def test_an_assignment_with_two_invalid_fields_lists_both_and_keeps_the_code(busy):  # noqa: F811
    client = client_for(busy.dispatcher)
    response = client.post(WORKLOAD_URL, {"action": "assign", "grid": "3601020010", "user": "nobody"})
    assert response.status_code == 400
    page = response.content.decode()
    summary = _summary(page)
    assert 'href="#assign-grid"' in summary and "14-digit grid code" in summary
    assert 'href="#assign-user"' in summary and "There is no user nobody" in summary
    assert 'value="3601020010"' in page
    assert 'aria-invalid="true" aria-describedby="assign-grid-error"' in page
    assert 'aria-invalid="true" aria-describedby="assign-user-error"' in page


def test_a_refused_assignment_keeps_the_administrator_chosen(busy):  # noqa: F811
    client = client_for(busy.dispatcher)
    response = client.post(
        WORKLOAD_URL, {"action": "assign", "grid": "36010200100999", "user": "gridadmin_b"}
    )
    assert response.status_code == 400
    assert re.search(r'<option value="gridadmin_b" selected>', response.content.decode())
    assert not GridAssignment.objects.filter(user=busy.other_gridadmin, grid__code="36010200100999").exists()
