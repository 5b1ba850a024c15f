"""Starts Rasa (one or more servers per language), the action server and the gateway as child
processes, and stops them.

    python -m devtools.stack serve [--rasa-processes N]  # run until Ctrl-C
    python -m devtools.stack demo [--keep]  # run, load the demo accounts, chat as a borrower

Embedded defaults need no outside server: the store and Rasa's trackers are SQLite
files under var/ (emptied by each demo unless --keep), and outbound SMS land in the
outbox. REDIS_URL switches Rasa's tracker and lock stores and
the gateway's state to Redis; DATABASE_URL moves the store to PostgreSQL. With Redis,
`--rasa-processes N` (or RASA_PROCESSES) runs N Rasa servers per language, which the
gateway spreads conversations over. Logs go to var/log/<process>.log.

English comes up first: serve and demo train (if need be) and start every other
language's model in the background once the rest runs; until then that language's
accounts get the holding reply and their messages wait for redelivery.
"""
from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlparse

import requests
import yaml
from sqlalchemy.engine import make_url

from bot.training import (
    LANGUAGES,
    ROOT,
    STOCK_RASA_SWITCH,
    ensure_models,
    model_path,
    rasa_command,
    rasa_env,
)
from devtools import terminal
from lending.languages import ENGLISH
from settings.deployment import GATEWAY_SECRETS, ConfigError, require_secrets
from settings.runtimes import dialogue_python

VAR = ROOT / "var"
PROGRESS_EVERY = 30  # seconds between "still waiting" lines while the stack starts

# Tests and benchmarks must never reach Twilio, whatever the developer's shell holds.
OFFLINE_TWILIO = {
    "TWILIO_AUTH_TOKEN": "", "TWILIO_ACCOUNT_SID": "", "TWILIO_FROM_NUMBER": "",
    "TWILIO_MESSAGING_SERVICE_SID": "", "PUBLIC_URL": "",
}


def start_wait_seconds() -> float:
    """How long a process may take to answer its health check once started: 180 s, or
    REPAY_STACK_WAIT_SECONDS on a busy machine (Rasa loads its model slowly there)."""
    return float(os.environ.get("REPAY_STACK_WAIT_SECONDS") or 180)


STOCK_RASA = "rasa-stock"  # Rasa without bot/rasa_speedups.py, beside the others (benchmark)


