"""Front page, public map data, place search and grid pages (being built)."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from gridmgmt.roles import Role, user_roles


@require_GET
def front(request):
    """`/`: the public site for anonymous visitors and residents; staff go to their home."""
    if request.user.is_authenticated and (
        request.user.is_superuser or user_roles(request.user) - {Role.RESIDENT}
    ):
        return redirect("home")
    return render(request, "public/front.html", {})


def map_data(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def place_search(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def grid_page(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)
