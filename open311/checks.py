"""A deploy check: the publicly documented demo key must not stay active in production."""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import DatabaseError

from .models import DEMO_KEY, ApiKey


@register(Tags.security, deploy=True)
def demo_key_inactive_in_production(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    try:
        active = ApiKey.objects.filter(key=DEMO_KEY, is_active=True).exists()
    except DatabaseError:  # no database yet (a build step): nothing to report
        return []
    if not active:
        return []
    return [
        Warning(
            f"The Open311 demo key {DEMO_KEY!r} is active while DEBUG is off: anyone can file requests.",
            hint="Deactivate or delete it in the admin (Open311 → API keys).",
            id="open311.W001",
        )
    ]
