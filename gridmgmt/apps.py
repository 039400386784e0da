"""App config for the project package itself (it holds management commands and templates)."""

from django.apps import AppConfig


class GridmgmtConfig(AppConfig):
    name = "gridmgmt"
    verbose_name = "Grid management"
