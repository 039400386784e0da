"""Public reporting, me too, the proof-of-work challenge (being built)."""

from django.http import Http404


def report_page(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def report_where(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def report_nearby(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def report_sent(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def challenge(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def case_support(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)
