"""The demo's hotline: its cases are taken with their callers encrypted (cases.hotline), a few callers ring
again and again (the intake shows it), and most closed calls have been called back a few hours after
closing; the latest ones still wait on /hotline/callbacks/.

Numbers are 1380000xxxx and 0791-8600xxxx: obviously made up, so the demo never shows a real person's phone.
"""

import datetime as dt
import random

from cases import services as case_services
from cases.hotline import hotline_case_report
from cases.models import Case, CaseCaller, CaseState
from gridmgmt import clock

from . import reference as data

CALLER_COUNT = 40
# The first few callers ring far more often than the rest: the neighbourhood's regulars.
REGULARS = 4
REGULAR_WEIGHT = 8

CALLBACK_SHARE = 0.8  # of the closed calls whose call back time has come
CALLBACK_AFTER_HOURS = (2, 30)
RESULTS = (
    (CaseCaller.Callback.SATISFIED, 60, ("问题已解决，谢谢", "处理很及时", "")),
    (CaseCaller.Callback.BASICALLY, 22, ("基本解决，希望加强巡查", "处理慢了一点", "")),
    (CaseCaller.Callback.UNSATISFIED, 9, ("问题反复出现", "现场仍未处理干净")),
    (CaseCaller.Callback.UNREACHABLE, 9, ("电话无人接听", "号码关机")),
)


def demo_callers(rng: random.Random) -> list[tuple[str, str]]:
    """The district's callers: (name, phone), a tenth of them anonymous, some on landlines."""
    callers = []
    for index in range(CALLER_COUNT):
        name = "" if rng.random() < 0.1 else rng.choice(data.HOTLINE_CALLERS).removeprefix("市民")
        if name == "匿名市民":
            name = ""
        phone = f"0791-8600{index:04d}" if index % 5 == 4 else f"1380000{index:04d}"
        callers.append((name, phone))
    return callers


def demo_hotline_report(rng: random.Random, callers: list[tuple[str, str]], *, actor, **report) -> Case:
    """A hotline case as the dispatcher takes it (the caller encrypted); `report` is case_report's
    arguments but the source and the reporter fields."""
    weights = [REGULAR_WEIGHT if index < REGULARS else 1 for index in range(len(callers))]
    name, phone = rng.choices(callers, weights)[0]
    return hotline_case_report(actor=actor, caller_name=name, caller_phone=phone, **report)


def demo_callbacks_seed(*, rng: random.Random, now: dt.datetime, dispatcher) -> int:
    """Call back most closed hotline calls a few hours after they closed (when that time has come), each at
    its moment; returns how many. The others wait in the dispatcher's list."""
    cases = Case.objects.filter(
        source=Case.Source.HOTLINE, state=CaseState.CLOSED, caller__isnull=False
    ).order_by("closed_at", "pk")
    weights = [weight for _, weight, _ in RESULTS]
    done = 0
    for case in cases:
        at = case.closed_at + dt.timedelta(hours=rng.uniform(*CALLBACK_AFTER_HOURS))
        if at > now - dt.timedelta(hours=1) or rng.random() > CALLBACK_SHARE:
            continue
        result, _, notes = rng.choices(RESULTS, weights)[0]
        with clock.frozen_at(at.replace(microsecond=0)):
            case_services.case_callback(case=case, actor=dispatcher, result=result, note=rng.choice(notes))
        done += 1
    return done
