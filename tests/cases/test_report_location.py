"""The report form without a location: one message saying what to do, at the map, and nothing typed lost."""

from django.urls import reverse

from cases.forms import LOCATION_MISSING
from cases.models import Case

from ..factories import centre
from .console import html, login


def _post(client, world, **data):
    form = {"category": world.cats.waste.pk, "description": "井盖缺失", "address": "公园路口", **data}
    return client.post(reverse("case-report"), form)


def test_an_empty_location_says_once_to_tap_the_map(client, world):
    login(client, world.gridadmin)
    response = _post(client, world, lat="", lng="")
    assert response.status_code == 400 and not Case.objects.exists()
    form = response.context["form"]
    assert form.errors == {"lat": [str(LOCATION_MISSING)]}
    page = html(response)
    message = "Tap the map or use “my location” to set where the problem is."
    at_the_map = f'<p class="field-error" id="location-error">{message}</p>'
    assert page.count(at_the_map) == 1 and page.count('class="field-error"') == 1  # once, under the map
    assert page.count(message) == 2  # and once in the summary at the top, which links to it
    assert "This field is required" not in page
    assert '<details class="coords">' in page  # the coordinate inputs stay folded: the map is the way
    assert "井盖缺失" in page and "公园路口" in page  # what was typed is kept


def test_an_empty_location_reads_in_chinese_on_a_chinese_page(client, world):
    login(client, world.gridadmin, language="zh-hans")
    form = {"lat": "", "lng": "", "category": world.cats.waste.pk, "description": "井盖缺失"}
    response = client.post(reverse("case-report"), form)
    assert "请在地图上点选，或点击“使用我的位置”，标出问题所在的位置。" in html(response)


def test_one_missing_coordinate_is_the_same_single_message_at_that_coordinate(client, world):
    login(client, world.gridadmin)
    lat, _ = centre(world.g1)
    response = _post(client, world, lat=lat, lng="")
    assert response.status_code == 400
    assert response.context["form"].errors == {"lng": [str(LOCATION_MISSING)]}


def test_a_coordinate_typed_wrong_keeps_its_own_message_and_opens_the_inputs(client, world):
    login(client, world.gridadmin)
    lat, lng = centre(world.g1)
    response = _post(client, world, lat="north", lng=lng)
    errors = response.context["form"].errors
    assert set(errors) == {"lat"} and str(LOCATION_MISSING) not in errors["lat"]
    assert '<details class="coords" open>' in html(response)


def test_a_location_given_reports_as_before(client, world):
    login(client, world.gridadmin)
    lat, lng = centre(world.g1)
    assert _post(client, world, lat=lat, lng=lng).status_code == 302
    assert Case.objects.count() == 1