@dataclass
class StackConfig:
    # English; each other language's Rasa on the next port (zh: 5006); a language's second
    # Rasa process one round of languages further (en: 5007, zh: 5008), and so on.
    rasa_port: int = 5005
    rasa_processes: int = 1  # per language; more than one needs REDIS_URL (shared trackers)
    # Also run stock Rasa 3.6 (English: no bot/rasa_speedups.py, Rasa's own tracker store)
    # on this port, to compare with (devtools/bench.py).
    stock_rasa_port: Optional[int] = None
    actions_port: int = 5055
    gateway_port: int = 5000
    gateways: int = 1  # more than one needs REDIS_URL (shared gateway state); 0: none
    workers: int = 0  # campaign workers (RQ, `flask --app server campaigns worker`); need REDIS_URL
    database_url: str = f"sqlite:///{VAR / 'repay.db'}"
    tracker_db: str = str(VAR / "rasa_tracker.db")
    redis_url: Optional[str] = None
    log_dir: Path = VAR / "log"
    extra_env: Dict[str, str] = field(default_factory=dict)
    languages: Tuple[str, ...] = LANGUAGES  # whose dialogue models run
    # Of those, the ones whose model, when not built yet, is trained in the background
    # after the rest is up (their accounts wait for redelivery meanwhile).
    later: Tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> "StackConfig":
        config = cls(redis_url=os.environ.get("REDIS_URL") or None)
        if os.environ.get("DATABASE_URL"):
            config.database_url = os.environ["DATABASE_URL"]
        if os.environ.get("RASA_PROCESSES"):
            config.rasa_processes = rasa_processes(os.environ["RASA_PROCESSES"])
        return config

    def check(self) -> None:
        """ValueError for a stack that cannot work."""
        if self.rasa_processes < 1:
            raise ValueError("the number of Rasa processes per language must be 1 or more")
        if self.rasa_processes > 1 and not self.redis_url:
            raise ValueError("several Rasa processes per language share their trackers and "
                             "locks through Redis: set REDIS_URL")
        if self.workers and not self.redis_url:
            raise ValueError("campaign workers take their jobs from Redis: set REDIS_URL")

    @property
    def rasa_url(self) -> str:
        return self.rasa_url_of("en")

    def rasa_port_of(self, lang: str, process: int = 0) -> int:
        return self.rasa_port + LANGUAGES.index(lang) + process * len(LANGUAGES)

    def rasa_url_of(self, lang: str, process: int = 0) -> str:
        return f"http://127.0.0.1:{self.rasa_port_of(lang, process)}"

    def rasa_urls_of(self, lang: str) -> List[str]:
        return [self.rasa_url_of(lang, n) for n in range(self.rasa_processes)]

    @staticmethod
    def rasa_name(lang: str, process: int = 0) -> str:
        name = "rasa" if lang == "en" else f"rasa-{lang}"
        return name if process == 0 else f"{name}{process + 1}"

    def rasa_names(self, lang: str) -> List[str]:
        return [self.rasa_name(lang, n) for n in range(self.rasa_processes)]

    @property
    def rasa_ports(self) -> Dict[str, int]:
        """Every Rasa process's port, by name."""
        ports = {self.rasa_name(lang, n): self.rasa_port_of(lang, n)
                 for lang in self.languages for n in range(self.rasa_processes)}
        if self.stock_rasa_port is not None:
            ports[STOCK_RASA] = self.stock_rasa_port
        return ports

    @property
    def stock_rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.stock_rasa_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def gateway_names(self) -> List[str]:
        return (["gateway"] + [f"gateway{n}" for n in range(2, self.gateways + 1)])[:self.gateways]

    def gateway_port_of(self, name: str) -> int:
        return self.gateway_port + self.gateway_names.index(name)

    @property
    def worker_names(self) -> List[str]:
        return (["worker"] + [f"worker{n}" for n in range(2, self.workers + 1)])[:self.workers]


def rasa_processes(raw: str) -> int:
    """A count of Rasa processes per language, from the command line or RASA_PROCESSES."""
    if not raw.strip().isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of 1 or more, not {raw!r}")
    return int(raw)


