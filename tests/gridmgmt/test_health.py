"""GET /healthz: 200 when the database and the broker answer, 503 naming whichever does not."""

import pytest
from django.db import OperationalError
from kombu import Connection
from kombu.exceptions import OperationalError as BrokerError

from gridmgmt import health
from gridmgmt.celery import app as celery_app

pytestmark = pytest.mark.django_db


class _DeadDatabase:
    def cursor(self):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


class _RefusingConnection:
    """A broker connection that fails at once, as kombu reports a refused connection."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def ensure_connection(self, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def _dead_broker(monkeypatch, *, real: bool = True):
    if real:
        # A real kombu connection to a port nobody listens on: the check takes its actual failure path
        # (and its ~2 s timeout).
        def connect(app, *args, **kwargs):
            return Connection("redis://127.0.0.1:1/0", connect_timeout=1)
    else:

        def connect(app, *args, **kwargs):
            return _RefusingConnection()

    monkeypatch.setattr(type(celery_app), "connection_for_write", connect)


def test_it_reports_ok_when_the_database_and_the_broker_answer(client):
    # Locally the broker is the filesystem transport under var/; in CI it is Redis.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_503_naming_the_broker_when_the_broker_is_down(client, monkeypatch):
    _dead_broker(monkeypatch)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "down"}


def test_it_answers_503_naming_the_database_when_the_database_is_down(client, monkeypatch):
    monkeypatch.setattr(health, "connection", _DeadDatabase())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "down", "broker": "ok"}


def test_it_names_both_when_both_are_down(client, monkeypatch):
    monkeypatch.setattr(health, "connection", _DeadDatabase())
    _dead_broker(monkeypatch, real=False)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "down", "broker": "down"}


def test_it_answers_get_only(client):
    assert client.post("/healthz").status_code == 405
