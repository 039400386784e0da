"""Grid posters (issue 19): what a grid's printable poster says, the link its QR code opens (the public report
form with the grid chosen) and the QR code itself, an SVG drawn by segno.

A poster shows only what the public may read: the grid's name, code and place, and its administrators'
names and work phones (GridAssignment.work_phone, public by the issue). Never an account name, an e-mail
address or a private number: an administrator whose account has no name is shown by the role.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import urlencode

import segno
from django.http import HttpRequest
from django.urls import reverse

from grids.models import Grid
from grids.services import is_grid_code

from .grids import Administrator, grid_administrators

# Medium error correction (15 %): the code still reads with a smudge or a staple through it. segno raises
# the level further when the version it needs has room to spare.
QR_ERROR = "m"
QR_BORDER = 4  # the quiet zone the standard asks for, in modules


@dataclass(frozen=True)
class Poster:
    grid: Grid
    administrators: list[Administrator]


def poster_grid_get(code: str) -> Grid | None:
    """The grid of `code` with its community and street (one query); None for an unknown or malformed code,
    which never reaches the database."""
    if not is_grid_code(code):
        return None
    return Grid.objects.select_related("community__parent").filter(code=code).first()


def poster_get(code: str) -> Poster | None:
    """What the poster of grid `code` says; None when there is no such grid."""
    grid = poster_grid_get(code)
    if grid is None:
        return None
    return Poster(grid=grid, administrators=grid_administrators(grid))


def report_url(request: HttpRequest, grid: Grid) -> str:
    """The absolute link of the public report form with `grid` chosen: what the QR code opens."""
    return request.build_absolute_uri(f"{reverse('public-report')}?{urlencode({'grid': grid.code})}")


def qr_svg(url: str, *, title: str = "") -> str:
    """The QR code of `url` as an SVG document (no XML declaration, so it also goes inline into a page):
    sized by its viewBox, so the page's CSS sets its size and it prints sharp at any size."""
    buffer = io.BytesIO()
    segno.make(url, error=QR_ERROR).save(
        buffer,
        kind="svg",
        scale=1,
        border=QR_BORDER,
        xmldecl=False,
        omitsize=True,
        title=title or None,
        svgclass="poster-qr-svg",
        lineclass="poster-qr-path",
        dark="#000",
        light="#fff",  # a white ground of its own: it reads on any paper or page
    )
    return buffer.getvalue().decode()
