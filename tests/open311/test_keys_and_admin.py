"""The demo key's life cycle (migration, deploy check) and the admin pages for keys and questions."""

import importlib

import pytest
from django.apps import apps
from django.core import checks

from open311.checks import demo_key_inactive_in_production
from open311.models import DEMO_KEY, ApiKey, ServiceRequest

from ..factories import centre
from .conftest import post_form

demo_migration = importlib.import_module("open311.migrations.0002_demo_api_key")


def test_the_migration_creates_the_demo_key_on_demo_installations(db, settings):
    ApiKey.objects.filter(key=DEMO_KEY).delete()
    settings.DEBUG = True
    demo_migration.create_demo_key(apps, None)
    demo_migration.create_demo_key(apps, None)  # idempotent
    key = ApiKey.objects.get(key=DEMO_KEY)
    assert key.name == "Demo client" and key.is_active


def test_the_migration_never_creates_it_in_production(db, settings):
    ApiKey.objects.filter(key=DEMO_KEY).delete()
    settings.DEBUG = False
    demo_migration.create_demo_key(apps, None)
    assert not ApiKey.objects.filter(key=DEMO_KEY).exists()


def test_the_deploy_check_warns_about_an_active_demo_key_in_production(db, settings):
    ApiKey.objects.update_or_create(key=DEMO_KEY, defaults={"name": "Demo client", "is_active": True})
    settings.DEBUG = False
    (warning,) = demo_key_inactive_in_production()
    assert warning.id == "open311.W001" and warning.level == checks.WARNING
    ApiKey.objects.filter(key=DEMO_KEY).update(is_active=False)
    assert demo_key_inactive_in_production() == []
    settings.DEBUG = True
    ApiKey.objects.filter(key=DEMO_KEY).update(is_active=True)
    assert demo_key_inactive_in_production() == []


def test_new_keys_are_random_and_long(db):
    first, second = ApiKey.objects.create(name="a"), ApiKey.objects.create(name="b")
    assert first.key != second.key and len(first.key) >= 32


@pytest.fixture
def admin_client_fast(client, world, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/open311/apikey/",
        "/admin/open311/apikey/add/",
        "/admin/open311/serviceattribute/",
        "/admin/open311/serviceattribute/add/",
        "/admin/open311/servicerequest/",
    ],
)
def test_the_admin_pages_load(admin_client_fast, questions, path):
    assert admin_client_fast.get(path).status_code == 200


def test_an_open311_request_shows_read_only_in_the_admin(admin_client_fast, world, demo_key):
    lat, lng = centre(world.g1)
    post_form(
        admin_client_fast,
        "requests.json",
        {"api_key": demo_key.key, "service_code": "0102", "lat": lat, "long": lng, "description": "x"},
    )
    sent = ServiceRequest.objects.get()
    page = admin_client_fast.get(f"/admin/open311/servicerequest/{sent.pk}/change/")
    assert page.status_code == 200
    assert sent.token.encode() in page.content
