"""Fixtures for the case tests: fast password hashing and a fresh point → grid index per test."""

import pytest

import grids.selectors


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The world fixture creates eight users; the production hasher makes that ~1.7 s per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    # The in-process STRtree is keyed on the grid layer's version number. Each test's rollback resets that
    # number, so the next test's grids (new ids on PostgreSQL, whose sequences never roll back) would
    # arrive under a version the cached index already claims to know.
    grids.selectors._index = None
    yield
    grids.selectors._index = None
