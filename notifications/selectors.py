"""Who receives notices: the e-mail addresses of the active users holding a role, and the language each
address reads."""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model


def emails_of(users) -> list[str]:
    return [email for email in users.exclude(email="").values_list("email", flat=True)]


def role_recipients(role: str) -> list[str]:
    return emails_of(get_user_model().objects.filter(is_active=True, groups__name=role))


def recipient_languages(emails: Iterable[str]) -> dict[str, str]:
    """{address: language}: its user's preference, else the site's language (a department's own address
    has no user). One query for all of them."""
    emails = set(emails)
    chosen = dict(
        get_user_model()
        .objects.filter(email__in=emails, is_active=True, language_preference__isnull=False)
        .order_by("-pk")  # two accounts sharing an address: the older one's choice wins (written last)
        .values_list("email", "language_preference__language")
    )
    return {email: chosen.get(email, settings.LANGUAGE_CODE) for email in emails}
