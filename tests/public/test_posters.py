"""Grid posters (/public/grids/<code>/poster/ and its qr.svg): the grid, its administrators by name and work
phone, and a QR code that draws exactly the public report link of the grid; nothing else about the staff."""

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
from django.urls import resolve, reverse

from grids.models import GridAssignment
from public.posters import QR_BORDER

SVG_NS = "{http://www.w3.org/2000/svg}"


def poster_url(grid) -> str:
    return reverse("public-grid-poster", kwargs={"code": grid.code})


def qr_url(grid) -> str:
    return reverse("public-grid-qr", kwargs={"code": grid.code})


def expected_report_url(grid) -> str:
    return f"http://testserver{reverse('public-report')}?grid={grid.code}"


def name_and_phone(user, grid, *, last: str, first: str, phone: str) -> None:
    user.last_name, user.first_name = last, first
    user.save(update_fields=["last_name", "first_name"])
    GridAssignment.objects.filter(grid=grid, user=user).update(work_phone=phone)


def drawn_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules segno's path draws: "M x y.5" and "m dx dy" move, "h n" paints n modules of the row
    (the pen runs through the middle of each row). What a scanner would see, without a decoder."""
    root = ET.fromstring(svg)
    path = next(p for p in root.iter(f"{SVG_NS}path") if p.get("class") == "poster-qr-path")
    dark, x, y = set(), 0.0, 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", path.get("d")):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark |= {(int(x) + i, int(y - 0.5)) for i in range(int(float(a)))}
            x += float(a)
    return dark


def modules_of(url: str) -> set[tuple[int, int]]:
    """The dark modules of the QR code of `url` (medium correction, as posters make it), in SVG units."""
    matrix = segno.make(url, error="m").matrix
    return {
        (col + QR_BORDER, row + QR_BORDER)
        for row, line in enumerate(matrix)
        for col, module in enumerate(line)
        if module
    }


def test_it_names_the_grid_its_place_and_its_administrators_with_their_work_phones(
    client, world, django_assert_max_num_queries
):
    name_and_phone(world.gridadmin, world.g1, last="王", first="伟", phone="0791-86120001")
    with django_assert_max_num_queries(2):  # the grid with its community and street; the administrators
        response = client.get(poster_url(world.g1), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Report a problem: scan the code" in page
    assert world.g1.name in page and world.g1.code in page
    assert world.g1.community.name in page and world.g1.community.parent.name in page
    assert "王伟" in page and "0791-86120001" in page
    assert 'href="tel:0791-86120001"' in page


def test_it_shows_no_account_name_and_no_e_mail_of_the_staff(client, world):
    name_and_phone(world.gridadmin, world.g1, last="王", first="伟", phone="0791-86120001")
    GridAssignment.objects.create(grid=world.g1, user=world.other_gridadmin, work_phone="0791-86120002")

    page = client.get(poster_url(world.g1), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    for person in (world.gridadmin, world.other_gridadmin):
        assert person.username not in page
        assert person.email not in page and "@" not in page
    # The second administrator has no name on the account: the poster names the role, with their phone.
    assert "grid administrator" in page and "0791-86120002" in page


def test_an_administrator_whose_account_is_disabled_is_left_out(client, world):
    name_and_phone(world.gridadmin, world.g1, last="王", first="伟", phone="0791-86120001")
    world.gridadmin.is_active = False
    world.gridadmin.save(update_fields=["is_active"])

    page = client.get(poster_url(world.g1), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "王伟" not in page and "0791-86120001" not in page
    assert "This grid has no administrator at the moment" in page


def test_the_printed_link_is_the_public_report_form_with_the_grid_chosen(client, world):
    page = client.get(poster_url(world.g2)).content.decode()
    url = expected_report_url(world.g2)

    assert f'<code class="poster-url" translate="no">{url}</code>' in page
    parts = urlsplit(url)
    assert resolve(parts.path).url_name == "public-report"
    assert parse_qs(parts.query) == {"grid": [world.g2.code]}


def test_the_poster_draws_the_qr_code_of_its_link_inline(client, world):
    page = client.get(poster_url(world.g1)).content.decode()

    svg = re.search(r"<svg .*?</svg>", page, re.S).group(0)
    assert drawn_modules(svg) == modules_of(expected_report_url(world.g1))


def test_the_qr_code_alone_is_well_formed_cacheable_svg_of_the_link(client, world):
    response = client.get(qr_url(world.g1))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert "public" in response["Cache-Control"] and "max-age=86400" in response["Cache-Control"]
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    svg = response.content.decode()
    root = ET.fromstring(svg.split("?>", 1)[1])  # well-formed XML, or this raises
    assert root.tag == f"{SVG_NS}svg"
    assert root.find(f"{SVG_NS}title").text == expected_report_url(world.g1)
    assert root.find(f"{SVG_NS}path[@class='poster-qr-path']").get("d")
    assert drawn_modules(svg.split("?>", 1)[1]) == modules_of(expected_report_url(world.g1))
    # Another grid, another code.
    assert drawn_modules(svg.split("?>", 1)[1]) != modules_of(expected_report_url(world.g2))


def test_the_link_follows_the_address_the_site_is_reached_at(client, world, settings):
    settings.ALLOWED_HOSTS = ["grid.example.cn"]
    page = client.get(poster_url(world.g1), HTTP_HOST="grid.example.cn", secure=True).content.decode()

    assert f"https://grid.example.cn/public/report/?grid={world.g1.code}" in page


@pytest.mark.parametrize("code", ["36999999999999", "abc", "3601020010010１"])
def test_an_unknown_grid_has_no_poster_and_no_code(client, world, code, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        assert client.get(f"/public/grids/{code}/poster/").status_code == 404
    assert client.get(f"/public/grids/{code}/poster/qr.svg").status_code == 404


def test_a_malformed_code_is_refused_before_any_query(client, world, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/public/grids/abc/poster/qr.svg").status_code == 404


def test_posters_are_read_only(client, world):
    assert client.post(poster_url(world.g1)).status_code == 405
    assert client.post(qr_url(world.g1)).status_code == 405


def test_the_grid_profile_offers_its_poster_to_the_administrator(client, world):
    client.force_login(world.gridadmin)

    page = client.get(reverse("places-grid-profile", kwargs={"code": world.g1.code})).content.decode()

    assert f'href="{poster_url(world.g1)}"' in page
