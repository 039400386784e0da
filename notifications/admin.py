"""Admin for the outgoing notices (read-only: they are written by the services that cause them)."""

from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "recipient", "subject", "sent_at", "attempts")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in Notification._meta.fields]
