"""App config for the functional departments that handle cases, and their staff."""

from django.apps import AppConfig


class DepartmentsConfig(AppConfig):
    name = "departments"
    verbose_name = "Departments"
