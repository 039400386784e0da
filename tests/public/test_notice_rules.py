"""Notices of public case steps are data (NoticeRule): each step tells exactly the audiences its active rules
name, in each reader's language, on their channel; a hidden case tells its reporter only; grid subscribers
hear of new public cases of their grid once confirmed; no notice names the reporter, staff or their notes."""

import importlib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from cases import services
from cases.models import Case, Category
from gridmgmt import tasking
from notifications import sms
from notifications.models import Notification
from notifications.services import notifications_send
from public import follow
from public.admin import NoticeRuleForm
from public.models import Follower, GridSubscription, NoticeRule

from .. import factories
from ..cases.helpers import evidence, report

seeding = importlib.import_module("public.migrations.0002_notice_rules")

REPORTER_EMAIL = "ouyang.reporter@example.net"
REPORTER_NAME = "欧阳锋"
SUPPORTER_PHONE = "13912345678"
FOLLOWER_EMAIL = "follower.en@example.net"
NOTES = {
    "file": "备注甲：已核实来电人身份",
    "dispatch": "备注乙：请李科长优先处理",
    "resolve": "备注庚：清运完毕由张师傅签字",
    "verify": "备注辛：现场已核查无遗留",
}


@pytest.fixture
def rules(db):
    """The shipped rules (migration 0002): a transactional test elsewhere may have emptied the table."""
    if not NoticeRule.objects.exists():
        for row in seeding.default_rules():
            NoticeRule.objects.create(**row)
    return NoticeRule.objects.all()


@pytest.fixture
def town(world, rules):
    """The world with waste routed to sanitation, and staff whose usernames no notice could hold by chance."""
    factories.rule(department=world.sanitation, category=world.cats.waste)
    for user, username in (
        (world.dispatcher, "zhao_dispatch7"),
        (world.staff, "qian_sanitation7"),
        (world.gridadmin, "sun_gridadmin7"),
    ):
        user.username, user.first_name, user.last_name = username, "某", "某"
        user.save()
    return world


