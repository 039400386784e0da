"""REST views for cases: list and report, detail, the timeline, one endpoint per workflow action, categories.

Views are thin: scope comes from cases.selectors (the same reads as the web pages), every write is one
call of the same service the web pages call, and errors are the services' DomainErrors, which
gridmgmt.api turns into the shared JSON error shape.
"""

import re

from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridmgmt import clock
from gridmgmt.api import CursorPagination, error_responses
from gridmgmt.errors import InvalidInput, NotAllowed
from gridmgmt.json_io import JSONParser
from gridmgmt.people import sees_staff_names
from gridmgmt.roles import Role, user_roles

from .. import services
from ..audit import chain_verify
from ..models import Case, CaseEvent, CasePhoto, CaseState, Category, ExtensionRequest
from ..photos import photo_derivatives_make
from ..selectors import case_actions_for, case_events, case_get_for, cases_filter, cases_visible_to
from ..workflow import TRANSITIONS, Action
from . import serializers as s

# The URL segment of each action under /api/v1/cases/{number}/ (urls.py and the detail's links use it).
ACTION_PATHS = {
    Action.FILE: "file/",
    Action.REJECT: "reject/",
    Action.DISPATCH: "dispatch/",
    Action.ACCEPT: "accept/",
    Action.RETURN: "return/",
    Action.REQUEST_EXTENSION: "extension-requests/",
    Action.APPROVE_EXTENSION: "extension/approve/",
    Action.DENY_EXTENSION: "extension/deny/",
    Action.SUSPEND: "suspend/",
    Action.RESUME: "resume/",
    Action.RESOLVE: "resolve/",
    Action.VERIFY_PASS: "verify-pass/",
    Action.VERIFY_FAIL: "verify-fail/",
    Action.VERIFY_DESK: "verify-desk/",
    Action.DELEGATE_VERIFICATION: "delegate-verification/",
    Action.REOPEN: "reopen/",
}

# The source a report gets from the reporter's role when the caller names none; an explicit source must
# be one of these for a role the caller holds ("open311" belongs to the Open311 endpoint alone).
ROLE_SOURCES = {
    Role.GRID_ADMIN: Case.Source.PATROL,
    Role.DISPATCHER: Case.Source.HOTLINE,
    Role.RESIDENT: Case.Source.RESIDENT,
}

_DETAIL_RELATED = (
    "category__parent",
    "grid__community__parent",
    "department",
    "suggested_department",
    "facility",
)
_CASE_ERRORS = error_responses(400, 403, 404, 409)
NUMBER = OpenApiParameter(
    "number",
    str,
    OpenApiParameter.PATH,
    pattern=r"^[0-9]{1,20}$",
    description="Case number, e.g. 20240501000042 (report date and a serial)",
)

_PHOTO_ID = re.compile(r"[0-9]{1,18}", re.ASCII)  # an id in range; not str.isdigit(), which takes "²"


def case_for(request: Request, number: str) -> Case:
    """The case with this number if the caller may see it; 404 otherwise, exactly like the web pages."""
    if not (number.isascii() and number.isdigit() and len(number) <= 20):
        raise Http404("No such case")
    pk = Case.objects.filter(number=number).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404("No such case")
    return case_get_for(request.user, pk)


_PENDING_EXTENSION = Prefetch(
    "extension_requests",
    queryset=ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING).select_related(
        "requested_by"
    ),
    to_attr="pending_extensions",
)


def case_detail_data(request: Request, case: Case, *, loaded: bool = False) -> dict:
    """The detail body of a case. `loaded`: the case comes from the service that has just written it, with
    everything the body shows already on it (a new report), so it is not read again."""
    if not loaded:
        case = (
            Case.objects.select_related(*_DETAIL_RELATED, "duplicate_of")
            .prefetch_related(Prefetch("photos", to_attr="photo_list"), _PENDING_EXTENSION)
            .get(pk=case.pk)
        )
    actions = [
        {"action": action, "path": reverse(f"api-case-{action}", kwargs={"number": case.number})}
        for action in case_actions_for(request.user, case)
        if action in ACTION_PATHS
    ]
    context = {"request": request, "actions": actions}
    if sees_staff_names(request.user) and not loaded:  # a new report has no step to prove yet
        context["evidence"] = _steps_evidence(case)
    return s.CaseDetailSerializer(case, context=context).data


