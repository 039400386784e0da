"""App config for the residents' public site: case pages, reporting and following (issue 19)."""

from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "public"
    verbose_name = "Public site"
