"""Refusals before and around the views, each in the caller's format (the API's error shape under /api/,
an app's registered format under its prefix, a page for people): input that breaks the text policy or
the size limit (400/413), and a database that cannot be reached (503, try again shortly), never a 500.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render as render_page
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .errors import error_body
from .text import text_problem

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = "The database is unavailable at the moment; nothing was saved. Try again shortly."
_PAGE = """<!doctype html>
<html lang="zh-hans"><head><meta charset="utf-8"><title>503 暂时无法服务 Service unavailable</title></head>
<body><h1>暂时无法服务 · Service unavailable</h1>
<p>数据库暂时无法连接，本次操作未保存，请稍后重试。</p>
<p>The database is unavailable at the moment; nothing was saved. Try again shortly.</p></body></html>
"""


# Apps with an error format of their own (Open311's error list) register it for their path prefix, from
# their AppConfig.ready: the ground package never imports them.
Renderer = Callable[[HttpRequest, int, str], HttpResponse]
_renderers: dict[str, Renderer] = {}


def error_renderer_register(prefix: str, render: Renderer) -> None:
    """Refusals under `prefix` are `render(request, status, message)`."""
    _renderers[prefix] = render


def _app_renderer(request: HttpRequest) -> Renderer | None:
    return next((r for prefix, r in _renderers.items() if request.path.startswith(prefix)), None)


def _api_error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, field), status=status)


class InputPolicyMiddleware:
    """Refuses, before any view (and before CSRF reads the form), query and form parameters that break the
    text policy (gridmgmt.text), and bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (uploaded files aside), with
    a message naming the parameter. JSON bodies are checked by the API's fields and parser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        multipart = request.content_type == "multipart/form-data"
        try:
            if limit is not None and declared > limit and not multipart:
                raise RequestDataTooBig()
            problem = _parameters_problem(request)
        except RequestDataTooBig:
            size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
            message = f"the request body is larger than the {size} this server accepts"
            return _refusal(request, 413, "request_too_large", message, _("The request is too large."))
        except MultiPartParserError as exc:
            message = f"the request body could not be read: {exc}"
            return _refusal(request, 400, "invalid_input", message, _("The form could not be read."))
        except TooManyFieldsSent:
            message = f"the request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} parameters"
            return _refusal(request, 400, "invalid_input", message, _("The form has too many fields."))
        if problem is not None:
            name, what = problem
            message = f"parameter {name!r} {what}"
            page = _(
                "The field “%(name)s” holds characters that cannot be accepted (NUL, control characters or "
                "broken encoding). Remove them and send the form again."
            ) % {"name": name}
            return _refusal(request, 400, "invalid_input", message, page, field=name)
        return _refusal_said(request, self.get_response(request))


# Refusals made by Django itself rather than by our views (no URL matched, a method a view does not take)
# come as an HTML page, or as an empty body: under /api/ and an app's prefix they are put in that format,
# and a page is given a sentence, so that every refusal says what was wrong.
_SAID = {
    400: (
        "invalid_input",
        "the request could not be understood",
        _lazy("The request could not be understood."),
    ),
    404: ("not_found", "there is nothing at this address", _lazy("There is nothing at this address.")),
    405: ("method_not_allowed", "", _lazy("This address does not take that kind of request.")),
}


def _refusal_said(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if response.status_code not in _SAID or getattr(response, "streaming", False):
        return response
    code, message, page = _SAID[response.status_code]
    if response.status_code == 405:
        message = f"{request.method} is not allowed here (allowed: {response.get('Allow', 'none')})"
    content_type = response.get("Content-Type", "")
    if request.path.startswith("/api/"):  # application/json, application/geo+json: the API's own shape
        said_already = "json" in content_type
    elif _app_renderer(request) is not None:  # the app's own format
        said_already = bool(response.content) and not content_type.startswith("text/html")
    else:
        said_already = bool(response.content.strip())
    if said_already:
        return response
    said = _refusal(request, response.status_code, code, message, page)
    if "Allow" in response:
        said["Allow"] = response["Allow"]
    return said


def _parameters_problem(request: HttpRequest) -> tuple[str, str] | None:
    """(parameter name, what is wrong) for the first query or form parameter that is not printable text."""
    sources = [request.GET]
    if request.method == "POST" and request.content_type in (
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ):
        sources.append(request.POST)
    for data in sources:
        for name, values in data.lists():
            for text in (name, *values):
                if what := text_problem(text):
                    return "".join(c for c in name if not text_problem(c)), what
    return None


def _refusal(
    request: HttpRequest, status: int, code: str, message: str, page: str, field: str | None = None
) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _api_error(status, code, message, field)
    if (render := _app_renderer(request)) is not None:
        return render(request, status, message)
    template = {403: "403.html", 404: "404.html"}.get(status, "400.html")
    return render_page(request, template, {"message": page, "status": status}, status=status)


class DatabaseUnavailableMiddleware:
    """Turns a lost or refused database connection raised by a view into a 503 in the caller's format.

    PostgreSQL restarting or failing over kills every open connection and refuses new ones for a while.
    The request's transaction was rolled back with its connection, so the honest answer is "not saved, try
    again": the REST API's error shape for /api/, an app's registered format under its prefix (the GeoReport
    error list for /open311/), a plain page (no template, no database) for people. The next request
    reconnects by itself (CONN_HEALTH_CHECKS). Transient OperationalErrors of a live server (a deadlock
    victim, a statement timeout) are retryable too, so they get the same answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable answering %s %s: %s", request.method, request.path, exception)
        if request.path.startswith("/api/"):
            response = _api_error(503, "database_unavailable", MESSAGE)
        elif (render := _app_renderer(request)) is not None:
            response = render(request, 503, MESSAGE)
        else:
            response = HttpResponse(_PAGE, status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
