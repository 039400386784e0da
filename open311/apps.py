"""App config for the Open311 GeoReport v2 server."""

from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "open311"
    verbose_name = "Open311"

    def ready(self) -> None:
        from gridmgmt.middleware import error_renderer_register

        from . import checks  # noqa: F401 - registers the deploy check on the demo key
        from .errors import refusal_response

        error_renderer_register("/open311/", refusal_response)
