"""Our own error pages (400, 403, 404, 500), also when DEBUG is on: `make run` serves them as production does.

Django's default handlers render 400.html, 403.html, 404.html and 500.html (templates/) when DEBUG is off;
500.html is rendered without the request (the failure may lie in the database or the session). With DEBUG
on Django shows its technical pages instead (every URL pattern on a 404, a traceback and the settings on a
500), which no user of the demo should meet: `ErrorPagesMiddleware` puts our pages in their place, unless
DEBUG_ERROR_PAGES asks for Django's. Each is logged as Django would have logged it (a 500 with its
traceback), and a refusal under /api/ or an app's prefix is still put in that caller's format by
InputPolicyMiddleware, which stands outside this one.
"""

import logging

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import Resolver404
from django.utils.log import log_response
from django.utils.translation import gettext
from django.views.defaults import bad_request, page_not_found, server_error


def _ours() -> bool:
    return settings.DEBUG and not getattr(settings, "DEBUG_ERROR_PAGES", False)


class ErrorPagesMiddleware:
    """With DEBUG on, answers with our error pages where Django would show its technical ones."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No URL pattern matched (the resolver's 404 never reaches process_exception): Django answered with
        # its page listing every pattern. A view's own 404 response (resolver_match set) is left alone.
        if _ours() and response.status_code == 404 and request.resolver_match is None:
            return page_not_found(request, Resolver404({"path": request.path_info}))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _ours():
            return None
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if isinstance(exception, PermissionDenied | MultiPartParserError):
            return None  # Django shows our 403.html and 400.html for these with DEBUG on as well
        if settings.DEBUG_PROPAGATE_EXCEPTIONS:
            return None
        if isinstance(exception, BadRequest | SuspiciousOperation):
            # Django's technical page here is its 500 page with status 400; it logs these as below.
            response = bad_request(request, exception)
            name = "django.security." + type(exception).__name__
            if isinstance(exception, BadRequest):
                log_response("%s: %s", str(exception), request.path, response=response, request=request)
            else:
                log_response(
                    str(exception),
                    response=response,
                    request=request,
                    level="error",
                    logger=logging.getLogger(name),
                    exception=exception,
                )
            return response
        # What Django does for an uncaught exception, with our page instead of the traceback page.
        got_request_exception.send(sender=None, request=request)
        response = server_error(request)
        log_response(
            "%s: %s",
            response.reason_phrase,
            request.path,
            response=response,
            request=request,
            exception=exception,
        )
        return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: our 403 page saying what to do (the form's page was open too long, or
    cookies are blocked), in the reader's language, instead of Django's bare English page."""
    message = gettext(
        "The form could not be checked: reload its page and send it again. If this keeps happening, allow "
        "cookies for this site."
    )
    return render(request, "403.html", {"message": message}, status=403)
