"""The harness's setting: one world and one crawl for the module, the personas' sessions and tokens, settings
that keep every write inside the test database and media directory, and the request count in the summary."""

import logging
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token

import grids.selectors
from gridmgmt import caching, tasking
from worktime import cache as worktime_cache

from . import discovery, probes
from .harness import TALLY, Sender
from .world import ROLES, hostile_world_build


def pytest_terminal_summary(terminalreporter):
    """`make test` shows how many requests the harness sent and how they were answered."""
    lines = TALLY.summary()
    if lines:
        terminalreporter.write_sep("-", "hostile-input harness")
        for line in lines:
            terminalreporter.write_line(line)


def harness_settings(media_root) -> dict:
    """No throttle may starve the harness (each request also starts with an empty cache, see Sender), and
    uploads spooled to disk stay in the test media directory."""
    rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
    return {
        "MEDIA_ROOT": media_root,
        "FILE_UPLOAD_TEMP_DIR": str(media_root / "uploads-in-progress"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "WORK_CALENDAR_CHECK_SECONDS": 3600,
        "CACHES": {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hostile"}
        },
        "REST_FRAMEWORK": {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {scope: "1000000/hour" for scope in rates},
        },
    }


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-media")
    (root / "uploads-in-progress").mkdir()
    return root


@pytest.fixture(autouse=True)
def _isolated_test_settings(settings, media_root):
    """Replaces tests/conftest.py's: the module's media directory (the world's photos live there)."""
    for name, value in harness_settings(media_root).items():
        setattr(settings, name, value)


def _forget_process_state() -> None:
    grids.selectors.grid_index_reset()
    tasking.broker_cooldown_reset()
    worktime_cache.worktime_cache_clear()
    caching.process_caches_forget()


@dataclass
class Arena:
    """The module's world, its personas' credentials, what the crawl found, and the sender."""

    world: object
    roles: list[str]
    sender: Sender
    pool: discovery.Pool
    routes: list[discovery.Route]
    seen: probes.Seen
    coverage: dict = field(default_factory=dict)  # channel → (found, attacked, named strata left out)


@pytest.fixture(scope="module")
def arena(django_db_setup, django_db_blocker, media_root):
    """Built once in a transaction rolled back when the module ends. Log records are silenced meanwhile:
    twenty thousand refusals would each log a warning (5xx are reported with their traceback anyway)."""
    with django_db_blocker.unblock(), override_settings(**harness_settings(media_root)):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            logging.disable(logging.CRITICAL)
            _forget_process_state()
            built = hostile_world_build()
            sessions, tokens = {}, {}
            for role, user in built.users.items():
                client = Client()
                client.force_login(user)
                sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
                tokens[role] = Token.objects.get_or_create(user=user)[0].key
            sender = Sender(sessions=sessions, tokens=tokens)
            pool = discovery.Pool()
            # What no page shows by design: the Open311 token (given to the reporting client only) and
            # the import job (reached from the upload's redirect).
            pool.add("token", built.service_request.token)
            pool.add("resident-import-job:pk", built.job.pk)
            pool.add("resident-import-job-status:pk", built.job.pk)
            routes = discovery.url_routes()
            roles = list(ROLES)
            seen = probes.crawl(sender, routes, pool, roles)
            yield Arena(built, roles, sender, pool, routes, seen)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            _forget_process_state()
            logging.disable(logging.NOTSET)
