"""Fault-test fixtures: a private Redis, real workers on it, a PostgreSQL administrator's connection.

Everything started here is stopped by its fixture's teardown, pass or fail; a failed test prints the
logs of the processes it started.
"""

import psycopg2
import pytest
from django.core.cache import cache
from django.db import connection

from ..support.celery_worker import Worker, celery_publishing, service_env, unique_queue
from ..support.redis_server import RedisServer


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so a fixture can tell whether its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _failed(request) -> bool:
    report = getattr(request.node, "report_call", None)
    return report is None or report.failed


@pytest.fixture(autouse=True)
def _local_cache(settings):
    """API throttle counters live in the cache: a fresh in-memory one, never the machine's Redis."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "faults"}
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def private_redis(tmp_path, request):
    """A redis-server of this test's own (port chosen free): killed at the end whatever happened."""
    server = RedisServer(tmp_path / "redis")
    try:
        yield server.start()
    finally:
        server.kill()
        if _failed(request):
            print(f"--- private redis log ---\n{server.log()[-4000:]}")


@pytest.fixture
def publishing(private_redis):
    """This process publishes to a fresh queue on the private Redis; its name is the fixture's value."""
    queue = unique_queue()
    with celery_publishing(queue=queue, broker_url=private_redis.url):
        yield queue


class Workers:
    """Starts Celery workers on the private Redis; the fixture stops every one of them."""

    def __init__(self, broker_url: str, directory):
        self.broker_url = broker_url
        self.directory = directory
        self.started: list[Worker] = []

    def start(self, name: str, *, queue: str, pool: str = "solo", **env: str) -> Worker:
        worker = Worker(
            queue=queue,
            log_path=self.directory / f"{name}.log",
            env=service_env(broker_url=self.broker_url, queue=queue, **env),
            pool=pool,
        )
        self.started.append(worker)
        return worker.start()


@pytest.fixture
def workers(private_redis, django_db_setup, tmp_path, request):
    pool = Workers(private_redis.url, tmp_path)
    try:
        yield pool
    finally:
        for worker in pool.started:
            worker.stop()
        if _failed(request):
            for worker in pool.started:
                print(f"--- celery worker log ({worker.log_path.name}) ---\n{worker.log()}")


def database_dsn(**overrides) -> dict:
    db = connection.settings_dict
    return {
        "dbname": db["NAME"],
        "user": db["USER"],
        "password": db.get("PASSWORD") or None,
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        **overrides,
    }


class PgAdmin:
    """An autocommit connection to the `postgres` database: outside the test database, so it survives
    whatever the test does to that one's connections."""

    def __init__(self):
        self.test_db = connection.settings_dict["NAME"]
        self.conn = psycopg2.connect(**database_dsn(dbname="postgres", application_name="faults-admin"))
        self.conn.autocommit = True

    def rows(self, sql: str, params=()) -> list[tuple]:
        with self.conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def blocked_by(self, pid: int) -> list[int]:
        """Backends waiting for a lock that backend `pid` holds."""
        return [
            row[0]
            for row in self.rows(
                "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid]
            )
        ]

    def lock_waiters(self) -> list[int]:
        """Backends of the test database waiting for a lock. (Behind a row lock the first waiter waits for
        its holder and the next ones for the first waiter, so `blocked_by` the holder counts only one.)"""
        return [
            row[0]
            for row in self.rows(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = %s AND cardinality(pg_blocking_pids(pid)) > 0",
                [self.test_db],
            )
        ]

    def backends(self) -> list[int]:
        """Backends connected to the test database (not this one)."""
        return [
            row[0] for row in self.rows("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.test_db])
        ]

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def pg_admin(django_db_setup):
    admin = PgAdmin()
    try:
        yield admin
    finally:
        admin.close()


class RowLocks:
    """FOR UPDATE locks on case rows, held from a connection of its own as a slow transaction would hold
    them; released (rolled back) on leaving the block."""

    def __init__(self, case_ids: list[int]):
        from cases.models import Case

        self.table = Case._meta.db_table
        self.case_ids = list(case_ids)
        self.conn = psycopg2.connect(**database_dsn(application_name="faults-lock-holder"))
        self.pid = self.conn.get_backend_pid()

    def __enter__(self) -> "RowLocks":
        with self.conn.cursor() as cursor:
            cursor.execute(
                f'SELECT id FROM "{self.table}" WHERE id = ANY(%s) ORDER BY id FOR UPDATE', [self.case_ids]
            )
            assert len(cursor.fetchall()) == len(self.case_ids)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.conn.rollback()
        finally:
            self.conn.close()
