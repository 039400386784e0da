"""The consoles in Chinese and English: catalogues complete and compiled, the language switcher, translated
domain errors, localised dates and durations."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from cases.ui import domain_message
from gridmgmt.errors import InvalidInput, NotAllowed

from .console import html, login
from .helpers import drive, report

LOCALE = Path(settings.BASE_DIR) / "locale"


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_catalogue_is_complete_and_compiled(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_size > 1000, "run manage.py compilemessages"
    text = po.read_text(encoding="utf-8")
    entries = [e.strip() for e in text.split("\n\n")[1:]]  # after the header
    empty = re.compile(r'^msgstr(\[\d\])? ""$')  # a translation with nothing after it
    untranslated = [e for e in entries if e and not e.startswith("#~") and empty.match(e.split("\n")[-1])]
    assert untranslated == [], untranslated[:3]
    assert "#, fuzzy" not in text


def test_pages_are_in_chinese_by_default(client, world):
    login(client, world.gridadmin, language="zh-hans")
    page = html(client.get(reverse("case-report")))
    assert '<html lang="zh-hans">' in page
    assert "上报案件" in page and "使用我的位置" in page and "提交上报" in page


def test_the_switcher_posts_to_set_language_and_the_page_follows(client, world):
    client.force_login(world.dispatcher)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    page = html(client.get(reverse("home")))
    assert '<html lang="en">' in page and "Dispatch center" in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("home")})
    assert "指挥调度中心" in html(client.get(reverse("home")))


def test_the_browser_language_is_honoured(client, world):
    client.force_login(world.staff)
    assert "Department queue" in html(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))


def test_dates_and_durations_are_localised(client, world):
    case = drive(world, "dispatched")
    login(client, world.staff, language="zh-hans")
    page = html(client.get(reverse("case-detail", args=[case.pk])))
    assert "年" in page and "月" in page  # 2026年11月25日 …
    assert "剩余" in page and "小时" in page  # "剩余 3 小时，59 分钟"
    assert "从“已立案”到“已派遣”" in page


def test_domain_errors_are_shown_in_the_page_language(client, world):
    case = drive(world, "closed")
    login(client, world.dispatcher, language="zh-hans")
    response = client.post(reverse("case-action", args=[case.pk, "dispatch"]), {"department": world.roads.pk})
    assert response.status_code == 409
    assert "状态为“已结案”的案件不能执行“派遣”" in html(response)


@pytest.mark.parametrize(
    ("message", "chinese"),
    [
        ("reason is required", "请填写原因"),
        ("only a dispatcher may dispatch a case", "只有指挥中心调度员可以对案件执行“派遣”"),
        (
            "only a department staff or dispatcher may close a case",
            "只有职能部门人员或指挥中心调度员可以对案件执行“结案”",
        ),
        (
            "you may not report this case: it is not in your grids",
            "您不能对此案件执行“上报”：它不在您负责的网格内",
        ),
        ("cannot file a case that is in progress", "状态为“处置中”的案件不能执行“立案”"),
        ("photo.jpg is larger than 10 MB", "photo.jpg 超过 10 MB"),
        ("something nobody has seen before", "something nobody has seen before"),
    ],
)
def test_domain_messages_are_translated_by_shape(message, chinese):
    with translation.override("zh-hans"):
        assert domain_message(InvalidInput(message)) == chinese
    with translation.override("en"):
        assert domain_message(NotAllowed(message)) == message


def test_english_category_names_where_the_taxonomy_has_them(client, world):
    world.cats.waste.name_en = "Exposed garbage"
    world.cats.waste.save()
    report(world)
    login(client, world.gridadmin, language="en")
    assert "Exposed garbage" in html(client.get(reverse("my-reports")))
    login(client, world.gridadmin, language="zh-hans")
    assert "暴露垃圾" in html(client.get(reverse("my-reports")))


def test_the_evaluation_dashboard_is_in_chinese(client, world):
    login(client, world.supervisor, language="zh-hans")
    page = html(client.get(reverse("evaluation-dashboard")))
    assert "综合评价" in page and "按期结案率" in page and "按时核查率" in page and "有效上报率" in page
    assert ">名称</th>" in page and "姓名" not in page  # departments and streets have names, not 姓名
    for english in ("closure rate", "Cases reported", "Trends", "Download CSV", "Whole district"):
        assert english not in page, english
    login(client, world.supervisor, language="en")
    page = html(client.get(reverse("evaluation-dashboard")))
    assert "on-time closure rate" in page and ">Name</th>" in page


def test_the_lockout_page_follows_the_browser_language(world, settings):
    from django.test import Client

    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    for language, expected in (
        ("zh-hans", ["暂时无法登录", "登录失败次数过多", "返回登录页"]),
        ("en", ["Login blocked"]),
    ):
        browser = Client(REMOTE_ADDR=f"10.9.9.{len(language)}", HTTP_ACCEPT_LANGUAGE=language)
        for _attempt in range(3):
            response = browser.post(reverse("login"), {"username": "dispatcher", "password": "wrong"})
        assert response.status_code == 429
        page = html(response)
        assert all(text in page for text in expected), page
