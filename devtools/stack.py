"""Starts Rasa (one server per language), the action server and the gateway as child
processes, and stops them.

    python -m devtools.stack serve   # run until Ctrl-C
    python -m devtools.stack demo    # run, load the demo accounts, chat as a borrower

Embedded defaults need no outside server: the store and Rasa's trackers are SQLite
files under var/, and outbound SMS land in the outbox. REDIS_URL switches Rasa's
tracker and lock stores and the gateway's state to Redis; DATABASE_URL moves the
store to PostgreSQL. Logs go to var/log/<process>.log.
"""
from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlparse

import requests

from bot.training import LANGUAGES, ROOT, ensure_models, rasa_env

VAR = ROOT / "var"

# Tests and benchmarks must never reach Twilio, whatever the developer's shell holds.
OFFLINE_TWILIO = {
    "TWILIO_AUTH_TOKEN": "", "TWILIO_ACCOUNT_SID": "", "TWILIO_FROM_NUMBER": "",
    "TWILIO_MESSAGING_SERVICE_SID": "", "PUBLIC_URL": "",
}


@dataclass
class StackConfig:
    rasa_port: int = 5005  # English; each other language's Rasa on the next port (zh: 5006)
    actions_port: int = 5055
    gateway_port: int = 5000
    gateways: int = 1  # more than one needs REDIS_URL (shared gateway state)
    database_url: str = f"sqlite:///{VAR / 'repay.db'}"
    tracker_db: str = str(VAR / "rasa_tracker.db")
    redis_url: Optional[str] = None
    log_dir: Path = VAR / "log"
    extra_env: Dict[str, str] = field(default_factory=dict)
    languages: Tuple[str, ...] = LANGUAGES  # whose dialogue models run

    @classmethod
    def from_env(cls) -> "StackConfig":
        config = cls(redis_url=os.environ.get("REDIS_URL") or None)
        if os.environ.get("DATABASE_URL"):
            config.database_url = os.environ["DATABASE_URL"]
        return config

    @property
    def rasa_url(self) -> str:
        return self.rasa_url_of("en")

    def rasa_port_of(self, lang: str) -> int:
        return self.rasa_port + LANGUAGES.index(lang)

    def rasa_url_of(self, lang: str) -> str:
        return f"http://127.0.0.1:{self.rasa_port_of(lang)}"

    @staticmethod
    def rasa_name(lang: str) -> str:
        return "rasa" if lang == "en" else f"rasa-{lang}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def gateway_names(self) -> List[str]:
        return ["gateway"] + [f"gateway{n}" for n in range(2, self.gateways + 1)]

    def gateway_port_of(self, name: str) -> int:
        return self.gateway_port + self.gateway_names.index(name)


def _redis_env(url: str) -> Dict[str, str]:
    parsed = urlparse(url)
    return {
        "REDIS_HOST": parsed.hostname or "127.0.0.1",
        "REDIS_PORT": str(parsed.port or 6379),
        "REDIS_DB": (parsed.path or "/0").lstrip("/") or "0",
        "REDIS_PASSWORD": parsed.password or "",
    }


