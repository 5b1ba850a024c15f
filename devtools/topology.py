"""The production topology on one machine: two gateway processes, two English Rasa
processes, the action server and two campaign workers, sharing PostgreSQL and Redis.

    python -m devtools.topology [--port-base 5000]   # ./repay topology; runs until Ctrl-C

The store is DATABASE_URL (default: the local PostgreSQL's database repay_topology,
created when missing); Rasa's trackers and locks, the gateway's state and the campaign
queue are in REDIS_URL (default: redis://127.0.0.1:6379/0). Settings are production's
where they make sense on one machine: REPAY_ENV=production (every secret required), and
the secrets (Twilio auth token, session key, Rasa and action server tokens, API key) taken
from the environment or generated for this run, never from the repository. Twilio's REST
API is not used: outbound texts land in the outbox. docs/deployment.md spreads the same
processes over machines.
"""
from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from devtools.stack import OFFLINE_TWILIO, VAR, Stack, StackConfig, _shown
from settings.deployment import ConfigError

DEFAULT_DATABASE_URL = "postgresql://postgres:postgres@127.0.0.1:5432/repay_topology"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
GATEWAYS, RASA_PROCESSES, WORKERS = 2, 2, 2
RUN_SECRETS = ("TWILIO_AUTH_TOKEN", "API_KEY")  # the Stack makes the other three


def production_env(environ: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """What every process gets on top of the Stack's settings: production's rule for
    secrets, this run's secrets, no Twilio REST account (the outbox)."""
    environ = os.environ if environ is None else environ
    env = dict(OFFLINE_TWILIO, REPAY_ENV="production")
    env.update({name: environ.get(name) or secrets.token_hex(32) for name in RUN_SECRETS})
    return env


def topology_config(database_url: str, redis_url: str, port_base: int, log_dir: Path,
                    extra_env: Optional[Dict[str, str]] = None) -> StackConfig:
    """Gateways on port_base and port_base+1, Rasa on +5 and +7, actions on +55."""
    return StackConfig(
        gateway_port=port_base, gateways=GATEWAYS, rasa_port=port_base + 5,
        rasa_processes=RASA_PROCESSES, actions_port=port_base + 55, workers=WORKERS,
        languages=("en",), database_url=database_url, redis_url=redis_url,
        tracker_db=str(log_dir / "unused-tracker.db"), log_dir=log_dir,
        extra_env={**production_env(), **(extra_env or {})},
    )


def ensure_database(url: str) -> None:
    """Creates a PostgreSQL database that does not exist yet (the tables come with the
    first process that connects)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                       {"name": parsed.database}).first()
            if not found:
                connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
                print(f"topology: created the database {parsed.database}")
    finally:
        admin.dispose()


def where(stack: Stack) -> List[str]:
    """A line per process: what it is, where it listens, its log."""
    c = stack.config
    log = lambda name: _shown(c.log_dir / f"{name}.log")  # noqa: E731
    lines = [f"  {name:<9} http://127.0.0.1:{c.gateway_port_of(name)}  (POST /twilio/sms, "
             f"GET /healthz)  log {log(name)}" for name in c.gateway_names]
    lines += [f"  {name:<9} {c.rasa_url_of('en', n)}  (English; GET /)  log {log(name)}"
              for n, name in enumerate(c.rasa_names("en"))]
    lines.append(f"  {'actions':<9} http://127.0.0.1:{c.actions_port}  (GET /health)  "
                 f"log {log('actions')}")
    lines += [f"  {name:<9} RQ worker {stack.worker_ids[name]} on queue 'campaigns'  "
              f"log {log(name)}" for name in c.worker_names]
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.topology", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port-base", type=int, default=5000, metavar="PORT",
                        help="gateways on PORT and PORT+1, Rasa on PORT+5 and PORT+7, the "
                             "action server on PORT+55 (default 5000)")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    ensure_database(database_url)
    import store.db

    store.db.connect(database_url)  # the tables, before four processes race to create them
    config = topology_config(database_url, redis_url, args.port_base, VAR / "log" / "topology")
    stack = Stack(config)
    try:
        stack.check_secrets()
    except ConfigError as exc:
        sys.exit(f"topology: {exc}")
    print(f"topology: store {make_url(database_url).render_as_string(hide_password=True)}, "
          f"Redis {make_url(redis_url).render_as_string(hide_password=True)}", flush=True)
    with stack:
        print("topology: up", *where(stack), sep="\n")
        gateways = " and ".join(f"127.0.0.1:{config.gateway_port_of(name)}"
                                for name in config.gateway_names)
        print(f"topology: a load balancer fronts {gateways} (health check GET /healthz)")
        if not os.environ.get("TWILIO_AUTH_TOKEN"):  # generated: the only way to sign webhooks
            print("topology: webhooks are signed with this run's token: export "
                  f"TWILIO_AUTH_TOKEN={config.extra_env['TWILIO_AUTH_TOKEN']}")
        print("topology: Ctrl-C stops everything", flush=True)
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # a service manager's stop
        try:
            signal.pause()
        except KeyboardInterrupt:
            print("\ntopology: stopping", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