def _end(process: subprocess.Popen) -> None:
    """SIGTERM to the process's group, SIGKILL when it lingers."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _shown(path: Path) -> str:
    """A path as a user in the repository's root would type it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


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
        config.check()
        self.config = config
        self.processes: Dict[str, subprocess.Popen] = {}
        self.models = ensure_models(
            lang for lang in config.languages
            if lang not in config.later or model_path(lang).exists()
        )
        # `later` languages without a model: trained, then started, by a thread each.
        self.background: Dict[str, threading.Thread] = {}
        self.training: Dict[str, subprocess.Popen] = {}
        self._guard = threading.Lock()  # starting a process vs stopping the stack
        self._stopping = False
        # One value per run for every process: a console sign-in works on any gateway, the
        # gateway's calls reach Rasa's HTTP API, Rasa's reach the action server.
        self.secrets = {name: os.environ.get(name) or secrets.token_hex(32)
                        for name in ("SECRET_KEY", "RASA_TOKEN", "ACTION_SERVER_TOKEN")}
        # RQ keeps a dead worker's name registered for a while: each run's names are new.
        run = secrets.token_hex(3)
        self.worker_ids = {name: f"{name}-{run}" for name in config.worker_names}

    def env(self) -> Dict[str, str]:
        c = self.config
        env = rasa_env()
        env.update(
            DATABASE_URL=c.database_url,
            RASA_URL=",".join(c.rasa_urls_of("en")),
            # A language whose model is not running: its accounts wait for redelivery.
            RASA_URL_ZH=(",".join(c.rasa_urls_of("zh")) if "zh" in c.languages
                         else "http://127.0.0.1:9"),
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{c.actions_port}/webhook",
            RASA_TRACKER_DB=c.tracker_db,
            PYTHONPATH=str(ROOT),
            **self.secrets,
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
            "actions": [sys.executable, "-m", "actions.server", "--port", str(c.actions_port)],
        }
        for lang in self.models:
            for n, name in enumerate(c.rasa_names(lang)):
                commands[name] = self._rasa_command(lang, c.rasa_port_of(lang, n), endpoints)
        if c.stock_rasa_port is not None and ENGLISH in self.models:
            commands[STOCK_RASA] = self._rasa_command(
                ENGLISH, c.stock_rasa_port, *self._stock_settings(endpoints))
        for name in c.gateway_names:
            commands[name] = [
                str(bin_dir / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"),
                "--bind", f"127.0.0.1:{c.gateway_port_of(name)}",
                "--workers", "1", "--threads", "16", "--timeout", "30", "server:create_app()",
            ]
        for name, worker_id in self.worker_ids.items():
            commands[name] = [str(bin_dir / "flask"), "--app", "server", "campaigns", "worker",
                              "--name", worker_id]
        return commands

    def _rasa_command(self, lang: str, port: int, endpoints: str,
                      credentials: str = "credentials.yml") -> List[str]:
        return [*rasa_command(), "run", "--enable-api", "--port", str(port),
                "--model", str(self.models[lang]), "--endpoints", endpoints,
                "--credentials", credentials, "--interface", "127.0.0.1",
                "--auth-token", self.secrets["RASA_TOKEN"]]

    def _stock_settings(self, endpoints: str) -> Tuple[str, str]:
        """`endpoints` with Rasa's own Redis tracker store instead of ours, and Rasa's own
        REST channel instead of ours (bot/rest_channel.py)."""
        settings = yaml.safe_load((ROOT / endpoints).read_text())
        if self.config.redis_url:
            settings["tracker_store"]["type"] = "redis"
        stock_endpoints = self.config.log_dir / "endpoints.stock.yml"
        stock_endpoints.write_text(yaml.safe_dump(settings))
        stock_credentials = self.config.log_dir / "credentials.stock.yml"
        stock_credentials.write_text(yaml.safe_dump({"rest": None}))
        return str(stock_endpoints), str(stock_credentials)

    def _health_url(self, name: str) -> str:
        c = self.config
        if name.startswith("gateway"):
            return f"http://127.0.0.1:{c.gateway_port_of(name)}/healthz"
        if name.startswith("rasa"):
            return f"http://127.0.0.1:{self._port(name)}/status?token={self.secrets['RASA_TOKEN']}"
        return f"http://127.0.0.1:{c.actions_port}/health"

    def _port(self, name: str) -> int:
        c = self.config
        if name.startswith("gateway"):
            return c.gateway_port_of(name)
        return {"actions": c.actions_port, **c.rasa_ports}[name]

    def _worker_registered(self, name: str) -> bool:
        """A campaign worker is up once RQ lists it in Redis (it serves no HTTP)."""
        import redis

        try:
            workers = redis.Redis.from_url(self.config.redis_url, socket_timeout=2)
            return bool(workers.sismember("rq:workers", f"rq:worker:{self.worker_ids[name]}"))
        except redis.RedisError:
            return False

    def start(self, name: str, timeout: Optional[float] = None) -> None:
        self.launch(name)
        self.wait_healthy([name], timeout or start_wait_seconds())

    def launch(self, name: str) -> None:
        """Starts the process, without waiting for it to answer."""
        # Another stack on the same port would answer our health check and our
        # requests: refuse rather than talk to the wrong service.
        with socket.socket() as probe:
            if name not in self.worker_ids and probe.connect_ex(("127.0.0.1", self._port(name))) == 0:
                raise RuntimeError(f"{name}: port {self._port(name)} is already in use")
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        Path(self.config.tracker_db).parent.mkdir(parents=True, exist_ok=True)
        with self._guard, open(self.config.log_dir / f"{name}.log", "ab") as log:
            if self._stopping:
                raise RuntimeError(f"{name}: not started, the stack is stopping")
            env = self.env()
            if name == STOCK_RASA:
                env[STOCK_RASA_SWITCH] = "1"
            if name.startswith("gateway"):
                # Each gateway's gunicorn workers add up their metrics in a directory of its own.
                env["PROMETHEUS_MULTIPROC_DIR"] = str(self.config.log_dir / "metrics" / name)
            self.processes[name] = subprocess.Popen(
                self._commands()[name], cwd=ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )

    def _healthy(self, name: str) -> bool:
        process = self.processes.get(name)
        if process is None:
            raise RuntimeError(f"{name} was stopped")
        if process.poll() is not None:
            raise RuntimeError(
                f"{name} exited with {process.returncode}; see {self.config.log_dir / name}.log"
            )
        if name in self.worker_ids:
            return self._worker_registered(name)
        try:
            return requests.get(self._health_url(name), timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait_healthy(self, names: List[str], timeout: float, progress: bool = False) -> None:
        """Until every process named answers its health check; with `progress`, a line as
        each is up and every 30 s while Rasa loads its model."""
        started = time.monotonic()
        waiting, told = list(names), 0
        up: List[str] = []  # said to be up
        while waiting:
            waiting = [name for name in waiting if not self._healthy(name)]
            elapsed = time.monotonic() - started
            if progress:
                for name in names:
                    if name not in waiting and name not in up:
                        print(f"stack: {name} up in {elapsed:.0f} s", flush=True)
                        up.append(name)
                if waiting and elapsed >= told + PROGRESS_EVERY:
                    told += PROGRESS_EVERY
                    print(f"stack: waiting for {', '.join(waiting)} ({told} s)", flush=True)
            if waiting and elapsed > timeout:
                raise RuntimeError(f"{', '.join(waiting)} not healthy after {timeout:.0f} s; "
                                   f"see {_shown(self.config.log_dir)}/")
            if waiting:
                time.sleep(0.5)

    def check_secrets(self) -> None:
        """ConfigError when the gateway would refuse to start (its log would be all that said why)."""
        require_secrets(self.env(), GATEWAY_SECRETS, "The gateway")

    def start_all(self) -> None:
        """Starts every process at once (Rasa loading its model takes longest) and waits
        for all; then the `later` languages' models in the background."""
        self.check_secrets()
        names = ["actions", *(name for lang in self.models for name in self.config.rasa_names(lang)),
                 *([STOCK_RASA] if self.config.stock_rasa_port is not None else []),
                 *self.config.gateway_names, *self.config.worker_names]
        print(f"stack: starting {', '.join(names)}", flush=True)
        for name in names:
            self.launch(name)
        self.wait_healthy(names, timeout=start_wait_seconds(), progress=True)
        for lang in self.config.languages:
            if lang not in self.models:
                self.background[lang] = threading.Thread(
                    target=self._train_then_start, args=(lang,), name=f"train-{lang}",
                    daemon=True)
                self.background[lang].start()

    @staticmethod
    def training_command(lang: str) -> List[str]:
        return [dialogue_python(), "-m", "bot.training", lang]

    def _train_then_start(self, lang: str) -> None:
        """Trains `lang`'s model in the background, then starts its Rasa processes."""
        names, started = self.config.rasa_names(lang), time.monotonic()
        log_path = self.config.log_dir / f"training-{lang}.log"
        terminal.show(f"stack: training the {lang} model in the background (log: "
                      f"{_shown(log_path)}); its accounts get the holding reply until it is up")
        with self._guard, open(log_path, "ab") as log:
            if self._stopping:
                return
            self.training[lang] = subprocess.Popen(
                self.training_command(lang), cwd=ROOT, env=rasa_env(),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            if self.training[lang].wait() != 0:
                raise RuntimeError(f"training the {lang} model failed; see {_shown(log_path)}")
            with self._guard:  # start() reads the models under it
                self.models[lang] = model_path(lang)
            for name in names:
                self.launch(name)
            self.wait_healthy(names, timeout=300)
        except RuntimeError as exc:
            if not self._stopping:
                terminal.show(f"stack: {exc}")
            return
        terminal.show(f"stack: {lang} model up on {self.config.rasa_url_of(lang)}, "
                      f"{time.monotonic() - started:.0f} s after the stack; waiting messages "
                      "are answered now")

    def children(self, name: str) -> List[int]:
        """The pids of a process's children: a gateway's gunicorn workers (Linux)."""
        pid = self.processes[name].pid
        return [int(child) for child in
                Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        _end(process)

    def stop_all(self) -> None:
        with self._guard:  # nothing starts after this
            self._stopping = True
        for training in self.training.values():
            if training.poll() is None:
                _end(training)
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
SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")


@dataclass(frozen=True)
class ConsoleSignIn:
    """Where an agent answers a conversation a person holds, for the chat's hints."""

    url: str
    password: Optional[str] = None  # None: the one `./repay demo` printed
    agent: str = "demo"


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


def use_demo_state(config: StackConfig, keep: bool) -> None:
    """Empties the embedded store and Rasa's trackers first unless `keep`: every demo
    starts its borrowers afresh (no opt-out, lock or handoff left over from an earlier
    run). A DATABASE_URL of the user's own is never emptied."""
    if os.environ.get("DATABASE_URL"):
        print("stack: DATABASE_URL is set: the demo keeps that store's state")
        return
    if keep:
        print("stack: the demo keeps its previous state")
        return
    store_file = Path(make_url(config.database_url).database or "")
    for path in (store_file, Path(config.tracker_db)):
        for leftover in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDE_FILES)):
            leftover.unlink(missing_ok=True)
    print(f"stack: the demo starts afresh (empty {_shown(store_file)} and Rasa trackers; "
          "./repay demo --keep keeps the previous state)")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.stack")
    parser.add_argument("mode", choices=["serve", "demo"])
    parser.add_argument("--account", default=None, metavar="ACCOUNT_ID",
                        help="demo: chat as this demo account (DEMO-1005 writes Chinese)")
    parser.add_argument("--keep", action="store_true",
                        help="demo: keep the previous demo's conversations, opt-outs and "
                             "trackers instead of starting afresh")
    parser.add_argument("--rasa-processes", type=rasa_processes, default=None, metavar="N",
                        help="Rasa servers per language (default: RASA_PROCESSES, else 1); "
                             "more than one needs REDIS_URL")
    args = parser.parse_args(argv)
    # A service manager's stop (SIGTERM) ends the stack as Ctrl-C does: its processes run in
    # sessions of their own and would outlive it otherwise.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        config = StackConfig.from_env()
    except argparse.ArgumentTypeError as exc:
        parser.error(f"RASA_PROCESSES: {exc}")
    if args.rasa_processes is not None:
        config.rasa_processes = args.rasa_processes
    try:
        config.check()
    except ValueError as exc:
        parser.error(str(exc))
    config.later = tuple(lang for lang in config.languages if lang != ENGLISH)
    if args.mode == "demo":
        use_demo_state(config, args.keep)
    load_demo_accounts(config.database_url)
    password = create_demo_agents(config.database_url)
    stack = Stack(config)
    try:
        stack.check_secrets()
    except ConfigError as exc:
        sys.exit(f"stack: {exc}")
    with stack:
        rasas = ", ".join(f"{lang} on {' and '.join(config.rasa_urls_of(lang))}"
                          for lang in config.languages)
        print(f"stack: gateway on {config.gateway_url}/twilio/sms, Rasa {rasas}")
        console = ConsoleSignIn(f"{config.gateway_url}/console/", password)
        print(
            f"stack: agent console on {console.url} - sign in as 'demo' (agent), "
            f"'demo-lead' (supervisor) or 'demo-trainer' (trainer), password {password}"
        )
        if args.mode == "demo":
            from devtools.chat import chat

            chat(stack.config.gateway_url, args.account, console)
        else:
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
