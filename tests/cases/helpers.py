"""Helpers for the case tests: report a case without a broker, drive it into any state, act on it."""

import io
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases import services
from cases.evidence import DevicePosition
from cases.models import Case, CaseState
from cases.workflow import Action
from gridmgmt import clock, tasking

from ..factories import centre

S = CaseState


def png_upload(name: str = "photo.png", size: tuple[int, int] = (8, 8)) -> SimpleUploadedFile:
    """A real PNG, made with Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def report(
    world, *, actor=None, grid=None, category=None, description: str = "垃圾堆放", at=None, **kwargs
) -> Case:
    """A case reported by the grid administrator in grid 1 (or as told, at `at` if given). Routing is never
    published: inside a test transaction on_commit callbacks do not run, and `suppressed` covers
    transactional tests."""
    lat, lng = centre(grid or world.g1)
    with clock.frozen_at(at or clock.now()), tasking.suppressed():
        return services.case_report(
            actor=actor if actor is not None else world.gridadmin,
            source=kwargs.pop("source", "patrol"),
            lat=kwargs.pop("lat", lat),
            lng=kwargs.pop("lng", lng),
            category=category or world.cats.waste,
            description=description,
            **kwargs,
        )


def on_site(case: Case, *, metres_north: float = 0.0, accuracy: float = 8.0) -> DevicePosition:
    """A device position at the case (or `metres_north` of it), as a phone standing there reports it."""
    return DevicePosition(case.lat + metres_north / 111_195.0, case.lng, accuracy)


def evidence(case: Case) -> dict:
    """What the default evidence rules ask of a resolution or a verification: a photo, taken on site."""
    return {"photos": [png_upload()], "position": on_site(case)}


def evidence_fields(case: Case) -> dict:
    """The same evidence as a form or the API sends it: a photo and the device position's fields."""
    where = on_site(case)
    return {
        "photos": [png_upload()],
        "lat": where.lat,
        "lng": where.lng,
        "accuracy": where.accuracy,
    }


# The steps of the main flow, each done by the persona the workflow gives it, with valid input.
_STEPS: dict[str, Callable] = {
    Action.FILE: lambda w, c: services.case_file(case=c, actor=w.dispatcher),
    Action.REJECT: lambda w, c: services.case_reject(case=c, actor=w.dispatcher, reason="不属于受理范围"),
    Action.DISPATCH: lambda w, c: services.case_dispatch(case=c, actor=w.dispatcher, department=w.sanitation),
    Action.ACCEPT: lambda w, c: services.case_accept(case=c, actor=w.staff),
    Action.RETURN: lambda w, c: services.case_return(case=c, actor=w.staff, reason="非本部门职责"),
    Action.RESOLVE: lambda w, c: services.case_resolve(case=c, actor=w.staff, notes="已清运", **evidence(c)),
    Action.VERIFY_PASS: lambda w, c: services.case_verify_pass(case=c, actor=w.gridadmin, **evidence(c)),
}

PATHS: dict[str, tuple[str, ...]] = {
    S.REPORTED: (),
    S.FILED: (Action.FILE,),
    S.DISPATCHED: (Action.FILE, Action.DISPATCH),
    S.IN_PROGRESS: (Action.FILE, Action.DISPATCH, Action.ACCEPT),
    S.RETURNED: (Action.FILE, Action.DISPATCH, Action.RETURN),
    S.RESOLVED: (Action.FILE, Action.DISPATCH, Action.ACCEPT, Action.RESOLVE),
    S.CLOSED: (Action.FILE, Action.DISPATCH, Action.ACCEPT, Action.RESOLVE, Action.VERIFY_PASS),
    S.REJECTED: (Action.REJECT,),
}


def drive(world, state: str, case: Case | None = None) -> Case:
    """A case (new, reported in grid 1 by the grid administrator) taken along the main flow to `state`."""
    case = case or report(world)
    with tasking.suppressed():  # dispatch queues notifications; nothing is published from a test
        for step in PATHS[state]:
            case = _STEPS[step](world, case)
    assert case.state == state
    return case


def act(world, case: Case, action: str, actor, **overrides):
    """Do `action` as `actor` with valid input (what each service needs), through its service."""
    calls: dict[str, Callable] = {
        Action.FILE: lambda: services.case_file(case=case, actor=actor, **overrides),
        Action.REJECT: lambda: services.case_reject(
            case=case, actor=actor, **({"reason": "重复上报"} | overrides)
        ),
        Action.DISPATCH: lambda: services.case_dispatch(
            case=case, actor=actor, **({"department": world.sanitation} | overrides)
        ),
        Action.ACCEPT: lambda: services.case_accept(case=case, actor=actor, **overrides),
        Action.RETURN: lambda: services.case_return(
            case=case, actor=actor, **({"reason": "非本部门职责"} | overrides)
        ),
        Action.REQUEST_EXTENSION: lambda: services.case_request_extension(
            case=case, actor=actor, **({"minutes": 120, "reason": "需要调集设备"} | overrides)
        ),
        Action.APPROVE_EXTENSION: lambda: services.case_approve_extension(
            case=case, actor=actor, **overrides
        ),
        Action.DENY_EXTENSION: lambda: services.case_deny_extension(
            case=case, actor=actor, **({"reason": "理由不充分"} | overrides)
        ),
        Action.SUSPEND: lambda: services.case_suspend(
            case=case, actor=actor, **({"reason": "等待上级批复"} | overrides)
        ),
        Action.RESUME: lambda: services.case_resume(case=case, actor=actor, **overrides),
        Action.RESOLVE: lambda: services.case_resolve(
            case=case, actor=actor, **({"notes": "已处理"} | evidence(case) | overrides)
        ),
        Action.VERIFY_PASS: lambda: services.case_verify_pass(
            case=case, actor=actor, **(evidence(case) | overrides)
        ),
        Action.VERIFY_FAIL: lambda: services.case_verify_fail(
            case=case, actor=actor, **({"reason": "仍有垃圾"} | evidence(case) | overrides)
        ),
        Action.DELEGATE_VERIFICATION: lambda: services.case_delegate_verification(
            case=case,
            actor=actor,
            **({"delegate": world.other_gridadmin, "reason": "网格员休假"} | overrides),
        ),
        Action.CALLBACK: lambda: services.case_callback(
            case=case, actor=actor, **({"result": "satisfied"} | overrides)
        ),
        Action.PUBLICITY: lambda: services.case_publicity_set(
            case=case, actor=actor, **({"public": not case.is_public, "reason": "涉及个人隐私"} | overrides)
        ),
        Action.SUPPORT: lambda: services.case_support_add(case=case, actor=actor, **overrides),
        Action.RATE: lambda: services.case_rate(
            case=case, actor=actor, **({"rating": "dissatisfied", "comment": "没修好"} | overrides)
        ),
        Action.REOPEN: lambda: services.case_reopen(
            case=case, actor=actor, **({"reason": "回访不满意"} | overrides)
        ),
        Action.REVIEW_KEEP: lambda: services.case_review_keep(
            case=case, actor=actor, **({"reason": "已向居民解释"} | overrides)
        ),
        Action.VERIFY_DESK: lambda: services.case_verify_desk(
            case=case, actor=actor, **({"reason": "来电人确认已处置"} | overrides)
        ),
    }
    return calls[action]()


def event_actions(case: Case) -> list[str]:
    return list(case.events.order_by("seq").values_list("action", flat=True))
