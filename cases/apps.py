"""App config for categories, cases, the workflow and the audit chain."""

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"
