"""Where a visit starts: the house, organisation and resident pages link to the visit form, for the grid's
administrator only."""

import pytest
from django.urls import reverse

from tests.places.factories import grid_base_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(world):
    return grid_base_data(world)


def pages(places) -> list[tuple[str, str]]:
    house, organisation, resident = places.house, places.organisation, places.occupancy.resident
    return [
        (reverse("places-house-detail", args=[house.pk]), f"?house={house.pk}"),
        (reverse("places-organisation-detail", args=[organisation.pk]), f"?organisation={organisation.pk}"),
        (reverse("resident-detail", args=[resident.pk]), f"?resident={resident.pk}"),
    ]


def test_the_grids_administrator_gets_a_record_a_visit_link(client, world, places):
    client.force_login(world.gridadmin)
    for page, query in pages(places):
        html = client.get(page).content.decode()
        assert f'href="{reverse("visit-new")}{query}"' in html, page


def test_the_centre_reads_the_base_data_pages_without_it(client, world, places):
    client.force_login(world.supervisor)
    for page, _ in pages(places)[:2]:  # the registry's pages are not the centre's to read
        response = client.get(page)
        assert response.status_code == 200 and reverse("visit-new") not in response.content.decode(), page
