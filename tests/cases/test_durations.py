"""Durations read naturally in each language: "9 小时 37 分钟", "9 hours, 37 minutes"; a countdown
"3天 11:59:56"."""

from django.urls import reverse
from django.utils import translation

from cases.models import CaseState
from cases.ui import duration_text

from .console import html, login
from .helpers import drive


def test_a_chinese_duration_has_no_list_comma_between_its_units():
    with translation.override("zh-hans"):
        text = duration_text(9 * 3600 + 37 * 60)
    assert text.replace("\xa0", " ") == "9 小时 37 分钟"


def test_an_english_duration_keeps_its_comma():
    with translation.override("en"):
        text = duration_text(9 * 3600 + 37 * 60)
    assert text.replace("\xa0", " ") == "9 hours, 37 minutes"


def test_the_running_clock_names_whole_days_in_the_page_language(client, world):
    case = drive(world, CaseState.IN_PROGRESS)
    login(client, world.dispatcher, language="zh-hans")
    assert 'data-day-unit="天"' in html(client.get(reverse("case-detail", args=[case.pk])))
    login(client, world.dispatcher, language="en")
    assert 'data-day-unit="d"' in html(client.get(reverse("case-detail", args=[case.pk])))
