"""Following, subscriptions (being built)."""

from django.http import Http404


def grid_subscribe(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def case_follow(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def unsubscribe(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def subscription_confirm(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)
