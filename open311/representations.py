"""Cases, categories and attributes as GeoReport v2 documents (plain data for open311.formats).

Identifiers (service codes, request ids, tokens, attribute and value keys) are always strings.
"""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from cases.models import OPEN_STATES, Case, CaseState, Category
from worktime.deadlines import deadline_after, stage_limit_minutes

from .models import ServiceAttribute, ServiceRequest

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"

# The stages up to the fix the resident asked for; verification afterwards is the city checking its work.
_STAGES_TO_FIX = (Case.Stage.FILING, Case.Stage.DISPATCH, Case.Stage.HANDLING)


def w3c(moment: dt.datetime | None) -> str | None:
    """2026-11-25T14:03:00+08:00: local time of the deployment with its offset, as the spec requires."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def duration(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day" + ("s" if days != 1 else "")
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{minutes} minutes"


def service_notice(category: Category) -> str:
    """The service level a report of this kind gets, from the category's SLA limits."""
    clock = " around the clock" if category.around_the_clock else ""
    return (
        f"The dispatch center files a report within {duration(category.filing_minutes)} and dispatches it "
        f"within {duration(category.dispatch_minutes)}; the responsible department then has "
        f"{duration(category.handling_minutes)} to fix it{clock}."
    )


def service_dict(category: Category) -> dict:
    group = category.parent.name if category.parent_id else ""
    words = [category.name, category.name_en, group, category.parent.name_en if category.parent_id else ""]
    keywords = []
    for word in words:
        if word and word not in keywords:
            keywords.append(word)
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.name_en or category.name,
        "metadata": bool(getattr(category, "has_attributes", False)),
        "type": "realtime",
        "keywords": ", ".join(keywords),
        "group": group,
    }


def attribute_dict(attribute: ServiceAttribute) -> dict:
    return {
        "variable": attribute.variable,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.datatype_description or None,
        "order": attribute.order,
        "description": attribute.description,
        "values": [{"key": value.key, "name": value.name} for value in attribute.values.all()],
    }


def definition_dict(category: Category, attributes: list[ServiceAttribute]) -> dict:
    return {"service_code": category.code, "attributes": [attribute_dict(a) for a in attributes]}


def status_of(case: Case) -> str:
    return "open" if case.state in OPEN_STATES else "closed"


def status_notes(case: Case) -> str:
    """Our detailed state behind the spec's open/closed: a fixed phrase per state, never text staff typed
    (a rejection's reason and the chain's notes stay inside; they may name people or places)."""
    department = case.department.name if case.department_id else "the responsible department"
    notes = {
        CaseState.REPORTED: "reported; waiting to be filed by the dispatch center",
        CaseState.FILED: "filed; waiting to be dispatched to a department",
        CaseState.DISPATCHED: f"dispatched to {department}",
        CaseState.IN_PROGRESS: f"being handled by {department}",
        CaseState.RETURNED: "returned to the dispatch center to be sent to the right department",
        CaseState.RESOLVED: f"fixed by {department}; waiting for on-site verification",
        CaseState.CLOSED: "closed: the fix was verified on site",
    }
    if case.state == CaseState.REJECTED:
        original = case.duplicate_of if case.duplicate_of_id else None
        if original is None:
            return "rejected"
        # The surviving case is named only when the public may read it; otherwise its number leads nowhere.
        if not original.is_public:
            return "rejected as a duplicate"
        return f"rejected as a duplicate of {original.number}"
    text = notes.get(case.state, case.state)
    if case.suspended_at is not None:
        text += "; suspended (挂账) for now"
    return text


def expected_datetime(case: Case) -> dt.datetime | None:
    """When the fix is due under the category's SLA.

    Dispatched or in progress: the running handling deadline (it includes approved extensions). Before that:
    the current stage's deadline plus the limits of the stages still to come. Resolved: the verification
    deadline, when the case should be closed. Closed, rejected or suspended (the clock stands still): none.
    """
    if case.state not in OPEN_STATES or case.suspended_at is not None:
        return None
    if case.state == CaseState.RESOLVED:
        return case.deadline_at
    category = case.category
    stage = case.deadline_stage if case.deadline_stage in _STAGES_TO_FIX else None
    if stage is None or case.deadline_at is None:
        due, remaining = case.reported_at, _STAGES_TO_FIX
    else:
        due, remaining = case.deadline_at, _STAGES_TO_FIX[_STAGES_TO_FIX.index(stage) + 1 :]
    for later in remaining:
        due = deadline_after(
            due, stage_limit_minutes(category, later), around_the_clock=category.around_the_clock
        )
    return due


def _open311_request(case: Case) -> ServiceRequest | None:
    try:
        return case.open311_request
    except ServiceRequest.DoesNotExist:
        return None


def media_url(case: Case, absolute) -> str | None:
    """The first report photo, else the media URL an Open311 client sent with the request."""
    photos = getattr(case, "report_photos", None)
    if photos is None:
        photos = list(case.photos.filter(kind="report").order_by("created_at", "id")[:1])
    if photos:
        # The EXIF-free copy (the original may carry the reporter's GPS track and device), served publicly
        # like the rest of a GeoReport request.
        return absolute(reverse("open311:media", args=[photos[0].pk]))
    sent = _open311_request(case)
    return sent.media_url if sent is not None and sent.media_url else None


def request_dict(case: Case, absolute) -> dict:
    """One service request; `absolute` turns a site path into a full URL (request.build_absolute_uri)."""
    return {
        "service_request_id": case.number,
        "status": status_of(case),
        "status_notes": status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        # The dispatch center may replace what the reporter wrote (abusive words, a name) for the public.
        "description": case.public_description or case.description,
        "agency_responsible": case.department.name if case.department_id else None,
        "service_notice": service_notice(case.category),
        "requested_datetime": w3c(case.reported_at),
        # Every transition stamps updated_at, closing included: for a closed request it is the closing time.
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(expected_datetime(case)),
        "address": case.address or (case.grid.name if case.grid_id else None),
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lng,
        "media_url": media_url(case, absolute),
    }


def created_dict(case: Case, service_request: ServiceRequest) -> dict:
    """The POST answer. Our services are realtime, so it carries the id and, as the spec says, no token."""
    expected = w3c(expected_datetime(case))
    notice = f"Received as case {case.number}. {service_notice(case.category)}"
    if expected:
        notice += f" Expected to be fixed by {expected}."
    return {
        "service_request_id": case.number,
        "service_notice": notice,
        "account_id": service_request.account_id or None,
    }


def token_dict(service_request: ServiceRequest) -> dict:
    return {"service_request_id": service_request.case.number, "token": service_request.token}
