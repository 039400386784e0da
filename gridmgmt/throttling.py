"""API throttles whose rates come from settings (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], env-driven).

A module of its own because DRF imports the throttle classes while defining APIView: importing views or
serializers from here would be circular.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling
from rest_framework.settings import api_settings


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
    """Password attempts per client address: slows guessing without locking anyone out."""

    scope = "login"
