"""Shared fixtures: the test district, categories, departments and one persona per role."""

import os
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

import grids.selectors
from gridmgmt import caching, tasking
from notifications import sms
from worktime import cache as worktime_cache

from . import factories

DEMO_TESTS = Path(__file__).resolve().parent / "demo"


def pytest_collection_modifyitems(config, items):
    """The demo app is removable: its tests (tests/demo/, all marked `demo`) and the tests marked `demo`
    elsewhere skip when it is not installed (e.g. `--ds=tests.settings_without_demo`); the rest must pass."""
    demo_installed = apps.is_installed("demo")
    for item in items:
        if DEMO_TESTS in item.path.parents:
            item.add_marker(pytest.mark.demo)
        if not demo_installed and item.get_closest_marker("demo"):
            item.add_marker(pytest.mark.skip(reason='needs the demo app: "demo" is not in INSTALLED_APPS'))


@pytest.fixture(autouse=True)
def _isolated_test_settings(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AUDIT_CHECKPOINT_LOG = str(tmp_path / "audit" / "checkpoints.jsonl")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "notifications.sms.MemoryBackend"  # notifications.sms.outbox, like mail.outbox
    sms.outbox.clear()
    settings.PUBLIC_POW_BITS = 4  # the proof of work is checked all the same, at a test's cost
    # The personas have passwords; the production hasher would spend ~0.2 s on each of them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The work calendar is re-read only when this process changes it (calendar_touch), never on a timer: a
    # query count must not depend on how long a test took.
    settings.WORK_CALENDAR_CHECK_SECONDS = 3600
    # The suite never fetches map tiles (the browser tests' Watcher fails on any request leaving the test
    # server): no base layer, whatever the environment or DEBUG would choose. tests/grids/test_map_presets.py
    # sets the presets it checks.
    settings.MAP_TILES = "none"
    settings.MAP_TILES_URL = ""
    settings.MAP_TILES_ATTRIBUTION = ""


@pytest.fixture(autouse=True)
def _fresh_process_state():
    """Per-process caches must not leak between tests: the point → grid index is keyed by the layer
    version, which each test's rollback resets (while PostgreSQL sequences hand out new grid ids), and a
    test that took the broker down must not leave the publish cooldown running. Loaded work calendars
    likewise: a rollback returns their ids and versions to values a later test reuses."""
    grids.selectors.grid_index_reset()
    tasking.broker_cooldown_reset()
    worktime_cache.worktime_cache_clear()
    caching.process_caches_forget()
    yield
    grids.selectors.grid_index_reset()
    tasking.broker_cooldown_reset()
    worktime_cache.worktime_cache_clear()
    caching.process_caches_forget()


@pytest.fixture
def world(db):
    """The test world: see `factories.world_build`."""
    return factories.world_build()


def using_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


# Locally these tests skip with a reason; in CI (CI=1) they never skip, so a missing service fails loudly
# instead of turning the run green by omission.
IN_CI = bool(os.environ.get("CI"))
requires_postgres = pytest.mark.skipif(
    not using_postgres() and not IN_CI, reason="needs PostgreSQL: set DATABASE_URL=postgres://… (CI does)"
)
requires_redis = pytest.mark.skipif(
    not redis_url() and not IN_CI, reason="needs Redis: set REDIS_URL=redis://… (CI does)"
)
