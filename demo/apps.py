"""App config for the demo district and its people and cases (removable: the product works without it)."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "Demo"
