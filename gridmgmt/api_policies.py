"""API policies DRF loads from settings while it defines APIView: throttles and content negotiation.

A module apart from gridmgmt.api because of that: importing views or serializers from here would be circular.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions, negotiation, throttling
from rest_framework.settings import api_settings

# --- throttles: rates from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (env-driven) ---------------------------


class _RateFromSettings:
    """Read the rate when the throttle is built, not when the class is defined, so settings changes apply."""

    scope: str

    def get_rate(self):
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No REST_FRAMEWORK throttle rate for scope {self.scope!r}") from exc


class UserThrottle(_RateFromSettings, throttling.UserRateThrottle):
    pass


class AnonThrottle(_RateFromSettings, throttling.AnonRateThrottle):
    pass


class LoginThrottle(_RateFromSettings, throttling.AnonRateThrottle):
    """Password attempts per client address, successes included: slows guessing without locking anyone out.
    Failed ones are also counted across the login page and this endpoint by gridmgmt.security, which refuses
    an address after LOGIN_ADDRESS_FAILURE_LIMIT of them."""

    scope = "login"


# --- content negotiation --------------------------------------------------------------------------------


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    """An unknown `?format=` is bad input (400 naming the parameter), not a missing page (DRF's 404)."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            known = ", ".join(sorted({r.format for r in renderers}))
            raise exceptions.ValidationError({self.settings.URL_FORMAT_OVERRIDE: [f"use one of: {known}"]})
        return matching