# Steps whose events carry proof: photos and on-site findings, a desk decision, a delegated verifier.
_PROVING = (Action.REPORT, Action.RESOLVE, Action.VERIFY_PASS, Action.VERIFY_FAIL, Action.VERIFY_DESK)


def _steps_evidence(case: Case) -> list[dict]:
    """Each proving step of the case with what it brought (two queries: its events, and its delegations
    when a delegated verifier acted)."""
    events = list(
        CaseEvent.objects.filter(case=case, action__in=_PROVING)
        .order_by("seq")
        .only("seq", "action", "created_at", "data")
    )
    delegations = {}
    if any(e.data.get("delegated") for e in events):
        delegations = dict(case.verifier_delegations.values_list("pk", "reason"))
    return [
        {
            "seq": e.seq,
            "action": e.action,
            "created_at": e.created_at,
            "photos": e.data.get("photos", 0),
            "desk": bool(e.data.get("desk")),
            "delegated": bool(e.data.get("delegated")),
            "delegation_reason": delegations.get(e.data.get("delegation")),
            "evidence": e.data.get("evidence"),
        }
        for e in events
    ]


class CaseCursorPagination(CursorPagination):
    ordering = ("-reported_at", "id")


_FILTERS = [
    OpenApiParameter("state", str, enum=CaseState.values, description="Current state"),
    OpenApiParameter("category", str, description="Category code; a major class code covers its minors"),
    OpenApiParameter("grid", str, description="14-digit grid code"),
    OpenApiParameter("community", str, description="12-digit community code"),
    OpenApiParameter("street", str, description="9-digit street code"),
    OpenApiParameter("department", str, description="Code of the responsible department"),
    OpenApiParameter(
        "reported_after", str, description="ISO 8601 date or date-time; reported at or after it"
    ),
    OpenApiParameter(
        "reported_before",
        str,
        description="ISO 8601 date or date-time; reported before it (a bare date includes that day)",
    ),
    OpenApiParameter("overdue", bool, description="true: open, past the running deadline, not suspended"),
]


