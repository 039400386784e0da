"""Fixtures of the patrols tests: the REST API clients and the fresh cache that tests/api uses too."""

from ..support.api_clients import _api_cache, api  # noqa: F401 - fixtures, found by pytest here
