"""Durations read naturally in each language: "9 小时 37 分钟", "9 hours, 37 minutes"."""

from django.utils import translation

from cases.ui import duration_text


def test_a_chinese_duration_has_no_list_comma_between_its_units():
    with translation.override("zh-hans"):
        text = duration_text(9 * 3600 + 37 * 60)
    assert text.replace("\xa0", " ") == "9 小时 37 分钟"


def test_an_english_duration_keeps_its_comma():
    with translation.override("en"):
        text = duration_text(9 * 3600 + 37 * 60)
    assert text.replace("\xa0", " ") == "9 hours, 37 minutes"
