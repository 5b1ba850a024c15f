"""Building the gateway for a test: the one app builder, a private copy of the lender's
policy (tests may change it), a fresh store, and an environment free of the developer's
own settings (a real Twilio credential in the shell must never reach a test)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

import yaml
from sqlalchemy import text

import store.db
from settings.service import ENV_VARS
from tests.support.paths import DEMO_ACCOUNTS, ROOT

AUTH_TOKEN = "test-auth-token"  # the gateway's TWILIO_AUTH_TOKEN: webhooks are signed with it
API_KEY = "test-api-key"
API_AUTH = {"Authorization": f"Bearer {API_KEY}"}
AGENT_PHONE = "+18005550142"  # the agents' line calls are put through to
RASA_TIMEOUT = 1  # seconds, written into the gateway suite's policy


def copy_policy(directory: Path, rasa_timeout_seconds: Optional[float] = None) -> Path:
    """lender/policy.yml and its jurisdictions under `directory`; a short Rasa timeout
    keeps slow-bot tests quick."""
    lender = directory / "lender"
    shutil.copytree(ROOT / "lender" / "jurisdictions", lender / "jurisdictions")
    policy = yaml.safe_load((ROOT / "lender" / "policy.yml").read_text())
    if rasa_timeout_seconds is not None:
        policy["conversation"]["rasa_timeout_seconds"] = rasa_timeout_seconds
    path = lender / "policy.yml"
    path.write_text(yaml.safe_dump(policy))
    return path


def build_app(config: dict, *, demo_accounts: bool = True, people: bool = False):
    """The gateway (server.create_app) for a test: `config` over the settings every test
    shares; the demo accounts (lender/demo_accounts.csv) loaded unless `demo_accounts` is
    False; the console's people (tests/support/console.py AGENTS) with `people`."""
    from server import create_app
    from store.accounts import import_csv
    from tests.support.console import create_agents

    app = create_app({
        "TESTING": True,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "REDELIVERY_INTERVAL_SECONDS": 0,
        **config,
    })
    if demo_accounts:
        with store.db.session_scope() as session, \
                open(DEMO_ACCOUNTS, encoding="utf-8", newline="") as stream:
            assert not import_csv(session, stream).errors
    if people:
        create_agents()
    return app


def clear_gateway_environment(monkeypatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


# What a gateway that looks like production (PUBLIC_URL, Twilio REST credentials) must also be
# given to start (settings/deployment.py); tests pass them with such settings.
PRODUCTION_SECRETS = {"SECRET_KEY": "s" * 32, "RASA_TOKEN": "test-rasa-token-0123"}


def empty_postgres(engine) -> None:
    """Every table gone, this schema's or not: a database another checkout's newer schema
    left tables in (referencing ours) would make `Base.metadata.drop_all` fail."""
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


def fresh_database(kind: str, directory: Path, postgres_url: str) -> str:
    """A DATABASE_URL with no tables yet: a new SQLite file under `directory`, or the
    test PostgreSQL database emptied (it fails loudly when PostgreSQL is down)."""
    if kind == "sqlite":
        return f"sqlite:///{directory / 'gateway.db'}"
    engine = store.db.make_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("SELECT 1"))
    empty_postgres(engine)
    engine.dispose()
    return postgres_url
