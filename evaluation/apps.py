"""App config for the seventh stage: indicators, materialised rollups, dashboards, exports."""

from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = "Evaluation"
