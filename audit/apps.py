"""App config for the audit checkpoints: signed Merkle roots over every chain's head, kept outside the
database, and the verification of chains, photos and checkpoints (`verify_audit`)."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit checkpoints"
