"""Bulk controls tell the truth: none when nothing is selectable; disabled, with a count, until used."""

import re

from django.urls import reverse

from cases.models import CaseState

from .console import html, login
from .helpers import drive, report

S = CaseState


def test_the_department_queue_shows_no_bulk_controls_when_nothing_can_be_accepted(client, world):
    drive(world, S.IN_PROGRESS)  # in hand already: nothing to accept
    login(client, world.staff)
    page = html(client.get(reverse("department-queue")))
    assert "data-select-all" not in page and "data-bulk-submit" not in page
    assert "Accept selected" not in page


def test_an_empty_department_queue_shows_no_bulk_controls(client, world):
    login(client, world.staff)
    page = html(client.get(reverse("department-queue")))
    assert "No cases waiting for your department." in page and "data-bulk-submit" not in page


def test_the_bulk_accept_starts_disabled_with_a_count_of_the_selectable_cases(client, world):
    drive(world, S.DISPATCHED)
    drive(world, S.DISPATCHED, report(world, grid=world.g2))
    drive(world, S.IN_PROGRESS)
    login(client, world.staff)
    page = html(client.get(reverse("department-queue")))
    button = re.search(r"<button[^>]*data-bulk-submit[^>]*>.*?</button>", page, re.S)
    assert button and " disabled" in button[0] and "(<span data-selected-count>0</span>)" in button[0]
    assert "Select all 2 new cases" in page
    assert len(re.findall(r'type="checkbox" name="cases"', page)) == 2
