"""Real Celery worker subprocesses against the test database, and pointing this process's publisher at them.

Each worker consumes a queue no other run uses and publishes its own follow-up tasks to it
(CELERY_TASK_DEFAULT_QUEUE), so parallel runs and a `make run` worker on the same Redis can't steal each
other's tasks. The worker sees only committed rows: tests that use one are transactional.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from kombu import pools

from gridmgmt.celery import app as celery_app

TIMEOUT_S = 30


def wait_for(what: str, predicate, *, timeout: float = TIMEOUT_S, interval: float = 0.1, explain=None):
    """Poll `predicate` until it returns something truthy and return that; fail after `timeout` seconds,
    adding `explain()` (a log, say) to the message."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            detail = f"\n{explain()}" if explain else ""
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        time.sleep(interval)


def child_pids(pid: int) -> list[int]:
    """The direct children of process `pid` (Linux)."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def unique_queue() -> str:
    return f"gridmgmt-test-{uuid.uuid4().hex[:12]}"


def worker_database_url() -> str:
    """The URL of the test database (pytest-django has renamed NAME to it by now)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'])}"


def service_env(*, broker_url: str, queue: str, **overrides: str) -> dict[str, str]:
    """The environment of a worker (or web server) subprocess on the test database and `broker_url`."""
    return {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "RECONCILE_GRACE_SECONDS": "0",
        # Close connections after each task: the test database is truncated between tests and dropped at
        # the end of the session, which an idle connection held by the worker would block.
        "CONN_MAX_AGE": "0",
        # Each test truncates and rebuilds rules and categories, which a deployment never does; the worker's
        # per-process caches would carry one test's configuration into the next (this process forgets its
        # own between tests), so the long-lived worker reads them afresh.
        "ROUTING_RULES_CACHE_SECONDS": "0",
        "CATEGORIES_CACHE_SECONDS": "0",
        "EMAIL_URL": "consolemail://",
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }


def forget_queue(broker_url: str, queue: str) -> None:
    """Remove what kombu left in Redis for a throwaway queue (its list and its binding set)."""
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        client.delete(queue, *client.keys(f"_kombu.binding*.{queue}"))
    finally:
        client.close()


class Worker:
    """One `celery worker` subprocess; its output goes to `log_path`."""

    def __init__(self, *, queue: str, log_path: Path, env: dict[str, str], pool: str = "solo"):
        self.queue = queue
        self.log_path = log_path
        self.env = env
        self.pool = pool
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> "Worker":
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "gridmgmt",
            "worker",
            "--pool",
            self.pool,
            "--loglevel",
            "info",
            "--queues",
            self.queue,
            "--hostname",
            f"{self.log_path.stem}-{self.queue}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
        if self.pool != "solo":
            command += ["--concurrency", "1"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                # The tests read each task's "received" and "succeeded" lines, routine (hidden) otherwise.
                env={**self.env, "TASK_LOG_LEVEL": "INFO"},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.wait_until("the worker to start", lambda: " ready." in self.log(tail=1000))
        return self

    def log(self, tail: int = 200) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-tail:])

    def wait_until(self, what: str, predicate, timeout: float = TIMEOUT_S):
        """Poll `predicate` until it returns something truthy; fail with the worker's log otherwise."""

        def check():
            if self.process is not None and self.process.poll() is not None:
                code = self.process.returncode
                pytest.fail(f"the worker exited ({code}) waiting for {what}:\n{self.log()}")
            return predicate()

        return wait_for(what, check, timeout=timeout, explain=lambda: f"worker log:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acknowledgement, nothing handed back to the broker."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """A warm shutdown (TERM), then KILL if it takes too long."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@contextlib.contextmanager
def celery_publishing(*, queue: str, broker_url: str | None = None):
    """Within the block, what this process publishes goes to `queue` (on `broker_url` when given).

    Celery reads the broker URL from CELERY_BROKER_URL before its configuration and keeps connection and
    producer pools keyed by URL, so both are switched and the pools dropped on the way in and out.
    """
    conf = celery_app.conf
    previous = {"queue": conf.task_default_queue, "url": conf.get("broker_url")}
    previous_env = {name: os.environ.get(name) for name in ("CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL")}

    def drop_pools():
        pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.task_default_queue = queue
    if broker_url is not None:
        os.environ.pop("CELERY_BROKER_WRITE_URL", None)
        os.environ["CELERY_BROKER_URL"] = broker_url
        conf.broker_url = broker_url
        drop_pools()
    try:
        yield
    finally:
        conf.task_default_queue = previous["queue"]
        if broker_url is not None:
            conf.broker_url = previous["url"]
            for name, value in previous_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            drop_pools()


@contextlib.contextmanager
def worker_on_own_queue(log_dir: Path):
    """A real worker (against the test database and the configured Redis broker) consuming a queue of its
    own, which this process publishes to within the block; the queue is forgotten afterwards."""
    broker_url = celery_app.conf.broker_url
    assert broker_url.startswith("redis://"), f"the worker tests need a Redis broker, not {broker_url!r}"
    queue = unique_queue()
    env = service_env(broker_url=broker_url, queue=queue, REDIS_URL=settings.REDIS_URL)
    worker = Worker(queue=queue, log_path=log_dir / "worker.log", env=env)
    with celery_publishing(queue=queue):
        try:
            yield worker.start()
        finally:
            worker.stop()
            forget_queue(broker_url, queue)


def worker_log_print_on_failure(request, worker: Worker) -> None:
    """After a failed test, print the worker's log (call from an autouse fixture, after its yield)."""
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        print(f"--- celery worker log ({worker.log_path}) ---\n{worker.log()}")
