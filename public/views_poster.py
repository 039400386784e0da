"""Grid posters: the printable A4 page of a grid (its administrators and a QR code that opens the public
report form in the grid) and the QR code alone as an SVG. Public information only, so open to everyone; the
staff grid profile offers the link."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from . import posters

QR_MAX_AGE = 24 * 3600  # the link a grid's code opens changes only with the site's address


@require_GET
def grid_poster(request: HttpRequest, code: str) -> HttpResponse:
    """The grid's poster, to print on A4: what to do, the QR code with its link written out, the grid and
    who looks after it."""
    poster = posters.poster_get(code)
    if poster is None:
        raise Http404
    url = posters.report_url(request, poster.grid)
    return render(
        request,
        "public/poster.html",
        {
            "grid": poster.grid,
            "street": poster.grid.community.parent,
            "administrators": poster.administrators,
            "report_url": url,
            # segno's own markup of our own link: nothing typed by anyone goes into it.
            "qr": mark_safe(posters.qr_svg(url, title=gettext("QR code: report a problem in this grid"))),
        },
    )


@require_GET
def grid_qr(request: HttpRequest, code: str) -> HttpResponse:
    """The QR code of the grid's report link alone (image/svg+xml), for leaflets and notice boards."""
    grid = posters.poster_grid_get(code)
    if grid is None:
        raise Http404
    url = posters.report_url(request, grid)
    response = HttpResponse(
        '<?xml version="1.0" encoding="utf-8"?>\n' + posters.qr_svg(url, title=url),
        content_type="image/svg+xml; charset=utf-8",
    )
    response["Cache-Control"] = f"public, max-age={QR_MAX_AGE}"
    response["Content-Disposition"] = f'inline; filename="grid-{grid.code}-qr.svg"'
    # An SVG opened on its own is a document: it gets no scripts, styles or fetches of any kind.
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response
