"""Shared REST API plumbing: the error shape, shared fields, cursor pagination, token login, schema hooks."""

import math
import re

from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.http import Http404, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView
from rest_framework import exceptions, pagination, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.validators import ProhibitSurrogateCharactersValidator
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .api_policies import LoginThrottle
from .errors import DomainError, error_body
from .json_io import JSONParser
from .security import LoginRefusal, login_refusal
from .text import validate_text

# --- errors ----------------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="ErrorDetail")
class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable machine-readable code: invalid_input, invalid_transition, conflict, not_allowed, "
        "not_found, outside, not_authenticated, authentication_failed, permission_denied, throttled, "
        "locked_out, …"
    )
    message = serializers.CharField(help_text="A sentence for people.")
    field = serializers.CharField(
        allow_null=True, help_text="The input field at fault (dotted for nested ones), or null."
    )
    details = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors only: every field at fault with all its messages.",
    )


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    """Every error the API answers with, whatever its status."""

    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    400: "Invalid input; `error.field` names the field at fault.",
    401: "Not authenticated: send a session cookie or `Authorization: Token <key>`.",
    403: "Authenticated, but the role or scope does not allow this (or the CSRF check failed).",
    404: "Not found, or not visible to the caller.",
    409: "The case's state does not allow the action, or `version` no longer matches (reload, retry).",
    429: "Throttled, or (token login) locked out after too many failed logins; `Retry-After` says when to "
    "try again.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """`responses=` entries for extend_schema: the shared error body for each status."""
    return {s: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[s]) for s in statuses}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation detail → {"field" or "field.sub" or "field.0": [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "" if key == api_settings.NON_FIELD_ERRORS_KEY else str(key)
            flat.update(_flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix: [str(item) for item in detail]} if detail else {}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix: [str(detail)]}


def api_exception_handler(exc, context):
    """Every API error as `{"error": {"code", "message", "field"}}` with its status. Domain errors from the
    services keep their own status and code; anything DRF knows keeps DRF's status and headers
    (WWW-Authenticate, Retry-After). Only a genuine bug is left to Django's 500."""
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.field), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    flat = _flatten(exc.detail) or {"": [str(exc.default_detail)]}
    field, messages = next(iter(flat.items()))
    if isinstance(exc, exceptions.ValidationError):
        details = {name or api_settings.NON_FIELD_ERRORS_KEY: msgs for name, msgs in flat.items()}
        response.data = error_body("invalid_input", messages[0], field or None, details)
    else:
        codes = exc.get_codes()
        response.data = error_body(codes if isinstance(codes, str) else exc.default_code, messages[0])
    return response


# --- fields shared by the apps' serializers ----------------------------------------------------------


class TextField(serializers.CharField):
    """A CharField under the project's text policy (gridmgmt.text): no NUL, control characters or lone
    surrogates, refused with a message saying which."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # DRF's own NUL and surrogate checks are part of ours: one message per problem, not two.
        covered = (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator)
        self.validators = [v for v in self.validators if not isinstance(v, covered)] + [validate_text]


class CoordinateField(serializers.FloatField):
    """Latitude or longitude in degrees: finite and within its range."""

    default_error_messages = {"not_finite": "must be a finite number of degrees"}

    def __init__(self, *, limit: float, **kwargs):
        super().__init__(min_value=-limit, max_value=limit, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):  # JSON true is not 1 degree
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("not_finite")
        return value


class CodeRefSerializer(serializers.Serializer):
    """Output: a reference to a coded thing (category, grid, jurisdiction, department)."""

    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


# --- pagination -------------------------------------------------------------------------------------------


class CursorPagination(pagination.CursorPagination):
    """Opaque cursors over a stable ordering (subclasses set `ordering`); a bad cursor is a 400."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    cursor_query_description = "The opaque cursor of the page, from `next` or `previous`"
    page_size_query_description = "Results per page (default 25, at most 100)"

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({self.cursor_query_param: [str(exc.detail)]}) from exc