@pytest.fixture
def hooks(django_capture_on_commit_callbacks):
    """Run `call()` and what it fires after commit (the hooks, the notices), publishing no task."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True), tasking.suppressed():
            return call()

    return run


def notices(case: Case) -> list[Notification]:
    return list(Notification.objects.filter(kind=follow.KIND, object_id=case.pk).order_by("pk"))


def by_recipient(rows) -> dict[str, Notification]:
    return {row.recipient: row for row in rows}


def with_followers(world) -> Case:
    """A public case of grid 1 (reported without hooks) with a Chinese reporter by e-mail, an English
    supporter by text message and an English follower by e-mail."""
    case = report(world, reporter_name=REPORTER_NAME, reporter_contact=REPORTER_EMAIL)
    follower_add = follow.follower_add
    follower_add(case=case, kind="reporter", channel="email", address=REPORTER_EMAIL, language="zh-hans")
    follower_add(case=case, kind="supporter", channel="sms", address=SUPPORTER_PHONE, language="en")
    follower_add(case=case, kind="follower", channel="email", address=FOLLOWER_EMAIL, language="en")
    return case


def new_rows(case: Case, before: int) -> list[Notification]:
    return notices(case)[before:]


# --- the steps, their audiences, languages and channels -----------------------------------------------------


def test_each_public_step_tells_the_audiences_its_rules_name(town, hooks):
    world = town
    case = with_followers(world)
    steps = [
        ("file", lambda c: services.case_file(case=c, actor=world.dispatcher, note=NOTES["file"])),
        (
            "dispatch",
            lambda c: services.case_dispatch(
                case=c, actor=world.dispatcher, department=world.sanitation, note=NOTES["dispatch"]
            ),
        ),
        ("accept", lambda c: services.case_accept(case=c, actor=world.staff)),
        (
            "resolve",
            lambda c: services.case_resolve(case=c, actor=world.staff, notes=NOTES["resolve"], **evidence(c)),
        ),
        (
            "verify_pass",
            lambda c: services.case_verify_pass(
                case=c, actor=world.gridadmin, note=NOTES["verify"], **evidence(c)
            ),
        ),
    ]
    everyone = {REPORTER_EMAIL, SUPPORTER_PHONE, FOLLOWER_EMAIL}
    expected = {
        "file": everyone,
        "dispatch": everyone,
        "accept": set(),
        "resolve": everyone,
        "verify_pass": everyone,
    }
    for action, step in steps:
        before = len(notices(case))
        case = hooks(lambda step=step, case=case: step(case))
        rows = by_recipient(new_rows(case, before))
        assert set(rows) == expected[action], action
        if not rows:
            continue
        # The reporter reads Chinese by e-mail; the supporter English by text; the follower English by e-mail.
        assert rows[REPORTER_EMAIL].channel == "email"
        assert rows[SUPPORTER_PHONE].channel == "sms"
        assert rows[FOLLOWER_EMAIL].channel == "email"
        assert "您反映的问题" in rows[REPORTER_EMAIL].body
        assert "The case you follow" in rows[SUPPORTER_PHONE].body
        assert "The case you follow" in rows[FOLLOWER_EMAIL].body
        for row in rows.values():
            follower = Follower.objects.get(case=case, address_hash=follow.address_hash(row.recipient))
            assert reverse("public-unsubscribe", args=[follower.token]) in row.body
            assert case.number in row.body
    dispatched = [r for r in notices(case) if "sent to" in r.body]
    assert dispatched and all("环卫局" in r.body for r in dispatched)  # the department's name, nothing more

    # Closed: the reporter is asked to rate (public.ratings), the others are not.
    closing = by_recipient(notices(case)[-3:])
    assert "/public/rate/" in closing[REPORTER_EMAIL].body
    assert "/public/rate/" not in closing[FOLLOWER_EMAIL].body + closing[SUPPORTER_PHONE].body

    # Sent: e-mails through Django's backend, texts through the SMS backend.
    notifications_send()  # the department's own notice of the dispatch goes too
    ours = [m for m in mail.outbox if m.to[0] in everyone]
    assert sorted(m.to[0] for m in ours) == sorted([REPORTER_EMAIL, FOLLOWER_EMAIL] * 4)
    assert {m.phone for m in sms.outbox} == {SUPPORTER_PHONE}
    assert all(case.number in m.subject for m in mail.outbox if m.to == [REPORTER_EMAIL])
    assert len(sms.outbox) == 4  # file, dispatch, resolve, verify_pass


def test_no_notice_names_the_reporter_staff_or_their_notes(town, hooks):
    world = town
    case = with_followers(world)
    case = hooks(lambda: services.case_file(case=case, actor=world.dispatcher, note=NOTES["file"]))
    case = hooks(
        lambda: services.case_dispatch(
            case=case, actor=world.dispatcher, department=world.sanitation, note=NOTES["dispatch"]
        )
    )
    case = hooks(
        lambda: services.case_reject(case=report(world), actor=world.dispatcher, reason="备注：王五投诉")
    )
    rows = Notification.objects.filter(kind=follow.KIND)
    assert rows.count() >= 6
    staff = ["zhao_dispatch7", "qian_sanitation7", "sun_gridadmin7", "备注", "李科长"]
    for row in rows:
        text = row.subject + row.body
        assert not [word for word in staff if word in text], text
        if row.recipient != REPORTER_EMAIL:
            assert REPORTER_NAME not in text and REPORTER_EMAIL not in text


def test_editing_a_rule_changes_the_message(town, hooks):
    case = with_followers(town)
    NoticeRule.objects.filter(action="file", audience="reporter", channel="email").update(
        subject_zh="编辑过的标题 {number}", body_zh="编辑过的正文：{state}\n{unsubscribe_url}"
    )
    hooks(lambda: services.case_file(case=case, actor=town.dispatcher))
    row = by_recipient(notices(case))[REPORTER_EMAIL]
    assert row.subject == f"编辑过的标题 {case.number}"
    assert row.body.startswith("编辑过的正文：已受理\n/public/unsubscribe/")


def test_a_deactivated_rule_sends_nothing(town, hooks):
    case = with_followers(town)
    NoticeRule.objects.filter(action="file", audience="supporters").update(is_active=False)
    hooks(lambda: services.case_file(case=case, actor=town.dispatcher))
    assert set(by_recipient(notices(case))) == {REPORTER_EMAIL}


def test_a_rule_reaches_only_followers_of_its_channel(town, hooks):
    case = with_followers(town)
    NoticeRule.objects.filter(action="file", audience="supporters", channel="sms").delete()
    hooks(lambda: services.case_file(case=case, actor=town.dispatcher))
    assert set(by_recipient(notices(case))) == {REPORTER_EMAIL, FOLLOWER_EMAIL}  # no sms rule, no text


def test_a_hidden_case_tells_its_reporter_only_without_a_public_link(town, hooks):
    case = with_followers(town)
    case = hooks(
        lambda: services.case_publicity_set(case=case, actor=town.dispatcher, public=False, reason="隐私")
    )
    hooks(lambda: services.case_file(case=case, actor=town.dispatcher))
    rows = by_recipient(notices(case))
    assert set(rows) == {REPORTER_EMAIL}
    body = rows[REPORTER_EMAIL].body
    assert case.number in body and "已受理" in body  # its number and state
    assert "/public/cases/" not in body and "查看进展" not in body  # no public page, and no line for it


def test_an_unsubscribed_follower_hears_nothing_more(town, hooks):
    case = with_followers(town)
    supporter = Follower.objects.get(case=case, kind="supporter")
    follow.subscription_end(subscription=supporter)
    hooks(lambda: services.case_file(case=case, actor=town.dispatcher))
    assert set(by_recipient(notices(case))) == {REPORTER_EMAIL, FOLLOWER_EMAIL}


def test_links_are_absolute_under_site_url(town, hooks, settings):
    settings.SITE_URL = "https://city.example.org/"
    case = with_followers(town)
    hooks(lambda: services.case_file(case=case, actor=town.dispatcher))
    body = by_recipient(notices(case))[FOLLOWER_EMAIL].body
    assert f"https://city.example.org/public/cases/{case.number}/" in body
    assert "https://city.example.org/public/unsubscribe/" in body


# --- grid subscriptions -------------------------------------------------------------------------------------


def subscription(grid, address: str, *, confirmed: bool, channel: str = "email", language: str = "en"):
    row = GridSubscription.objects.create(
        grid=grid,
        channel=channel,
        address_encrypted=follow.pii.encrypt(address),
        address_hash=follow.address_hash(address),
        language=language,
        token=follow.secrets.token_urlsafe(32),
        created_at=follow.clock.now(),
    )
    if confirmed:
        GridSubscription.objects.filter(pk=row.pk).update(confirmed_at=follow.clock.now())
    return row


def test_confirmed_subscribers_hear_of_new_public_cases_of_their_grid_only(town, hooks):
    world = town
    subscription(world.g1, "g1.confirmed@example.net", confirmed=True)
    subscription(world.g1, "13800000001", confirmed=True, channel="sms", language="zh-hans")
    subscription(world.g1, "g1.unconfirmed@example.net", confirmed=False)
    subscription(world.g2, "g2.confirmed@example.net", confirmed=True)
    case = hooks(lambda: report(world))
    rows = by_recipient(notices(case))
    assert set(rows) == {"g1.confirmed@example.net", "13800000001"}
    assert rows["g1.confirmed@example.net"].subject.startswith("New problem in your grid")
    assert "您订阅的网格有新问题" in rows["13800000001"].body
    # Later steps are for followers, not the grid.
    hooks(lambda: services.case_file(case=case, actor=world.dispatcher))
    assert len(notices(case)) == 2


def test_a_hidden_case_is_new_to_the_grid_when_first_shown(town, hooks):
    world = town
    subscription(world.g1, "g1.confirmed@example.net", confirmed=True)
    Category.objects.filter(pk=world.cats.waste.pk).update(publicity=Category.Publicity.PRIVATE)
    world.cats.waste.refresh_from_db()
    case = hooks(lambda: report(world))
    assert not case.is_public and notices(case) == []
    show = services.case_publicity_set
    case = hooks(lambda: show(case=case, actor=world.dispatcher, public=True, reason="可以公开"))
    assert [row.recipient for row in notices(case)] == ["g1.confirmed@example.net"]
    # Hidden and shown again: not new a second time.
    case = hooks(lambda: show(case=case, actor=world.dispatcher, public=False, reason="隐藏"))
    case = hooks(lambda: show(case=case, actor=world.dispatcher, public=True, reason="再公开"))
    assert len(notices(case)) == 1


# --- a reporter who left a contact follows their case -------------------------------------------------------


def test_a_reporter_who_left_a_contact_follows_and_hears_of_the_report(town, hooks):
    case = hooks(lambda: report(town, reporter_contact=f"{REPORTER_EMAIL}; 13911112222"))
    reporter = Follower.objects.get(case=case)
    assert (reporter.kind, reporter.channel, reporter.language) == ("reporter", "email", "zh-hans")
    row = by_recipient(notices(case))[REPORTER_EMAIL]
    assert row.subject == f"我们已收到您反映的问题 {case.number}"


def test_a_public_site_report_is_left_to_its_form(town, hooks):
    case = hooks(lambda: report(town, source="public", actor=None, reporter_contact=REPORTER_EMAIL))
    assert not Follower.objects.filter(case=case).exists()


# --- the placeholders -------------------------------------------------------------------------------------


def test_placeholder_substitution_is_safe():
    values = {"number": "42", "url": "{unsubscribe_url}", "unsubscribe_url": "U"}
    text = "{number} {case.__class__} {0} {number!r} {number:>9} {} {url} {{number}} {unknown}"
    assert follow.template_fill(text, values) == (
        "42 {case.__class__} {0} {number!r} {number:>9} {} {unsubscribe_url} {42} {unknown}"
    )
    assert follow.template_unknown(text) == sorted(
        {"{case.__class__}", "{0}", "{number!r}", "{number:>9}", "{}", "{unknown}"}
    )


def test_a_line_with_an_empty_link_is_left_out():
    body = "Closed.\nSee: {url}\nRate: {rating_url}\nStop: {unsubscribe_url}"
    filled = follow.template_fill(
        body, {"url": "/c/", "rating_url": "", "unsubscribe_url": "/u/"}, drop_empty_links=True
    )
    assert filled == "Closed.\nSee: /c/\nStop: /u/"


# --- the shipped rules and the admin ------------------------------------------------------------------------


def test_shipped_rules_cover_both_languages_and_end_with_the_unsubscribe_link(rules):
    keys = {(rule.action, rule.audience, rule.channel) for rule in rules}
    for channel in ("email", "sms"):
        assert ("report", "reporter", channel) in keys and ("report", "grid", channel) in keys
        assert ("reject", "reporter", channel) in keys and ("reject", "supporters", channel) not in keys
        for action in ("file", "dispatch", "resolve", "verify_pass", "verify_desk", "reopen"):
            assert {(action, "reporter", channel), (action, "supporters", channel)} <= keys
    for rule in rules:
        for text in (rule.subject_zh, rule.subject_en, rule.body_zh, rule.body_en):
            assert text and follow.template_unknown(text) == []
        assert rule.body_zh.rstrip().endswith("{unsubscribe_url}")
        assert rule.body_en.rstrip().endswith("{unsubscribe_url}")
        closing_reporter = rule.audience == "reporter" and rule.action in ("verify_pass", "verify_desk")
        assert ("{rating_url}" in rule.body_en) == closing_reporter
        if rule.channel == "sms":  # short: the words around the filled-in number and links
            assert len(follow.template_fill(rule.body_zh, dict.fromkeys(follow.PLACEHOLDERS, ""))) <= 40


def form_data(**overrides) -> dict:
    data = {
        "action": "file",
        "audience": "reporter",
        "channel": "email",
        "is_active": "on",
        "subject_zh": "受理 {number}",
        "subject_en": "Accepted {number}",
        "body_zh": "已受理 {number}\n{unsubscribe_url}",
        "body_en": "Accepted {number}\n{unsubscribe_url}",
    }
    return data | overrides


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"body_en": "Accepted {numbre}\n{unsubscribe_url}"}, "body_en"),
        ({"subject_zh": "{case.__class__}"}, "subject_zh"),
        ({"body_zh": "{0} {unsubscribe_url}"}, "body_zh"),
        ({"body_en": "Accepted {number}"}, "body_en"),  # no unsubscribe link
        ({"action": "dispatch", "audience": "grid"}, "audience"),
        ({"action": "tea_break"}, "action"),
    ],
)
def test_the_admin_refuses_a_rule_it_could_not_send(db, overrides, field):
    NoticeRule.objects.all().delete()
    form = NoticeRuleForm(data=form_data(**overrides))
    assert not form.is_valid()
    assert field in form.errors


def test_the_admin_accepts_a_rule_with_known_placeholders(db):
    NoticeRule.objects.all().delete()
    form = NoticeRuleForm(
        data=form_data(body_en="{number} {category} {state} {place}\n{url}\n{unsubscribe_url}")
    )
    assert form.is_valid(), form.errors


def test_the_admin_shows_rules_with_a_preview_and_no_contacts(client, town, hooks):
    with_followers(town)
    admin_user = get_user_model().objects.create_superuser("root7", "root7@example.org", "pw")
    client.force_login(admin_user)
    rule = NoticeRule.objects.get(action="dispatch", audience="reporter", channel="email")
    page = client.get(reverse("admin:public_noticerule_change", args=[rule.pk])).content.decode()
    assert "区环境卫生管理所" in page and "District sanitation office" in page  # the preview, both languages
    for name in ("admin:public_follower_changelist", "admin:public_gridsubscription_changelist"):
        listing = client.get(reverse(name))
        assert listing.status_code == 200
        assert (
            REPORTER_EMAIL not in listing.content.decode() and SUPPORTER_PHONE not in listing.content.decode()
        )
    follower = Follower.objects.filter(case__isnull=False).first()
    detail = client.get(reverse("admin:public_follower_change", args=[follower.pk])).content.decode()
    assert follower.token not in detail and REPORTER_EMAIL not in detail
