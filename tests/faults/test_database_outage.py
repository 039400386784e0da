"""PostgreSQL restarts or goes away: clear 503s meanwhile, and the same web and worker processes recover.

What a restart does to the app is done to the test database only (the server serves other databases):
every connection to it is terminated and, for a longer outage, new ones are refused
(`ALLOW_CONNECTIONS false`). The app runs as production runs it, gunicorn and a Celery worker with
persistent connections (CONN_MAX_AGE=60), so they hold connections that die under them.
"""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from psycopg2 import sql
from rest_framework.authtoken.models import Token

from cases.models import Case
from dispatch.tasks import route_case_task

from .. import factories
from ..conftest import requires_postgres, requires_redis
from ..dispatch import helpers
from ..factories import centre
from ..support.celery_worker import service_env, wait_for, worker_database_url
from ..support.web_server import WebServer

pytestmark = [
    requires_postgres,
    requires_redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


class Outage:
    def __init__(self, admin):
        self.admin = admin
        self.database = sql.Identifier(admin.test_db)

    def kill_connections(self) -> None:
        """What a restart does: every backend of the test database is terminated."""
        connection.close()  # this test's own (it is not the app under test; it reconnects when next used)
        self.admin.rows(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [self.admin.test_db]
        )
        wait_for("the test database's backends to end", lambda: not self.admin.backends(), timeout=10)

    def refuse_connections(self) -> None:
        self.admin.rows(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(self.database))

    def allow_connections(self) -> None:
        self.admin.rows(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(self.database))


@pytest.fixture
def outage(pg_admin):
    current = Outage(pg_admin)
    try:
        yield current
    finally:
        current.allow_connections()  # whatever happened, the test database takes connections again


@pytest.fixture
def web(private_redis, publishing, tmp_path, request):
    env = service_env(
        broker_url=private_redis.url,
        queue=publishing,
        DATABASE_URL=f"{worker_database_url()}?application_name=faults-web",
        CONN_MAX_AGE="60",
        API_THROTTLE_USER="100000/hour",
    )
    server = WebServer(log_path=tmp_path / "gunicorn.log", env=env)
    try:
        yield server.start()
    finally:
        server.stop()
        report = getattr(request.node, "report_call", None)
        if report is None or report.failed:
            print(f"--- gunicorn log ---\n{server.log()}")


def test_a_database_outage_answers_503_and_the_same_processes_recover_without_a_restart(
    world, publishing, workers, web, outage, pg_admin
):
    factories.rule(department=world.sanitation, category=world.cats.waste)
    worker = workers.start(
        "worker",
        queue=publishing,
        DATABASE_URL=f"{worker_database_url()}?application_name=faults-worker",
        CONN_MAX_AGE="60",
    )
    browser = Client()
    browser.force_login(world.gridadmin, backend="django.contrib.auth.backends.ModelBackend")
    page_headers = {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    }
    # (The personas' passwords use the tests' fast hasher, which the server does not know: the token is
    # made here. test_broker_outage logs in over the API.)
    token, _ = Token.objects.get_or_create(user=world.gridadmin)
    api_headers = {"Authorization": f"Token {token.key}", "Accept": "application/json"}
    lat, lng = centre(world.g1)

    def report(description: str):
        body = {"lat": lat, "lng": lng, "category": world.cats.waste.code, "description": description}
        return web.request("POST", "/api/v1/cases/", json_body=body, headers=api_headers)

    def routed(answer) -> Case:
        number = answer.json()["number"]
        return worker.wait_until(
            f"case {number} to be routed",
            lambda: Case.objects.filter(number=number, routed_at__isnull=False).first(),
        )

    # Up: a report is accepted and routed; the web and the worker now each hold a database connection.
    first = report("before")
    assert first.status == 201, first.text
    routed(first)
    web_pids = web.worker_pids()
    # Both keep their connection between requests and tasks (gridmgmt.celery), so both must recover it.
    applications = {name for (name,) in pg_admin.rows("SELECT application_name FROM pg_stat_activity")}
    assert {"faults-web", "faults-worker"} <= applications

    # A restart in a blink: every connection dies, new ones are taken at once. The very next request
    # succeeds: CONN_HEALTH_CHECKS finds the dead connection and opens a new one instead of failing.
    outage.kill_connections()
    second = report("after a restart")
    assert second.status == 201, second.text
    routed(second)  # the worker's first task after the restart reconnects the same way
    assert " retry: " not in worker.log(tail=10_000)

    # Down for a while: connections killed and refused. Clear, retryable refusals; nothing half-saved.
    pending = helpers.report(world, description="reported just before the outage")  # routing not yet sent
    outage.refuse_connections()
    outage.kill_connections()
    health = web.request("GET", "/healthz")
    assert (health.status, health.json()) == (503, {"database": "down", "broker": "ok"})
    refused = report("during the outage")
    assert refused.status == 503, refused.text
    assert refused.json()["error"]["code"] == "database_unavailable"
    assert refused.headers["Retry-After"]
    page = web.request("GET", "/home/", headers=page_headers)
    assert page.status == 503 and page.headers["Content-Type"].startswith("text/html")
    assert "Service unavailable" in page.text and "Traceback" not in page.text
    open311 = web.request("GET", "/open311/v2/services.json")
    assert open311.status == 503 and open311.json()[0]["code"] == 503

    # A route task that reaches the worker now fails on the database and is retried (autoretry).
    task_id = route_case_task.delay(pending.pk).id
    worker.wait_until("the route task to fail and be retried", lambda: f"[{task_id}] retry: " in worker.log())

    # Back: the same gunicorn worker and the same Celery worker serve again, with no restart.
    outage.allow_connections()
    third = report("after the outage")
    assert third.status == 201, third.text
    routed(third)
    worker.wait_until("the retried task to succeed", lambda: f"[{task_id}] succeeded" in worker.log())
    assert Case.objects.get(pk=pending.pk).routed_at is not None
    health = web.request("GET", "/healthz")
    assert (health.status, health.json()) == (200, {"database": "ok", "broker": "ok"})
    assert web.request("GET", "/home/", headers=page_headers).status == 200
    assert web.worker_pids() == web_pids
    assert worker.process.poll() is None

    assert sorted(Case.objects.values_list("description", flat=True)) == sorted(
        ["after a restart", "after the outage", "before", "reported just before the outage"]
    )
    assert all(case.events.filter(action="route").count() == 1 for case in Case.objects.all())
    assert '" 500 ' not in web.log(tail=10_000)  # the access log: no request ended in a 500
