"""Notices in their recipient's language: a preference per user (set by the header's language switch, kept
in the admin), the site's language for everyone else, department addresses included."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from cases import services as case_services
from dispatch.services import deadlines_enforce
from gridmgmt import tasking
from gridmgmt.roles import Role
from notifications.models import LanguagePreference, Notification
from notifications.services import language_preference_set

from ..cases.helpers import drive, evidence
from ..factories import user


def _dispatched_notices(world, case) -> dict[str, Notification]:
    return {n.recipient: n for n in Notification.objects.filter(kind="dispatched", object_id=case.pk)}


@pytest.fixture
def readers(world):
    """Two staff of the sanitation department: one reads Chinese, one English."""
    zh = user("staff_zh", roles=(Role.DEPARTMENT_STAFF,), departments=(world.sanitation,))
    en = user("staff_en", roles=(Role.DEPARTMENT_STAFF,), departments=(world.sanitation,))
    language_preference_set(user=zh, language="zh-hans")
    language_preference_set(user=en, language="en")
    return zh, en


def test_each_reader_gets_the_dispatch_notice_in_their_own_language(world, readers):
    zh, en = readers
    world.cats.waste.name_en = "Exposed garbage"
    world.cats.waste.save()
    case = drive(world, "dispatched")
    notices = _dispatched_notices(world, case)
    due = timezone.localtime(case.deadline_at)

    chinese, english = notices[zh.email], notices[en.email]
    assert chinese.subject == f"案件 {case.number} 已派遣至环卫局"
    assert english.subject == f"Case {case.number} dispatched to 环卫局"
    assert chinese.body.startswith(f"{world.cats.waste.name}：{case.description}\n")
    assert english.body.startswith(f"Exposed garbage: {case.description}\n")
    # The "Due" line with the date as each language writes it.
    assert chinese.body.splitlines()[-1] == f"办理时限：{due.year}年{due.month}月{due.day}日 {due:%H:%M}"
    with translation.override("en"):
        from django.utils.formats import date_format

        assert english.body.splitlines()[-1] == f"Due {date_format(due, 'DATETIME_FORMAT')}"
    assert "Due" not in chinese.body and "Case" not in chinese.subject


def test_a_department_address_and_a_user_without_a_preference_get_the_site_language(world, settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    case = drive(world, "dispatched")
    notices = _dispatched_notices(world, case)
    assert not LanguagePreference.objects.filter(user=world.staff).exists()
    for address in (world.sanitation.email, world.staff.email):
        assert notices[address].subject == f"案件 {case.number} 已派遣至环卫局"
        assert "办理时限：" in notices[address].body


def test_the_site_language_decides_for_those_without_a_preference(world, readers, settings):
    settings.LANGUAGE_CODE = "en"
    case = drive(world, "dispatched")
    notices = _dispatched_notices(world, case)
    assert notices[world.sanitation.email].subject.startswith("Case ")
    assert notices[readers[0].email].subject.startswith("案件 ")  # a preference still wins


def test_rework_and_deadline_notices_follow_the_reader_too(world, readers):
    zh, en = readers
    case = drive(world, "resolved")
    with tasking.suppressed():
        case_services.case_verify_fail(case=case, actor=world.gridadmin, reason="垃圾仍在", **evidence(case))
    rework = {n.recipient: n for n in Notification.objects.filter(kind="rework")}
    assert rework[zh.email].subject == f"案件 {case.number} 核查未通过，需返工"
    assert rework[zh.email].body == "返工原因：垃圾仍在"
    assert rework[en.email].subject == f"Case {case.number} failed verification: rework"

    case = drive(world, "in_progress")
    deadlines_enforce(now=case.deadline_at + dt.timedelta(minutes=1))
    overdue = {n.recipient: n for n in Notification.objects.filter(kind="deadline_overdue")}
    assert overdue[zh.email].subject.startswith(f"案件 {case.number}：已超时（处置环节时限 ")
    assert overdue[en.email].subject.startswith(f"Case {case.number}: deadline overdue (handling due ")


def test_the_language_switch_records_a_signed_in_users_choice(client, world):
    client.force_login(world.staff)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    assert LanguagePreference.objects.get(user=world.staff).language == "en"
    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("home")})
    assert LanguagePreference.objects.get(user=world.staff).language == "zh-hans"
    client.post(reverse("set_language"), {"language": "fr", "next": reverse("home")})
    assert LanguagePreference.objects.get(user=world.staff).language == "zh-hans"  # not a site language


@pytest.mark.django_db
def test_an_anonymous_switch_sets_the_cookie_and_records_nothing(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"
    assert not LanguagePreference.objects.exists()


def test_the_admin_edits_a_users_language(client, world):
    admin = user("root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    url = reverse("admin:auth_user_change", args=[world.staff.pk])
    page = client.get(url).content.decode()
    assert "language_preference-0-language" in page
