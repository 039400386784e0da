"""System checks of the public site: what a deployment must set for residents' links to work."""

from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.checks import register


@register(deploy=True)
def site_url_check(app_configs, **kwargs):
    """Notices to residents (their case's page, the rating link, unsubscribe) need the site's address."""
    if getattr(settings, "SITE_URL", ""):
        return []
    return [
        CheckWarning(
            "SITE_URL is empty: links in residents' e-mails and text messages are paths without the site.",
            hint='Set SITE_URL to the address residents reach the site at, e.g. "https://grid.example.gov".',
            id="public.W001",
        )
    ]
