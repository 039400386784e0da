"""App config for the jurisdiction hierarchy, grids and their administrators."""

from django.apps import AppConfig


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = "Grids"