class CaseListView(GenericAPIView):
    pagination_class = CaseCursorPagination
    serializer_class = s.CaseCreateInputSerializer  # what OPTIONS describes
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        tags=["cases"],
        operation_id="cases_list",
        summary="Cases in the caller's scope, newest first",
        description="Scoped like the web pages: grid administrators see their grids, department staff "
        "their department's cases, residents their own reports, dispatchers and supervisors everything.",
        parameters=_FILTERS,
        responses={200: s.CaseSummarySerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        # An empty value (`?state=`) means "no filter", as a web form sends it.
        params = {key: value for key, value in request.query_params.items() if value != ""}
        filters = s.CaseFilterSerializer(data=params)
        filters.is_valid(raise_exception=True)
        now = clock.now()
        cases = cases_filter(cases_visible_to(request.user), now=now, **filters.validated_data)
        page = self.paginate_queryset(cases)
        data = s.CaseSummarySerializer(page, many=True, context={"request": request, "now": now}).data
        return self.get_paginated_response(data)

    @extend_schema(
        tags=["cases"],
        operation_id="cases_report",
        summary="Report a new case",
        description="Located to its grid and routed after commit. Grid administrators report in their own "
        "grids only. A case on a city facility names its 16-digit `facility` code instead of lat and lng. "
        "Photos need multipart/form-data.",
        request={
            "application/json": s.CaseCreateInputSerializer,
            "multipart/form-data": s.CaseCreateInputSerializer,
        },
        examples=[
            OpenApiExample(
                "A broken manhole cover",
                value={
                    "lat": 28.68,
                    "lng": 115.89,
                    "category": "0101",
                    "description": "井盖破损，有行人跌落风险",
                    "address": "八一大道 1 号",
                    "priority": 1,
                },
                request_only=True,
            ),
            OpenApiExample(
                "A missing manhole cover, named by its facility code",
                value={"facility": "3601020101000001", "description": "井盖缺失"},
                request_only=True,
            ),
        ],
        responses={201: s.CaseDetailSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        serializer = s.CaseCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        facility = services.facility_by_code(data["facility"]) if data["facility"] else None
        case = services.case_report(
            actor=request.user,
            source=_report_source(request.user, data.get("source")),
            lat=data.get("lat"),
            lng=data.get("lng"),
            category=data.get("category"),
            facility=facility,
            description=data["description"],
            address=data["address"],
            priority=data.get("priority"),
            reporter_name=data["reporter_name"],
            reporter_contact=data["reporter_contact"],
            photos=data.get("photos", []),
        )
        # What the body shows beyond the case row, known here: nothing pending yet, and the photos just sent.
        case.pending_extensions = []
        case.photo_list = list(case.photos.all()) if data.get("photos") else []
        location = reverse("api-case-detail", kwargs={"number": case.number})
        body = case_detail_data(request, case, loaded=True)
        return Response(body, status=201, headers={"Location": location})


def _report_source(user, requested: str | None) -> str:
    allowed = [source for role, source in ROLE_SOURCES.items() if role in user_roles(user)]
    if not allowed:
        # No reporting role: the service refuses with the roles that may report (403).
        return requested or Case.Source.RESIDENT
    if requested is None:
        return allowed[0]
    if requested not in allowed:
        raise InvalidInput(
            gettext_noop("your role reports with source %(allowed)s, not %(requested)s"),
            allowed=" or ".join(allowed),
            requested=requested,
            field="source",
        )
    return requested


class CaseDetailView(APIView):
    @extend_schema(
        tags=["cases"],
        operation_id="cases_detail",
        summary="One case, with the actions the caller may take now",
        parameters=[NUMBER],
        responses={200: s.CaseDetailSerializer, **error_responses(404)},
    )
    def get(self, request: Request, number: str) -> Response:
        return Response(case_detail_data(request, case_for(request, number)))


class CaseEventsView(APIView):
    @extend_schema(
        tags=["cases"],
        operation_id="cases_events",
        summary="The case's timeline: hash-chained events, oldest first",
        parameters=[NUMBER],
        responses={200: s.CaseTimelineSerializer, **error_responses(404)},
    )
    def get(self, request: Request, number: str) -> Response:
        case = case_for(request, number)
        events = list(case_events(case))
        broken = chain_verify(case.number, events, head=(case.audit_seq, case.audit_head))
        timeline = {
            "case": case.number,
            "chain_intact": broken is None,
            "broken_link": str(broken) if broken else None,
            "events": events,
        }
        context = {"staff": sees_staff_names(request.user)}
        return Response(s.CaseTimelineSerializer(timeline, context=context).data)


class _JSONOnly(BaseContentNegotiation):
    """Errors as JSON whatever the client accepts; a photo itself is a file response, not rendered."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CasePhotoView(APIView):
    content_negotiation_class = _JSONOnly

    @extend_schema(
        tags=["cases"],
        operation_id="cases_photo",
        summary="A case photo as JPEG: the display copy or the thumbnail, without EXIF",
        parameters=[
            NUMBER,
            OpenApiParameter(
                "photo_id", int, OpenApiParameter.PATH, description="`id` from the case's photos"
            ),
            OpenApiParameter("variant", str, OpenApiParameter.PATH, enum=["display", "thumb"]),
        ],
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY, **error_responses(404)},
    )
    def get(self, request: Request, number: str, photo_id: str, variant: str) -> HttpResponseBase:
        case = case_for(request, number)
        if variant not in ("display", "thumb") or not _PHOTO_ID.fullmatch(photo_id):
            raise Http404("No such photo")
        photo = CasePhoto.objects.filter(pk=int(photo_id), case=case).first()
        if photo is None:
            raise Http404("No such photo")
        if not (photo.display and photo.thumbnail):
            # The task has not run yet (no worker, broker down): make the copies now, as the pages do.
            try:
                photo = photo_derivatives_make(photo_id=photo.pk)
            except OSError as exc:
                raise Http404("The photo cannot be read") from exc
        field = photo.thumbnail if variant == "thumb" else photo.display
        try:
            handle = field.open("rb")
        except (OSError, ValueError) as exc:
            raise Http404("The photo file is missing") from exc
        response = FileResponse(handle, content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=86400"
        return response


# --- workflow actions -------------------------------------------------------------------------------------


def _roles_for(action: str) -> frozenset[str]:
    return frozenset().union(*(t.roles for (_, a), t in TRANSITIONS.items() if a == action))


class _CaseActionView(APIView):
    """POST an action's input; answers with the case as it is now. Order of refusals: a case the caller
    cannot see is 404, a role that never takes this action 403, bad input 400, then the service decides
    (403 out of scope, 409 wrong state or stale `version`)."""

    action: str
    input_serializer: type[serializers.Serializer]
    parser_classes = [JSONParser, FormParser]
    success_status = 200

    def post(self, request: Request, number: str) -> Response:
        case = case_for(request, number)
        roles = _roles_for(self.action)
        if not user_roles(request.user) & roles:
            raise NotAllowed(
                gettext_noop("only a %(roles)s may %(verb)s a case"),
                roles=services.roles_either(roles),
                verb=services.ACTION_VERBS[self.action],
            )
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        expected_version = data.pop("version", None)
        result = self.perform(case=case, actor=request.user, expected_version=expected_version, **data)
        return Response(self.output(request, case, result), status=self.success_status)

    def perform(self, **kwargs):
        raise NotImplementedError

    def output(self, request: Request, case: Case, result) -> dict:
        return case_detail_data(request, case)


def _action_schema(summary: str, *, example: dict | None = None, responses=None):
    """Document an action view: its own input serializer, as JSON or (for photos) multipart."""

    def decorate(view: type[_CaseActionView]) -> type[_CaseActionView]:
        form = MultiPartParser in view.parser_classes
        media = ("application/json", "multipart/form-data" if form else "application/x-www-form-urlencoded")
        return extend_schema_view(
            post=extend_schema(
                tags=["case actions"],
                operation_id=f"cases_{view.action}",
                summary=summary,
                parameters=[NUMBER],
                request={m: view.input_serializer for m in media},
                examples=[OpenApiExample(summary, value=example, request_only=True)] if example else [],
                responses=responses or {200: s.CaseDetailSerializer, **_CASE_ERRORS},
            )
        )(view)

    return decorate


@_action_schema(
    "File a reported case (立案); the category and priority may be corrected",
    example={"note": "情况属实，予以立案"},
)
class CaseFileView(_CaseActionView):
    action, input_serializer = Action.FILE, s.FileInputSerializer

    def perform(self, *, case, actor, expected_version, note, category=None, priority=None):
        return services.case_file(
            case=case,
            actor=actor,
            note=note,
            category=category,
            priority=priority,
            expected_version=expected_version,
        )


@_action_schema(
    "Reject a report as invalid or as a duplicate of another case", example={"reason": "重复上报"}
)
class CaseRejectView(_CaseActionView):
    action, input_serializer = Action.REJECT, s.RejectInputSerializer

    def perform(self, *, case, actor, expected_version, reason, duplicate_of=None):
        return services.case_reject(
            case=case,
            actor=actor,
            reason=reason,
            duplicate_of=duplicate_of,
            expected_version=expected_version,
        )


@_action_schema(
    "Dispatch a filed or returned case to a department (派遣)",
    example={"department": "sanitation", "note": "请尽快处理"},
)
class CaseDispatchView(_CaseActionView):
    action, input_serializer = Action.DISPATCH, s.DispatchInputSerializer

    def perform(self, *, case, actor, expected_version, department, note):
        return services.case_dispatch(
            case=case, actor=actor, department=department, note=note, expected_version=expected_version
        )


@_action_schema("Accept a dispatched case (the department starts handling it)")
class CaseAcceptView(_CaseActionView):
    action, input_serializer = Action.ACCEPT, s.AcceptInputSerializer

    def perform(self, *, case, actor, expected_version):
        return services.case_accept(case=case, actor=actor, expected_version=expected_version)


@_action_schema("Return a mis-routed case to the dispatch center", example={"reason": "不属于本部门职责"})
class CaseReturnView(_CaseActionView):
    action, input_serializer = Action.RETURN, s.ReasonInputSerializer

    def perform(self, *, case, actor, expected_version, reason):
        return services.case_return(case=case, actor=actor, reason=reason, expected_version=expected_version)


@_action_schema(
    "Request more handling time (延期); the dispatch center decides",
    example={"minutes": 240, "reason": "需要调配专用车辆"},
    responses={201: s.ExtensionRequestCreatedSerializer, **_CASE_ERRORS},
)
class CaseExtensionRequestView(_CaseActionView):
    action, input_serializer = Action.REQUEST_EXTENSION, s.ExtensionRequestInputSerializer
    success_status = 201

    def perform(self, *, case, actor, expected_version, minutes, reason):
        return services.case_request_extension(
            case=case, actor=actor, minutes=minutes, reason=reason, expected_version=expected_version
        )

    def output(self, request: Request, case: Case, result) -> dict:
        return s.ExtensionRequestCreatedSerializer(result).data


@_action_schema("Approve the pending extension request: the deadline moves")
class CaseApproveExtensionView(_CaseActionView):
    action, input_serializer = Action.APPROVE_EXTENSION, s.NoteInputSerializer

    def perform(self, *, case, actor, expected_version, note):
        return services.case_approve_extension(
            case=case, actor=actor, note=note, expected_version=expected_version
        )


@_action_schema("Deny the pending extension request", example={"reason": "现有时限足够"})
class CaseDenyExtensionView(_CaseActionView):
    action, input_serializer = Action.DENY_EXTENSION, s.ReasonInputSerializer

    def perform(self, *, case, actor, expected_version, reason):
        return services.case_deny_extension(
            case=case, actor=actor, reason=reason, expected_version=expected_version
        )


@_action_schema("Suspend a case (挂账): its clock stops", example={"reason": "等待产权单位确认"})
class CaseSuspendView(_CaseActionView):
    action, input_serializer = Action.SUSPEND, s.ReasonInputSerializer

    def perform(self, *, case, actor, expected_version, reason):
        return services.case_suspend(case=case, actor=actor, reason=reason, expected_version=expected_version)


@_action_schema("Resume a suspended case: its clock restarts with the time left")
class CaseResumeView(_CaseActionView):
    action, input_serializer = Action.RESUME, s.NoteInputSerializer

    def perform(self, *, case, actor, expected_version, note):
        return services.case_resume(case=case, actor=actor, note=note, expected_version=expected_version)


@_action_schema("Report the fix, with evidence photos (反馈)", example={"notes": "已清运完毕"})
class CaseResolveView(_CaseActionView):
    action, input_serializer = Action.RESOLVE, s.ResolveInputSerializer
    parser_classes = [JSONParser, MultiPartParser]

    def perform(self, *, case, actor, expected_version, notes, position, taken_at, photos=()):
        return services.case_resolve(
            case=case,
            actor=actor,
            notes=notes,
            photos=photos,
            position=position,
            taken_at=taken_at,
            expected_version=expected_version,
        )


@_action_schema(
    "Verification passed on site: close the case (核查结案); grid administrators of the case's grid or "
    "the delegated one, with the photos and position the category's rule asks for",
    example={"note": "已整改到位", "lat": 28.6801, "lng": 115.8902, "accuracy": 8},
)
class CaseVerifyPassView(_CaseActionView):
    action, input_serializer = Action.VERIFY_PASS, s.VerifyPassInputSerializer
    parser_classes = [JSONParser, MultiPartParser]

    def perform(self, *, case, actor, expected_version, note, position, taken_at, photos=()):
        return services.case_verify_pass(
            case=case,
            actor=actor,
            note=note,
            photos=photos,
            position=position,
            taken_at=taken_at,
            expected_version=expected_version,
        )


@_action_schema("Verification failed: back to the department for rework", example={"reason": "现场仍有垃圾"})
class CaseVerifyFailView(_CaseActionView):
    action, input_serializer = Action.VERIFY_FAIL, s.VerifyFailInputSerializer
    parser_classes = [JSONParser, MultiPartParser]

    def perform(self, *, case, actor, expected_version, reason, position, taken_at, photos=()):
        return services.case_verify_fail(
            case=case,
            actor=actor,
            reason=reason,
            photos=photos,
            position=position,
            taken_at=taken_at,
            expected_version=expected_version,
        )


@_action_schema(
    "Close at the desk without an on-site check (dispatchers); counted as a desk closure",
    example={"reason": "来电人确认已处置"},
)
class CaseVerifyDeskView(_CaseActionView):
    action, input_serializer = Action.VERIFY_DESK, s.VerifyDeskInputSerializer

    def perform(self, *, case, actor, expected_version, reason):
        return services.case_verify_desk(
            case=case, actor=actor, reason=reason, expected_version=expected_version
        )


@_action_schema(
    "Hand the on-site verification to another grid administrator (by username), with a reason",
    example={"delegate": "gridadmin_b", "reason": "本网格网格员休假"},
)
class CaseDelegateVerificationView(_CaseActionView):
    action, input_serializer = Action.DELEGATE_VERIFICATION, s.DelegateVerificationInputSerializer

    def perform(self, *, case, actor, expected_version, delegate, reason):
        return services.case_delegate_verification(
            case=case, actor=actor, delegate=delegate, reason=reason, expected_version=expected_version
        )


@_action_schema(
    "Reopen a closed case for rework by its department (dispatchers), with a reason; counted as rework",
    example={"reason": "回访不满意，复核后确属未整改到位"},
)
class CaseReopenView(_CaseActionView):
    action, input_serializer = Action.REOPEN, s.ReasonInputSerializer

    def perform(self, *, case, actor, expected_version, reason):
        return services.case_reopen(case=case, actor=actor, reason=reason, expected_version=expected_version)


ACTION_VIEWS = {
    Action.FILE: CaseFileView,
    Action.REJECT: CaseRejectView,
    Action.DISPATCH: CaseDispatchView,
    Action.ACCEPT: CaseAcceptView,
    Action.RETURN: CaseReturnView,
    Action.REQUEST_EXTENSION: CaseExtensionRequestView,
    Action.APPROVE_EXTENSION: CaseApproveExtensionView,
    Action.DENY_EXTENSION: CaseDenyExtensionView,
    Action.SUSPEND: CaseSuspendView,
    Action.RESUME: CaseResumeView,
    Action.RESOLVE: CaseResolveView,
    Action.VERIFY_PASS: CaseVerifyPassView,
    Action.VERIFY_FAIL: CaseVerifyFailView,
    Action.VERIFY_DESK: CaseVerifyDeskView,
    Action.DELEGATE_VERIFICATION: CaseDelegateVerificationView,
    Action.REOPEN: CaseReopenView,
}


# --- categories -------------------------------------------------------------------------------------------


class CategoryListView(APIView):
    @extend_schema(
        tags=["categories"],
        operation_id="categories_list",
        summary="The active category tree: major classes with their minor classes and SLA limits",
        responses={200: s.MajorCategorySerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        minors = Category.objects.filter(is_active=True).order_by("code")
        majors = Category.objects.filter(parent__isnull=True, is_active=True).prefetch_related(
            Prefetch("children", queryset=minors, to_attr="active_children")
        )
        return Response(s.MajorCategorySerializer(majors, many=True).data)