class Stack:
    """The three processes of the service, started in order and health-checked."""

    def __init__(self, config: StackConfig):
        self.config = config
        self.processes: Dict[str, subprocess.Popen] = {}
        self.models = ensure_models(config.languages)
        # One key for every gateway process, so a console sign-in works on any of them.
        self.secret_key = os.environ.get("SECRET_KEY") or secrets.token_hex(32)

    def env(self) -> Dict[str, str]:
        c = self.config
        env = rasa_env()
        env.update(
            DATABASE_URL=c.database_url,
            RASA_URL=c.rasa_url,
            # A language whose model is not running: its accounts wait for redelivery.
            RASA_URL_ZH=c.rasa_url_of("zh") if "zh" in c.languages else "http://127.0.0.1:9",
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{c.actions_port}/webhook",
            RASA_TRACKER_DB=c.tracker_db,
            PYTHONPATH=str(ROOT),
            SECRET_KEY=self.secret_key,
        )
        if c.redis_url:
            env["REDIS_URL"] = c.redis_url
            env.update(_redis_env(c.redis_url))
        env.update(c.extra_env)
        return env

    def _commands(self) -> Dict[str, List[str]]:
        c = self.config
        bin_dir = Path(sys.executable).parent
        endpoints = "endpoints.redis.yml" if c.redis_url else "endpoints.yml"
        commands = {
            "actions": [str(bin_dir / "rasa"), "run", "actions", "--actions", "actions",
                        "--port", str(c.actions_port)],
        }
        for lang in c.languages:
            commands[c.rasa_name(lang)] = [
                str(bin_dir / "rasa"), "run", "--enable-api", "--port", str(c.rasa_port_of(lang)),
                "--model", str(self.models[lang]), "--endpoints", endpoints,
                "--credentials", "credentials.yml", "--interface", "127.0.0.1"]
        for name in c.gateway_names:
            commands[name] = [
                str(bin_dir / "gunicorn"), "--bind", f"127.0.0.1:{c.gateway_port_of(name)}",
                "--workers", "1", "--threads", "16", "--timeout", "30", "server:create_app()",
            ]
        return commands

    def _health_url(self, name: str) -> str:
        c = self.config
        if name.startswith("gateway"):
            return f"http://127.0.0.1:{c.gateway_port_of(name)}/healthz"
        if name.startswith("rasa"):
            return f"http://127.0.0.1:{self._port(name)}/status"
        return f"http://127.0.0.1:{c.actions_port}/health"

    def _port(self, name: str) -> int:
        c = self.config
        if name.startswith("gateway"):
            return c.gateway_port_of(name)
        ports = {c.rasa_name(lang): c.rasa_port_of(lang) for lang in c.languages}
        return {"actions": c.actions_port, **ports}[name]

    def start(self, name: str, timeout: float = 180) -> None:
        # Another stack on the same port would answer our health check and our
        # requests: refuse rather than talk to the wrong service.
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self._port(name))) == 0:
                raise RuntimeError(f"{name}: port {self._port(name)} is already in use")
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        Path(self.config.tracker_db).parent.mkdir(parents=True, exist_ok=True)
        log = open(self.config.log_dir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            self._commands()[name], cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_healthy(name, timeout)

    def wait_healthy(self, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = self._health_url(name)
        while time.monotonic() < deadline:
            process = self.processes[name]
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}; see {self.config.log_dir / name}.log"
                )
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{name} not healthy after {timeout:.0f} s; see its log")

    def start_all(self) -> None:
        rasas = [self.config.rasa_name(lang) for lang in self.config.languages]
        for name in ["actions", *rasas, *self.config.gateway_names]:
            print(f"stack: starting {name}", flush=True)
            self.start(name)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_all(self) -> None:
        for name in list(self.processes)[::-1]:
            self.stop(name)

    def __enter__(self) -> "Stack":
        try:
            self.start_all()
        except BaseException:
            self.stop_all()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self.stop_all()


def load_demo_accounts(database_url: str) -> None:
    from store.accounts import import_csv
    from store.db import connect, session_scope

    connect(database_url)
    demo = ROOT / "lender" / "demo_accounts.csv"
    with session_scope() as session, open(demo, encoding="utf-8", newline="") as stream:
        report = import_csv(session, stream)
    print(f"stack: demo accounts loaded ({report.created} new, {report.updated} updated)")


DEMO_AGENTS = {"demo": "agent", "demo-lead": "supervisor", "demo-trainer": "trainer"}


def create_demo_agents(database_url: str) -> str:
    """Console users for a newcomer; the password is DEMO_AGENT_PASSWORD, or new each run."""
    from store.agents import save_agent
    from store.db import connect, session_scope

    password = os.environ.get("DEMO_AGENT_PASSWORD") or secrets.token_urlsafe(12)
    connect(database_url)
    with session_scope() as session:
        for username, role in DEMO_AGENTS.items():
            save_agent(session, username, role, password)
    return password


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.stack")
    parser.add_argument("mode", choices=["serve", "demo"])
    parser.add_argument("--account", default=None, metavar="ACCOUNT_ID",
                        help="demo: chat as this demo account (DEMO-1005 writes Chinese)")
    args = parser.parse_args(argv)
    config = StackConfig.from_env()
    load_demo_accounts(config.database_url)
    password = create_demo_agents(config.database_url)
    with Stack(config) as stack:
        rasas = ", ".join(f"{lang} on {config.rasa_url_of(lang)}" for lang in config.languages)
        print(f"stack: gateway on {config.gateway_url}/twilio/sms, Rasa {rasas}")
        print(
            f"stack: agent console on {config.gateway_url}/console/ - sign in as 'demo' (agent), "
            f"'demo-lead' (supervisor) or 'demo-trainer' (trainer), password {password}"
        )
        if args.mode == "demo":
            from devtools.chat import chat

            chat(stack.config.gateway_url, args.account)
        else:
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
