"""The embedded SQLite default under a small office's load: no click is lost, none gets a 503.

Served as `make run` serves it: gunicorn with bin/run's 2 workers × 4 threads and a Celery worker on the
filesystem broker, all on one SQLite file (the committed test database). Ten dispatchers log in at once, then
file and dispatch ten cases at once, ten department staff accept them at once, while grid administrators
report new cases (which the worker routes meanwhile) and a supervisor reads. Every request must succeed, and
every action must have taken effect exactly once.

Without `transaction_mode: IMMEDIATE` (gridmgmt/settings.py) a workflow action's transaction reads the case
first and asks for the write lock only at its UPDATE; SQLite cannot wait on that upgrade and fails at once
("database is locked": a 503), whatever the busy timeout.
"""

import functools
import re
import sqlite3
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from rest_framework.authtoken.models import Token

from cases.audit import chains_verify
from cases.models import Case, CaseEvent, CaseState
from gridmgmt.middleware import MESSAGE
from gridmgmt.roles import Role
from notifications.models import Notification

from .. import factories
from ..conftest import using_postgres
from ..dispatch.helpers import report
from ..factories import centre
from ..support.celery_worker import Worker, service_env, unique_queue
from ..support.racing import race
from ..support.web_server import WebServer

pytestmark = [
    pytest.mark.skipif(
        using_postgres(), reason="about the embedded SQLite default; this run is on PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]

OFFICE = 10  # dispatchers, department staff, cases
ROUNDS = ("file", "dispatch", "accept")
REPORTS_PER_ROUND = 3
PASSWORD = "office-password-1"
REQUEST_TIMEOUT_S = 40  # above the busy timeout, so a request that waited is seen to the end


def _sqlite_url() -> str:
    return f"sqlite:///{connection.settings_dict['NAME']}"


def _embedded_env(queue: str, **overrides: str) -> dict[str, str]:
    """`make run`'s environment: no Redis, the filesystem broker, this test's SQLite file."""
    env = service_env(
        broker_url="filesystem://",
        queue=queue,
        DATABASE_URL=_sqlite_url(),
        REDIS_URL="",
        API_THROTTLE_USER="100000/hour",
        API_THROTTLE_LOGIN="1000/minute",
        **overrides,
    )
    env.pop("CELERY_BROKER_WRITE_URL", None)
    return env


def _forget_queue(queue: str) -> None:
    """Messages left for this test's queue in the filesystem broker's shared folder (var/broker/queue)."""
    for path in (settings.BROKER_DIR / "queue").glob(f"*.{queue}.msg"):
        path.unlink(missing_ok=True)


def _together(*calls) -> None:
    """Run the calls side by side (starting or stopping processes takes seconds each); re-raise a failure."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        for future in [pool.submit(call) for call in calls]:
            future.result()


def _print_logs_if_failed(request, *processes) -> None:
    report_call = getattr(request.node, "report_call", None)
    if report_call is None or report_call.failed:
        for process in processes:
            print(f"--- {process.log_path.name} ---\n{process.log()}")


@pytest.fixture
def office(transactional_db, tmp_path, request):
    """The served app and a Celery worker on the test database, as `make run` runs them."""
    queue = unique_queue()
    env = _embedded_env(queue)
    server = WebServer(log_path=tmp_path / "gunicorn.log", env=env, workers=2, threads=4)  # as bin/run
    worker = Worker(queue=queue, log_path=tmp_path / "worker.log", env=env)
    try:
        _together(server.start, worker.start)
        yield server, worker
    finally:
        # The worker's warm shutdown takes seconds on the filesystem transport; the test has waited for
        # its work, so it is killed.
        _together(server.stop, worker.kill)
        _forget_queue(queue)
        _print_logs_if_failed(request, server, worker)


@functools.cache
def _server_hash() -> str:
    """PASSWORD hashed as the server hashes (the tests' fast hasher is unknown to it); made once, ~0.25 s."""
    hasher = PBKDF2PasswordHasher()
    return hasher.encode(PASSWORD, hasher.salt())


def _with_password(user):
    user.password = _server_hash()
    user.save(update_fields=["password"])
    return user


def _burst(web, calls: list[tuple[str, str, str, dict | None, dict]]) -> list[tuple[str, int, float, str]]:
    """Send the requests (label, method, path, body, headers) at the same moment, one thread each; returns
    (label, status, seconds, body) per request."""

    def call(label, method, path, body, headers):
        def send():
            started = time.monotonic()
            answer = web.request(method, path, json_body=body, headers=headers, timeout=REQUEST_TIMEOUT_S)
            return label, answer.status, time.monotonic() - started, answer.text

        return send

    results = race(*(call(*c) for c in calls))
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


def _summary(body: str) -> str:
    """An answer's gist: an HTML page's title and (DEBUG's error page) exception value, else the body."""
    title = re.search(r"<title>(.*?)</title>", body, re.S)
    if title is None:
        return body[:300]
    value = re.search(r'<pre class="exception_value">(.*?)</pre>', body, re.S)
    return " ".join(x.group(1).strip() for x in (title, value) if x)


def _refused(results) -> list[str]:
    return [
        f"{label}: {status} {_summary(body)}"
        for label, status, _s, body in results
        if not 200 <= status < 300
    ]


def test_ten_dispatchers_at_once_on_the_embedded_default_all_succeed_and_each_action_counts_once(
    world, office
):
    web, worker = office
    factories.rule(department=world.sanitation, category=world.cats.waste)
    dispatchers = [
        _with_password(factories.user(f"dispatcher{i}", roles=(Role.DISPATCHER,))) for i in range(OFFICE)
    ]
    staff = [
        factories.user(f"staff{i}", roles=(Role.DEPARTMENT_STAFF,), departments=(world.sanitation,))
        for i in range(OFFICE)
    ]
    cases = [report(world, description=f"案件 {i}") for i in range(OFFICE)]
    numbers = [case.number for case in cases]
    initial = {case.number: case.version for case in cases}

    def token(user) -> dict:
        return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}

    timings: dict[str, list[float]] = {}

    # 09:00: the dispatch center logs in (each login writes: the token, last_login, django-axes' log).
    logins = _burst(
        web,
        [
            ("login", "POST", "/api/v1/auth/token/", {"username": d.username, "password": PASSWORD}, {})
            for d in dispatchers
        ],
    )
    assert not _refused(logins), _refused(logins)
    timings["login"] = [seconds for _l, _s, seconds, _b in logins]
    dispatcher_headers = [{"Authorization": f"Token {Token.objects.get(user=d).key}"} for d in dispatchers]
    staff_headers = [token(s) for s in staff]
    gridadmin_headers, supervisor_headers = token(world.gridadmin), token(world.supervisor)
    lat, lng = centre(world.g1)

    for round_no, action in enumerate(ROUNDS):
        versions = dict(Case.objects.filter(number__in=numbers).values_list("number", "version"))
        if action == "file":
            actions = [
                (action, "POST", f"/api/v1/cases/{n}/file/", {"note": "立案", "version": versions[n]}, h)
                for n, h in zip(numbers, dispatcher_headers, strict=True)
            ]
        elif action == "dispatch":
            body = {"department": world.sanitation.code, "note": "请处理"}
            actions = [
                (action, "POST", f"/api/v1/cases/{n}/dispatch/", {**body, "version": versions[n]}, h)
                for n, h in zip(numbers, dispatcher_headers, strict=True)
            ]
        else:
            actions = [
                (action, "POST", f"/api/v1/cases/{n}/accept/", {"version": versions[n]}, h)
                for n, h in zip(numbers, staff_headers, strict=True)
            ]
        reports = [
            (
                "report",
                "POST",
                "/api/v1/cases/",
                {
                    "lat": lat,
                    "lng": lng,
                    "category": world.cats.waste.code,
                    "description": f"新报 {round_no}-{i}",
                },
                gridadmin_headers,
            )
            for i in range(REPORTS_PER_ROUND)
        ]
        reads = [
            ("read", "GET", f"/api/v1/cases/{numbers[0]}/", None, supervisor_headers),
            ("read", "GET", "/api/v1/cases/?page_size=50", None, supervisor_headers),
        ]
        results = _burst(web, actions + reports + reads)
        statuses = Counter(status for _l, status, _s, _b in results)
        assert not _refused(results), f"round {action}: {dict(statuses)}\n" + "\n".join(_refused(results))
        for label, _status, seconds, _body in results:
            timings.setdefault(label, []).append(seconds)

    # Each action took effect exactly once: one event per step, in order, on every case.
    for case in Case.objects.filter(number__in=numbers):
        assert case.state == CaseState.IN_PROGRESS, case.number
        assert case.version == initial[case.number] + len(ROUNDS)
        steps = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("action", flat=True))
        assert steps == ["report", "file", "dispatch", "accept"], (case.number, steps)
    # Each report was saved once, and the worker (writing beside the web processes) routed every one.
    reported = Counter(
        Case.objects.filter(description__startswith="新报").values_list("description", flat=True)
    )
    assert reported == Counter(f"新报 {r}-{i}" for r in range(len(ROUNDS)) for i in range(REPORTS_PER_ROUND))
    # The worker wrote beside the web processes: it routed every report and sent every notice of the
    # dispatches, and none of its tasks failed or was retried.
    worker.wait_until(
        "the reports to be routed and the dispatch notices sent",
        lambda: (
            not Case.objects.filter(description__startswith="新报", routed_at__isnull=True).exists()
            and Notification.objects.exists()
            and not Notification.objects.filter(sent_at__isnull=True).exists()
        ),
    )
    worker_log = worker.log(10_000)
    assert " retry: " not in worker_log and "raised unexpected" not in worker_log, worker_log
    assert "database is locked" not in web.log(10_000) + worker_log
    checked, broken = chains_verify()
    assert (checked, broken) == (OFFICE + len(ROUNDS) * REPORTS_PER_ROUND, [])
    print(
        "seconds per request (max / mean): "
        + ", ".join(f"{k} {max(v):.2f} / {sum(v) / len(v):.2f}" for k, v in timings.items())
    )


@pytest.fixture
def impatient_web(transactional_db, tmp_path, request):
    """The served app on the test database with a busy timeout of 1 s (SQLITE_BUSY_TIMEOUT)."""
    queue = unique_queue()
    server = WebServer(log_path=tmp_path / "gunicorn.log", env=_embedded_env(queue, SQLITE_BUSY_TIMEOUT="1"))
    try:
        yield server.start()
    finally:
        server.stop()
        _forget_queue(queue)
        _print_logs_if_failed(request, server)


def test_a_writer_waits_the_busy_timeout_out_then_gets_the_clear_503_and_its_retry_succeeds(
    world, impatient_web
):
    """A write lock held past the busy timeout: the action waits that long (the timeout is honoured, not
    skipped), then answers the retryable 503 with its clear message, nothing saved; the retry succeeds."""
    web = impatient_web
    case = report(world)
    headers = {"Authorization": f"Token {Token.objects.get_or_create(user=world.dispatcher)[0].key}"}

    def file_it():
        return web.request(
            "POST", f"/api/v1/cases/{case.number}/file/", json_body={"note": "立案"}, headers=headers
        )

    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process's long write
        started = time.monotonic()
        refused = file_it()
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert refused.status == 503, refused.text
    assert refused.json() == {"error": {"code": "database_unavailable", "message": MESSAGE, "field": None}}
    assert refused.headers["Retry-After"]
    assert waited >= 1.0
    case.refresh_from_db()
    assert (case.state, case.version) == (CaseState.REPORTED, 1)

    again = file_it()
    assert again.status == 200, again.text
    assert again.json()["state"] == CaseState.FILED
    steps = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("action", flat=True))
    assert steps == ["report", "file"]
