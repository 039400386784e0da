"""Resident accounts and the registry link queue (being built)."""

from django.http import Http404


def signup(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def email_confirm(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def phone_code(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def login(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def logout(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def password_reset(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def password_reset_confirm(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def password_reset_code(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def my_reports(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def registry_link(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def link_queue(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)


def link_decide(request, *args, **kwargs):
    raise Http404  # built by its owner (issue 19)
