"""Fixtures shared by the dispatch tests."""

import pytest

import grids.selectors


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    """The point → grid index is cached per process by grid layer version. Every test rolls its grids
    back and rebuilds them up to the same version with new ids (PostgreSQL sequences never roll back),
    so a cached index would answer with another test's grid ids."""
    grids.selectors._index = None
    yield
    grids.selectors._index = None


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The `world` personas have passwords; the default PBKDF2 would spend ~0.2 s on each of them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so a fixture can tell whether its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