def cursor_page(name: str, item: serializers.Serializer) -> serializers.Serializer:
    """The schema of one page of a CursorPagination list: `next`, `previous` and `results` (`item`, built
    with many=True)."""
    from drf_spectacular.utils import inline_serializer

    return inline_serializer(
        name,
        {
            "next": serializers.URLField(allow_null=True, help_text="The next page, null on the last"),
            "previous": serializers.URLField(
                allow_null=True, help_text="The previous page, null on the first"
            ),
            "results": item,
        },
    )


# --- token login ------------------------------------------------------------------------------------------


class TokenInputSerializer(serializers.Serializer):
    username = TextField(max_length=150)
    password = TextField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


@method_decorator(sensitive_post_parameters("password"), name="dispatch")  # kept out of error reports
class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for the user's API token (created on first use)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginThrottle]
    parser_classes = [JSONParser, FormParser, MultiPartParser]  # ObtainAuthToken names DRF's own

    @extend_schema(
        tags=["auth"],
        operation_id="auth_token_obtain",
        summary="Obtain an API token",
        request=TokenInputSerializer,
        responses={200: TokenOutputSerializer, **error_responses(400, 429)},
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        TokenInputSerializer(data=request.data).is_valid(raise_exception=True)
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # The address or the username + address was refused before the password was checked
            # (gridmgmt.security flags the request it was given, this DRF request): say so with 429, not
            # "unable to log in with these credentials".
            if getattr(request, "axes_locked_out", False):
                raise LockedOut(login_refusal(request))
            raise exceptions.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        # A token exchange is a login: django-axes resets this username + address's failures (as the login
        # page does) and the user's last_login moves.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response({"token": token.key})


class LockedOut(exceptions.APIException):
    """Too many failed logins from this address, or for this username from it (gridmgmt.security); `wait` →
    Retry-After."""

    status_code = 429
    default_code = "locked_out"

    def __init__(self, refusal: LoginRefusal):
        super().__init__(refusal.message)
        self.wait = refusal.retry_after


# --- OpenAPI ----------------------------------------------------------------------------------------------


def schema_add_common_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: the errors any operation can answer with (401/403 when it needs
    authentication, 400 when it takes input, 429 always), in the shared error shape, so clients and the
    fuzzer can rely on the documented statuses."""
    if "Error" not in result.get("components", {}).get("schemas", {}):
        return result
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            media_types = _success_media_types(responses)
            statuses = [429]
            if operation.get("security") and {} not in operation["security"]:
                statuses += [401, 403]
            takes_input = operation.get("requestBody") or any(
                p.get("in") == "query" for p in operation.get("parameters", [])
            )
            if takes_input:
                statuses.append(400)
            for status in statuses:
                responses.setdefault(
                    str(status),
                    {
                        "description": ERROR_DESCRIPTIONS[status],
                        "content": {
                            m: {"schema": {"$ref": "#/components/schemas/Error"}} for m in media_types
                        },
                    },
                )
            operation["responses"] = dict(sorted(responses.items()))
    return result


def _success_media_types(responses: dict) -> list[str]:
    """Errors come in the media types the operation documents for its errors, or else (rendered by the same
    renderer as success) in its success media types."""
    for prefix in ("4", "2"):
        for status, response in sorted(responses.items()):
            if status.startswith(prefix) and response.get("content"):
                return list(response["content"])
    return ["application/json"]


class SchemaView(SpectacularAPIView):
    """The OpenAPI document. Its `version` and `lang` parameters end up in a file name and a header, so they
    are plain tokens: anything else (a line break would break the header) is a 400 saying so."""

    @extend_schema(**SCHEMA_KWARGS)  # documented as drf-spectacular documents its own view
    def get(self, request, *args, **kwargs):
        for name in ("version", "lang"):
            value = request.GET.get(name)
            if value is not None and not _TOKEN.fullmatch(value):
                message = f"{name} must be letters, digits, '.', '_' or '-'"
                return JsonResponse(error_body("invalid_input", message, name), status=400)
        return super().get(request, *args, **kwargs)


_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,40}", re.ASCII)
