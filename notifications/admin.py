"""Admin for the outgoing notices (read-only: they are written by the services that cause them), and each
user's notice language on the user's own page."""

import django.contrib.auth.admin  # noqa: F401 - the user admin this module extends is registered first
from django.contrib import admin
from django.contrib.auth import get_user_model

from .models import LanguagePreference, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "recipient", "subject", "sent_at", "attempts")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in Notification._meta.fields]


class LanguagePreferenceInline(admin.StackedInline):
    model = LanguagePreference
    can_delete = True
    extra = 1  # shown ready to fill: a user without one gets the site's language
    max_num = 1


User = get_user_model()
if admin.site.is_registered(User):
    _UserAdmin = type(admin.site.get_model_admin(User))
    admin.site.unregister(User)
else:
    _UserAdmin = admin.ModelAdmin


@admin.register(User)
class UserAdmin(_UserAdmin):
    inlines = [*_UserAdmin.inlines, LanguagePreferenceInline]

    def get_inlines(self, request, obj):
        # The add form stays Django's two-step one (username and password first): the language is chosen
        # on the user's own page afterwards.
        return super().get_inlines(request, obj) if obj is not None else []
