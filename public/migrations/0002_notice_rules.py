"""The default notice rules (issue 19): which public step tells whom, by e-mail and by text message, in
Chinese and English. Data, edited afterwards in the admin; a rule already there (edited) is left alone.

Every body ends with the unsubscribe link. A body's line whose link ({url}, {rating_url}) is empty is left
out when the notice is written (a hidden case has no public page; only a closed case's reporter is asked to
rate), so each link stands on a line of its own.
"""

from django.db import migrations

REPORTER, SUPPORTERS, GRID = "reporter", "supporters", "grid"

# action → (what happened, zh; en): "您反映的问题 {number}（…）<zh>" / "Your report {number} (…) <en>"
_STEPS = {
    "file": ("已由指挥中心受理", "was accepted by the dispatch center"),
    "dispatch": ("已转交{department}处理", "was sent to {department}"),
    "resolve": ("已由承办部门处理完毕，等待核查", "was reported fixed by the department; it will be checked"),
    "verify_pass": ("经现场核查，已办结", "was checked on site and closed"),
    "verify_desk": ("已办结", "was closed"),
    "reject": ("未予受理", "was not accepted"),
    "reopen": ("已退回承办部门返工", "was sent back to the department for rework"),
}
# Which audiences each step tells (the reporter hears of their case even when it is not public).
_AUDIENCES = {
    "file": (REPORTER, SUPPORTERS),
    "dispatch": (REPORTER, SUPPORTERS),
    "resolve": (REPORTER, SUPPORTERS),
    "verify_pass": (REPORTER, SUPPORTERS),
    "verify_desk": (REPORTER, SUPPORTERS),
    "reject": (REPORTER,),
    "reopen": (REPORTER, SUPPORTERS),
}
_RATE = ("请评价处理结果：{rating_url}", "Please rate the result: {rating_url}")
_CLOSING = {"verify_pass", "verify_desk"}


def _step_rule(action: str, audience: str, channel: str) -> dict:
    zh, en = _STEPS[action]
    if audience == REPORTER:
        who_zh, who_en, comma = "您反映的问题", "Your report", ""
    else:
        who_zh, who_en, comma = "您关注的问题", "The case you follow,", ","
    rate = audience == REPORTER and action in _CLOSING
    if channel == "sms":
        body_zh = [f"{who_zh}{{number}}{zh}。", "进展：{url}"]
        body_en = [f"{who_en} {{number}}{comma} {en}.", "Details: {url}"]
        if rate:
            body_zh.append("请评价：{rating_url}")
            body_en.append("Rate it: {rating_url}")
        body_zh.append("退订：{unsubscribe_url}")
        body_en.append("Stop: {unsubscribe_url}")
    else:
        body_zh = [
            f"{who_zh} {{number}}（{{category}}，{{place}}）{zh}。",
            "当前状态：{state}。",
            "",
            "查看进展：{url}",
        ]
        body_en = [
            f"{who_en} {{number}} ({{category}}, {{place}}){comma} {en}.",
            "Its state: {state}.",
            "",
            "Follow it here: {url}",
        ]
        if rate:
            body_zh.append(_RATE[0])
            body_en.append(_RATE[1])
        body_zh += ["", "不再接收此类通知：{unsubscribe_url}"]
        body_en += ["", "To stop these messages: {unsubscribe_url}"]
    subject_who_zh = "您反映的问题" if audience == REPORTER else "您关注的问题"
    subject_who_en = "Your report" if audience == REPORTER else "Case"
    return {
        "subject_zh": f"{subject_who_zh} {{number}} {zh}",
        "subject_en": f"{subject_who_en} {{number}} {en}",
        "body_zh": "\n".join(body_zh),
        "body_en": "\n".join(body_en),
    }


def _report_rules(channel: str) -> dict[str, dict]:
    if channel == "sms":
        reporter = {
            "body_zh": "您反映的问题已收到，编号{number}，状态：{state}。\n进展：{url}\n退订：{unsubscribe_url}",
            "body_en": "We received your report, case {number} ({state}).\nDetails: {url}\n"
            "Stop: {unsubscribe_url}",
        }
        grid = {
            "body_zh": "您订阅的网格有新问题{number}：{category}。\n查看：{url}\n退订：{unsubscribe_url}",
            "body_en": "New problem in your grid, case {number}: {category}.\nSee: {url}\n"
            "Stop: {unsubscribe_url}",
        }
    else:
        reporter = {
            "body_zh": "您反映的问题（{category}，{place}）已收到，编号 {number}，当前状态：{state}。\n\n"
            "查看进展：{url}\n\n不再接收此类通知：{unsubscribe_url}",
            "body_en": "We received your report ({category}, {place}) as case {number}. Its state: {state}.\n\n"
            "Follow it here: {url}\n\nTo stop these messages: {unsubscribe_url}",
        }
        grid = {
            "body_zh": "您订阅的网格（{place}）有新反映的问题：{category}，编号 {number}。\n\n查看：{url}\n\n"
            "不再接收此网格的通知：{unsubscribe_url}",
            "body_en": "A new problem was reported in the grid you follow ({place}): {category}, case {number}."
            "\n\nSee it here: {url}\n\nTo stop hearing of this grid: {unsubscribe_url}",
        }
    reporter |= {
        "subject_zh": "我们已收到您反映的问题 {number}",
        "subject_en": "We received your report {number}",
    }
    grid |= {
        "subject_zh": "网格新问题 {number}：{category}",
        "subject_en": "New problem in your grid: {category}",
    }
    return {REPORTER: reporter, GRID: grid}


def default_rules() -> list[dict]:
    rows = []
    for channel in ("email", "sms"):
        for audience, texts in _report_rules(channel).items():
            rows.append({"action": "report", "audience": audience, "channel": channel, **texts})
        for action, audiences in _AUDIENCES.items():
            for audience in audiences:
                rows.append(
                    {
                        "action": action,
                        "audience": audience,
                        "channel": channel,
                        **_step_rule(action, audience, channel),
                    }
                )
    return rows


def seed(apps, schema_editor):
    NoticeRule = apps.get_model("public", "NoticeRule")
    for row in default_rules():
        key = {name: row.pop(name) for name in ("action", "audience", "channel")}
        NoticeRule.objects.get_or_create(**key, defaults=row)


def unseed(apps, schema_editor):
    NoticeRule = apps.get_model("public", "NoticeRule")
    for row in default_rules():
        NoticeRule.objects.filter(
            action=row["action"], audience=row["audience"], channel=row["channel"]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("public", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
