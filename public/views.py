"""The public site's pages: open to everyone, logged in or not; they show only what the public may read."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases.models import CasePhoto
from cases.photos import photo_copy_response

from . import selectors, ui


@require_GET
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    """A public case: what was reported, where roughly, and what the city did. A hidden case is not found,
    like a number that does not exist."""
    case = selectors.public_case_get(number)
    if case is None:
        raise Http404
    return render(
        request,
        "public/case.html",
        {
            "case": case,
            "state_label": ui.state_label(case),
            "category": ui.category_path(case),
            "place": ui.place_label(case),
            "description": case.public_description or case.description,
            "steps": ui.steps(case),
            "report_photos": [p for p in case.public_photos if p.kind == CasePhoto.Kind.REPORT],
            "fix_photos": [p for p in case.public_photos if p.kind == CasePhoto.Kind.EVIDENCE],
        },
    )


@require_GET
def case_photo(request: HttpRequest, number: str, photo_id: int, variant: str) -> HttpResponse:
    """The EXIF-free copy of a photo the public page shows; never the upload itself."""
    photo = selectors.public_case_photo(number, photo_id)
    if photo is None:
        raise Http404
    # Private: a case the dispatch center hides later must not live on in shared caches.
    return photo_copy_response(photo, variant, cache="private")
