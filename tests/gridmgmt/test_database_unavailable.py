"""A database that cannot be reached answers 503 in the caller's format, never a 500 traceback.

Here the database "goes away" in the middle of the request by its connection refusing to open cursors; the
real outage (PostgreSQL connections killed and refused) is tests/faults/test_database_outage.py.
"""

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gridmgmt.middleware import DatabaseUnavailableMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    """Call it to make every query of this connection fail as a lost server does."""

    def go_down():
        def refuse(*args, **kwargs):
            raise OperationalError("server closed the connection unexpectedly")

        monkeypatch.setattr(connection, "cursor", refuse)
        monkeypatch.setattr(connection, "chunked_cursor", refuse)

    return go_down


def test_it_answers_the_api_with_a_503_in_the_api_error_shape(world, database_down):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.gridadmin).key}")
    database_down()

    response = client.get("/api/v1/cases/")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response.json()["error"]["field"] is None
    assert response["Retry-After"] == "5"


def test_it_answers_a_page_with_a_plain_503_page(world, client, database_down):
    client.force_login(world.gridadmin)
    database_down()

    response = client.get("/home/")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "Service unavailable" in response.content.decode()


@pytest.mark.parametrize(("suffix", "content_type"), [(".json", "application/json"), (".xml", "text/xml")])
def test_it_answers_open311_with_the_georeport_error_list(client, database_down, suffix, content_type):
    database_down()

    response = client.get(f"/open311/v2/services{suffix}")

    assert response.status_code == 503
    assert response["Content-Type"].startswith(content_type)
    assert b"503" in response.content


def test_it_leaves_other_errors_alone():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().get("/api/v1/cases/")

    assert middleware.process_exception(request, ValueError("a bug")) is None
    assert (
        middleware.process_exception(request, InterfaceError("connection already closed")).status_code == 503
    )
