"""Who receives notices: the e-mail addresses of the active users holding a role."""

from django.contrib.auth import get_user_model


def emails_of(users) -> list[str]:
    return [email for email in users.exclude(email="").values_list("email", flat=True)]


def role_recipients(role: str) -> list[str]:
    return emails_of(get_user_model().objects.filter(is_active=True, groups__name=role))
