"""Password rules: at least 10 characters, not common, not all digits, not like the account's own names —
on every path that sets a password (the admin's add-user and change-password forms; there is no other)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import get_default_password_validators, validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

User = get_user_model()
STRONG = "Qy7-harbour-lantern"


def test_the_four_validators_are_active_with_a_minimum_of_ten_characters():
    validators = {type(v).__name__: v for v in get_default_password_validators()}
    assert set(validators) == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }
    assert validators["MinimumLengthValidator"].min_length == 10


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("griddemo", "This password is too short. It must contain at least 10 characters."),
        ("Tr0ub4dor", "This password is too short. It must contain at least 10 characters."),
        ("1234567890", "This password is entirely numeric."),
        ("password123", "This password is too common."),
        ("wangxiaoming", "The password is too similar to the username."),
    ],
)
def test_a_weak_password_is_refused_with_a_clear_message(password, message):
    user = User(username="wangxiaoming", email="wxm@example.org")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validate_password(password, user=user)
    assert message in refused.value.messages


def test_a_strong_password_passes():
    validate_password(STRONG, user=User(username="wangxiaoming"))


@pytest.fixture
def admin_client(db):
    admin = User.objects.create_superuser("root", "root@example.org", STRONG)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    return client


def _add_user(client: Client, password: str):
    return client.post(
        reverse("admin:auth_user_add"),
        {"username": "newadmin", "usable_password": "true", "password1": password, "password2": password},
    )


def test_the_admin_refuses_to_create_a_user_with_a_weak_password(admin_client):
    response = _add_user(admin_client, "griddemo")

    assert response.status_code == 200  # the form again
    assert "at least 10 characters" in response.content.decode()
    assert not User.objects.filter(username="newadmin").exists()


def test_the_admin_creates_a_user_with_a_strong_password(admin_client):
    response = _add_user(admin_client, STRONG)

    assert response.status_code == 302
    assert User.objects.get(username="newadmin").check_password(STRONG)


def test_the_admin_refuses_to_change_a_password_to_a_weak_one(admin_client):
    user = User.objects.create_user("zhangsan", password=STRONG)
    url = reverse("admin:auth_user_password_change", args=[user.pk])

    response = admin_client.post(url, {"password1": "12345678901", "password2": "12345678901"})

    assert response.status_code == 200
    assert "This password is entirely numeric." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(STRONG)
