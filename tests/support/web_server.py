"""The web app as production runs it: a gunicorn subprocess, talked to over HTTP on 127.0.0.1."""

import json
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .celery_worker import child_pids, wait_for
from .redis_server import free_port


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class WebServer:
    """gunicorn with one sync worker by default (every request served by one process and one database
    connection); `workers=2, threads=4` is how bin/run (`make run`) starts it, so requests meet at the
    database."""

    def __init__(self, *, log_path: Path, env: dict[str, str], workers: int = 1, threads: int = 1):
        self.port = free_port()
        self.log_path = log_path
        self.env = env
        self.workers = workers
        self.threads = threads
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "WebServer":
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "gridmgmt.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--timeout",
            "30",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

        def answers():
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited ({self.process.returncode}):\n{self.log()}")
            try:
                up = self.request("GET", "/healthz", timeout=2).status in (200, 503)
            except OSError:
                return False
            return up and len(self.worker_pids()) == self.workers

        wait_for("gunicorn's workers to answer", answers, timeout=30, interval=0.2, explain=self.log)
        return self

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (it replaces one that crashes or times out)."""
        return child_pids(self.process.pid)

    def request(
        self, method: str, path: str, *, json_body=None, headers: dict | None = None, timeout: float = 15
    ) -> Answer:
        data = None if json_body is None else json.dumps(json_body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def log(self, tail: int = 200) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-tail:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
