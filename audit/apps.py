"""App config for the audit checkpoints: signed Merkle roots over every chain's head, kept outside the
database, and the verification of chains, photos and checkpoints (`verify_audit`)."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit checkpoints"

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registers checkpoint_publish_task by name (the beat names it)
