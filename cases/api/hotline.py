"""REST endpoints of the 12345 hotline (mounted under /api/v1/ by gridmgmt.api_urls): a case taken on the
phone with its caller, the call back (回访) of a closed one, and a caller's number revealed with a reason.

The same services as the pages (cases.hotline, cases.services.case_callback); the case bodies are the
report API's (cases.api.views.case_detail_data) with the caller, masked, beside them.
"""

from django.urls import path, reverse
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridmgmt.api import TextField, error_responses
from gridmgmt.errors import NotAllowed
from gridmgmt.json_io import JSONParser

from .. import hotline, services
from ..models import Case, CaseCaller
from ..services import MAX_TEXT
from ..workflow import Action
from . import serializers as s
from .views import NUMBER, _action_schema, _CaseActionView, case_detail_data, case_for

# --- serializers ------------------------------------------------------------------------------------------


class CallerSerializer(serializers.Serializer):
    """Who rang, masked as every staff page shows it, and the latest call back."""

    name = serializers.CharField(help_text="Masked: the first character and a star for each other, 王**")
    phone = serializers.CharField(help_text="Masked: 138****1234")
    callback_result = s.BlankAsNullChoiceField(
        choices=CaseCaller.Callback.choices, help_text="What the caller said at the latest call back"
    )
    callback_note = serializers.CharField(help_text="Note of the latest call back")
    callback_at = serializers.DateTimeField(allow_null=True, help_text="When the latest call back was")
    callback_by = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="Username of who called back"))
    def get_callback_by(self, caller: dict) -> str | None:
        return caller["callback_by"].get_username() if caller["callback_by"] is not None else None


class HotlineCaseSerializer(s.CaseDetailSerializer):
    """A hotline case: the case's detail body and its caller (masked)."""

    caller = CallerSerializer(read_only=True)


class HotlineCaseCreateInputSerializer(s.CaseCreateInputSerializer):
    """The report API's fields (the source is always hotline; the caller replaces reporter_name/contact)
    and who rang."""

    source = None
    reporter_name = None
    reporter_contact = None
    caller_name = TextField(
        max_length=hotline.MAX_CALLER_NAME,
        required=False,
        allow_blank=True,
        default="",
        help_text="The caller's name, if they give it; stored encrypted, shown masked",
    )
    caller_phone = TextField(
        max_length=40,
        help_text="The caller's number: a mainland mobile or a landline with its area code; +86, spaces and "
        "dashes are fine. Stored encrypted, shown masked.",
    )


class CallbackInputSerializer(s.VersionedInputSerializer):
    result = serializers.ChoiceField(
        choices=CaseCaller.Callback.choices, help_text="What the caller said (the latest call back counts)"
    )
    note = TextField(
        max_length=MAX_TEXT,
        required=False,
        allow_blank=True,
        default="",
        help_text="Kept in the case history",
    )


class RevealInputSerializer(serializers.Serializer):
    reason = TextField(
        max_length=hotline.MAX_REVEAL_REASON, help_text="Why the number is needed (kept in the case history)"
    )


class RevealedCallerSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="In full; empty when the caller gave none")
    phone = serializers.CharField(help_text="In full, digits only: 13800138000, 079186123456")
    phone_display = serializers.CharField(help_text="As people read it: 0791-86123456")


def hotline_case_data(request: Request, case: Case, *, loaded: bool = False) -> dict:
    """The case's detail body with its caller, masked for the requester."""
    caller = hotline.caller_for(case, request.user)
    return {
        **case_detail_data(request, case, loaded=loaded),
        "caller": CallerSerializer(caller).data if caller is not None else None,
    }


# --- views ------------------------------------------------------------------------------------------------


class HotlineCaseCreateView(APIView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        tags=["hotline"],
        operation_id="hotline_cases_report",
        summary="Take a hotline call as a case (dispatchers)",
        description="The report API's fields and the caller's: name (optional) and phone, stored encrypted. "
        "The case's source is hotline. Photos need multipart/form-data.",
        request={
            "application/json": HotlineCaseCreateInputSerializer,
            "multipart/form-data": HotlineCaseCreateInputSerializer,
        },
        examples=[
            OpenApiExample(
                "A caller reports a blocked drain",
                value={
                    "caller_name": "王先生",
                    "caller_phone": "138 0013 8000",
                    "lat": 28.68,
                    "lng": 115.89,
                    "category": "0101",
                    "description": "雨水井堵塞，路面积水",
                    "priority": 2,
                },
                request_only=True,
            )
        ],
        responses={201: HotlineCaseSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        # The role before the input: someone who may not take calls learns that, not what a field lacks.
        if not hotline.is_dispatcher(request.user):
            raise NotAllowed(hotline.ONLY_DISPATCHERS_TAKE_CALLS)
        serializer = HotlineCaseCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        facility = services.facility_by_code(data["facility"]) if data["facility"] else None
        case = hotline.hotline_case_report(
            actor=request.user,
            caller_name=data["caller_name"],
            caller_phone=data["caller_phone"],
            lat=data.get("lat"),
            lng=data.get("lng"),
            category=data.get("category"),
            facility=facility,
            description=data["description"],
            address=data["address"],
            priority=data.get("priority"),
            photos=data.get("photos", []),
        )
        # What the body shows beyond the case row, known here: nothing pending yet, and the photos just sent.
        case.pending_extensions = []
        case.photo_list = list(case.photos.all()) if data.get("photos") else []
        location = reverse("api-case-detail", kwargs={"number": case.number})
        return Response(
            hotline_case_data(request, case, loaded=True), status=201, headers={"Location": location}
        )


@_action_schema(
    "Record the call back (回访) of a closed hotline case: what the caller said",
    example={"result": "satisfied", "note": "市民表示问题已解决"},
    responses={200: HotlineCaseSerializer, **error_responses(400, 403, 404, 409)},
)
class CaseCallbackView(_CaseActionView):
    action, input_serializer = Action.CALLBACK, CallbackInputSerializer

    def perform(self, *, case, actor, expected_version, result, note):
        return services.case_callback(
            case=case, actor=actor, result=result, note=note, expected_version=expected_version
        )

    def output(self, request: Request, case: Case, result) -> dict:
        return hotline_case_data(request, case)


class CallerRevealView(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        tags=["hotline"],
        operation_id="cases_caller_reveal",
        summary="The caller's name and number in full (dispatchers); the reveal and its reason are recorded "
        "in the case's history",
        parameters=[NUMBER],
        request={
            "application/json": RevealInputSerializer,
            "application/x-www-form-urlencoded": RevealInputSerializer,
        },
        examples=[OpenApiExample("Calling back", value={"reason": "回访"}, request_only=True)],
        responses={200: RevealedCallerSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        case = case_for(request, number)
        if not hotline.is_dispatcher(request.user):
            raise NotAllowed(hotline.ONLY_DISPATCHERS_REVEAL)
        serializer = RevealInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        revealed = hotline.caller_reveal(
            case=case, actor=request.user, reason=serializer.validated_data["reason"]
        )
        response = Response(RevealedCallerSerializer(revealed).data)
        response["Cache-Control"] = "no-store"  # a revealed number must not sit in a cache
        return response


# Mounted by gridmgmt.api_urls: path("", include("cases.api.hotline")).
urlpatterns = [
    path("hotline/cases/", HotlineCaseCreateView.as_view(), name="api-hotline-cases"),
    path("cases/<str:number>/callback/", CaseCallbackView.as_view(), name="api-case-callback"),
    path("cases/<str:number>/caller/reveal/", CallerRevealView.as_view(), name="api-case-caller-reveal"),
]
