"""Grid posters with their QR code (being built)."""

from django.http import Http404


def grid_poster(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def grid_qr(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)
