"""Ratings and their review (being built)."""

from django.http import Http404


def rate(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def review_queue(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def review_decide(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)
