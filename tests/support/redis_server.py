"""A private `redis-server` subprocess on a free port: a broker a test may kill and restart at will.

The machine's own Redis serves other runs and `make run`; it is never stopped. This one keeps nothing on
disk, so a restart comes back empty, as a Redis without persistence does after a crash.
"""

import signal
import socket
import subprocess
from pathlib import Path

import redis

from .celery_worker import wait_for


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self, directory: Path, port: int | None = None):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.log_path = directory / "redis.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=5)

    def _answers(self) -> bool:
        client = self.client()
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def start(self) -> "RedisServer":
        """Start (or restart, on the same port) and wait until it answers PING."""
        assert not self.running, "already running"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

        def up():
            if self.process.poll() is not None:
                raise AssertionError(f"redis-server exited ({self.process.returncode}):\n{self.log()}")
            return self._answers()

        wait_for(f"redis-server on port {self.port}", up, timeout=10, interval=0.05, explain=self.log)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: the broker vanishes mid-conversation, and everything it held is gone."""
        if self.running:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
