"""Admin for audit checkpoints: read-only. Checkpoints are written only by the publisher (audit.services),
and the log outside the database is what they are checked against, so nothing here writes."""

from django.contrib import admin

from places.admin import ReadOnlyAdmin

from .models import AuditCheckpoint


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("seq", "created_at", "cases", "patrols", "changed", "root", "public_key_id")
    date_hierarchy = "created_at"
    exclude = ("heads",)
