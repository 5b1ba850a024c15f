"""What tests of whole processes share (devtools/stack.py's Stack)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Optional

import redis

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def replace_the_gateway_worker(stack, name: str = "gateway", timeout: float = 30) -> None:
    """SIGKILLs the gateway's gunicorn worker and waits for gunicorn to start another;
    nothing is sent to the gateway meanwhile."""
    [dead] = stack.children(name)
    os.kill(dead, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while stack.children(name) in ([], [dead]):
        assert time.monotonic() < deadline, "gunicorn did not replace its worker"
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """redis-server on its own port and directory, appending every write to disk first."""

    def __init__(self, directory: Path, port: int):
        self.directory, self.port = directory, port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "redis.log", "ab") as log:
            self.process = subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
                 "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert self.process.poll() is None, (self.directory / "redis.log").read_text()
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
