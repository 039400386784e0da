"""Content-Security-Policy and Permissions-Policy headers, with a fresh nonce per request for templates."""

import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .map_tiles import configured_layers, image_sources

# Scripts and styles come from our own origin only (static files); an inline <script> or <style> runs only
# with this request's nonce, and inline event handlers, style="" attributes, eval() and javascript: URLs do
# not run at all. The report page takes a GPS fix and a camera photo, so those two features stay on for our
# own pages; everything else a page could ask the browser for is off.
PERMISSIONS_POLICY = (
    "geolocation=(self), camera=(self), microphone=(), payment=(), usb=(), "
    "magnetometer=(), gyroscope=(), accelerometer=()"
)


def content_security_policy(nonce: str) -> str:
    """The policy of an HTML page whose inline scripts and styles, if any, carry `nonce`."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        "style-src": ["'self'", f"'nonce-{nonce}'"],
        # The map preset's tile hosts, exactly (gridmgmt/map_tiles.py): none at all for MAP_TILES=none.
        "img-src": ["'self'", "data:", "blob:", *image_sources()],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Gives each request a nonce (`request.csp_nonce`, `{{ csp_nonce }}` in templates) and each HTML
    response the policy that allows it; `Permissions-Policy` goes on every response."""

    def __init__(self, get_response):
        self.get_response = get_response
        # A preset that cannot work, or a tile host the policy cannot express, fails at start.
        configured_layers()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if self._is_html(response) and not self._is_debug_page(response):
            response.headers.setdefault("Content-Security-Policy", content_security_policy(request.csp_nonce))
        return response

    @staticmethod
    def _is_html(response: HttpResponse) -> bool:
        return response.get("Content-Type", "").split(";")[0].strip().lower() == "text/html"

    @staticmethod
    def _is_debug_page(response: HttpResponse) -> bool:
        # With DEBUG on, Django's own 404 and 500 pages are built from inline <style> and <script> without a
        # nonce; under the policy they would lose their layout and the traceback toggles. Never in production.
        return settings.DEBUG and (response.status_code == 404 or response.status_code >= 500)


def csp_context(request: HttpRequest) -> dict:
    """Template context: `csp_nonce`, the name Django 6 and django-htmx's `{% htmx_script %}` read."""
    return {"csp_nonce": getattr(request, "csp_nonce", None)}
