"""A database that cannot be reached answers 503 (try again shortly), never a 500 traceback."""

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = "The database is unavailable at the moment; nothing was saved. Try again shortly."
_PAGE = """<!doctype html>
<html lang="zh-hans"><head><meta charset="utf-8"><title>503 暂时无法服务 Service unavailable</title></head>
<body><h1>暂时无法服务 · Service unavailable</h1>
<p>数据库暂时无法连接，本次操作未保存，请稍后重试。</p>
<p>The database is unavailable at the moment; nothing was saved. Try again shortly.</p></body></html>
"""


# Apps with an error format of their own (Open311's error list) register how they say "unavailable" for
# their path prefix, from their AppConfig.ready: the ground package never imports them.
_renderers: dict[str, Callable[[HttpRequest, str], HttpResponse]] = {}


def unavailable_renderer_register(prefix: str, render: Callable[[HttpRequest, str], HttpResponse]) -> None:
    """Answer a lost database under `prefix` with `render(request, message)` (a 503 response)."""
    _renderers[prefix] = render


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
            body = {"error": {"code": "database_unavailable", "message": MESSAGE, "field": None}}
            response = JsonResponse(body, status=503)
        else:
            render = next((r for prefix, r in _renderers.items() if request.path.startswith(prefix)), None)
            if render is not None:
                response = render(request, MESSAGE)
            else:
                response = HttpResponse(_PAGE, status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
