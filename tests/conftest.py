"""Shared fixtures: the test district, categories, departments and one persona per role."""

import os
from types import SimpleNamespace

import pytest
from django.conf import settings

import grids.selectors
from gridmgmt import tasking
from gridmgmt.roles import Role

from . import factories


@pytest.fixture(autouse=True)
def _isolated_test_settings(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The personas have passwords; the production hasher would spend ~0.2 s on each of them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_process_state():
    """Per-process caches must not leak between tests: the point → grid index is keyed by the layer
    version, which each test's rollback resets (while PostgreSQL sequences hand out new grid ids), and a
    test that took the broker down must not leave the publish cooldown running."""
    grids.selectors._index = None
    tasking.broker_cooldown_reset()
    yield
    grids.selectors._index = None
    tasking.broker_cooldown_reset()


@pytest.fixture
def world(db):
    """A district with four grids, two departments, categories, and the personas:
    gridadmin (grids 1–2), other_gridadmin (grid 3), dispatcher, staff (sanitation), other_staff (roads),
    supervisor, resident, outsider (no role)."""
    area = factories.district()
    g1, g2, g3, g4 = area["grids"]
    cats = factories.categories()
    sanitation = factories.department("sanitation", "环卫局")
    roads = factories.department("roads", "市政局")
    return SimpleNamespace(
        **area,
        g1=g1,
        g2=g2,
        g3=g3,
        g4=g4,
        cats=SimpleNamespace(**cats),
        sanitation=sanitation,
        roads=roads,
        gridadmin=factories.user("gridadmin", roles=(Role.GRID_ADMIN,), grids=(g1, g2)),
        other_gridadmin=factories.user("gridadmin_b", roles=(Role.GRID_ADMIN,), grids=(g3,)),
        dispatcher=factories.user("dispatcher", roles=(Role.DISPATCHER,)),
        staff=factories.user("staff", roles=(Role.DEPARTMENT_STAFF,), departments=(sanitation,)),
        other_staff=factories.user("staff_roads", roles=(Role.DEPARTMENT_STAFF,), departments=(roads,)),
        supervisor=factories.user("supervisor", roles=(Role.SUPERVISOR,)),
        resident=factories.user("resident", roles=(Role.RESIDENT,)),
        outsider=factories.user("outsider"),
    )


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
