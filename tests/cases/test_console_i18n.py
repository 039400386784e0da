"""The consoles in Chinese and English: catalogues complete and compiled, the language switcher, translated
domain errors, localised dates and durations."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from cases import services
from cases.photos import MAX_PHOTO_BYTES
from cases.workflow import TRANSITIONS, Action
from gridmgmt.errors import DomainError, InvalidTransition

from ..factories import centre
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


def test_a_longer_upload_error_is_shown_in_chinese_on_the_report_page(client, world):
    lat, lng = centre(world.g1)
    login(client, world.gridadmin, language="zh-hans")
    huge = SimpleUploadedFile("huge.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * MAX_PHOTO_BYTES, "image/jpeg")
    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    for upload, chinese, english in (
        (huge, "huge.jpg 超过 10 MB", "larger than"),
        (fake, "evil.jpg 不是可识别的图片：请上传 JPEG、PNG、WebP 或 GIF 格式的照片", "readable"),
    ):
        data = {
            "lat": lat,
            "lng": lng,
            "category": world.cats.waste.pk,
            "description": "垃圾",
            "photos": [upload],
        }
        response = client.post(reverse("case-report"), data)
        assert response.status_code == 400
        page = html(response)
        assert chinese in page and english not in page


def test_a_refusal_says_english_to_the_api_and_the_page_language_to_pages(world):
    case = drive(world, "closed")
    with translation.override("zh-hans"), pytest.raises(InvalidTransition) as refused:
        services.case_dispatch(case=case, actor=world.dispatcher, department=world.roads)
    assert refused.value.message == "cannot dispatch a case that is closed"
    with translation.override("zh-hans"):
        assert refused.value.localized() == "状态为“已结案”的案件不能执行“派遣”"
    with translation.override("en"):
        assert refused.value.localized() == "cannot dispatch a case that is closed"


@pytest.mark.parametrize(
    ("error", "english", "chinese"),
    [
        (lambda w: services._text("", field="reason", required=True), "reason is required", "请填写原因"),
        (
            lambda w: services._text("a\x00b", field="description", required=True),
            "description contains a NUL character",
            "问题描述含有空字符（NUL），请删除后重试",
        ),
        (
            lambda w: services._authorize(w.staff, _transition(Action.DISPATCH), Action.DISPATCH, None),
            "only a dispatcher may dispatch a case",
            "只有指挥中心调度员可以对案件执行“派遣”",
        ),
        (
            lambda w: services._authorize(w.staff, _transition(Action.VERIFY_PASS), Action.VERIFY_PASS, None),
            "only a grid administrator may close a case",
            "只有网格员可以对案件执行“结案”",
        ),
    ],
)
def test_refusals_are_rendered_from_their_template_in_each_language(world, error, english, chinese):
    with pytest.raises(DomainError) as refused:
        error(world)
    assert refused.value.message == english
    with translation.override("zh-hans"):
        assert refused.value.localized() == chinese


def _transition(action):
    return next(t for (state, a), t in TRANSITIONS.items() if a == action)


# --- every refusal a service can raise has its Chinese sentence ---------------------------------------

_APPS = (
    "cases",
    "demo",
    "departments",
    "dispatch",
    "evaluation",
    "gridmgmt",
    "grids",
    "notifications",
    "open311",
    "patrols",
    "places",
    "worktime",
)
_ERRORS = {
    "DomainError",
    "InvalidInput",
    "NotAllowed",
    "InvalidTransition",
    "Conflict",
    "OutsideJurisdiction",
}


def _modules():
    for app in _APPS:
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(encoding="utf-8"))


def _noop_text(node) -> str | None:
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "gettext_noop":
        return node.args[0].value
    return None


def _refusal_templates() -> tuple[dict[str, str], list[str]]:
    """Every template marked with gettext_noop in the apps ({template: where}), and the raise sites whose
    message is not one (an f-string or a plain literal would reach pages in English)."""
    templates, constants, unmarked, named = {}, {}, [], []
    for path, tree in _modules():
        where = path.relative_to(settings.BASE_DIR)
        for node in ast.walk(tree):
            if (text := _noop_text(node)) is not None:
                templates.setdefault(text, f"{where}:{node.lineno}")
            if isinstance(node, ast.Assign) and _noop_text(node.value) is not None:
                for target in node.targets:
                    constants[getattr(target, "id", None)] = _noop_text(node.value)
            # A table of marked templates ({"house": gettext_noop("…"), …}), raised as TABLE[key].
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and node.value.values:
                if all(_noop_text(value) is not None for value in node.value.values):
                    for target in node.targets:
                        constants[getattr(target, "id", None)] = "a table of templates"
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in _ERRORS:
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Subscript):
                    first = first.value  # TABLE[key]: the table must hold marked templates only
                if isinstance(first, ast.Name | ast.Attribute):
                    named.append((getattr(first, "id", None) or first.attr, f"{where}:{node.lineno}"))
                elif _noop_text(first) is None:
                    unmarked.append(f"{where}:{node.lineno}")
    unmarked += [site for name, site in named if name not in constants]
    return templates, unmarked


def test_every_refusal_is_raised_with_a_template_marked_for_translation():
    templates, unmarked = _refusal_templates()
    assert len(templates) > 80  # the walk found the services' refusals
    assert unmarked == []


def test_every_refusal_template_has_a_chinese_translation_with_the_same_parameters():
    templates, _unmarked = _refusal_templates()
    missing, broken = [], []
    with translation.override("zh-hans"):
        for template, where in sorted(templates.items()):
            chinese = gettext(template)
            if chinese == template:
                missing.append(f"{where}: {template}")
            elif set(_PARAM.findall(chinese)) != set(_PARAM.findall(template)):
                broken.append(f"{where}: {template} → {chinese}")
    assert missing == []
    assert broken == []


_PARAM = re.compile(r"%\((\w+)\)s")


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


def test_the_residents_open_tab_is_a_state_not_a_verb(client, world):
    report(world, actor=world.resident, source="resident")
    login(client, world.resident, language="zh-hans")
    page = html(client.get(reverse("my-reports")))
    assert ">处理中</a>" in page and "打开" not in page
    login(client, world.resident, language="en")
    assert ">Open</a>" in html(client.get(reverse("my-reports")))
