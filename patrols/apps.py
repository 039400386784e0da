"""App config for patrols (巡查) and home visits (走访)."""

from django.apps import AppConfig


class PatrolsConfig(AppConfig):
    name = "patrols"
    verbose_name = "Patrols and visits"

    def ready(self) -> None:
        from cases.evidence import track_witness_register
        from cases.hooks import case_reported

        from . import evidence, services, tasks  # noqa: F401 - tasks registers our Celery tasks by name

        # A case reported while its reporter is on patrol belongs to that patrol.
        case_reported.subscribe(services.patrol_case_link)
        # A step judged on site asks whether the actor's running patrol was there.
        track_witness_register(evidence.track_witness)
