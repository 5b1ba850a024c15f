"""What every suite that builds the gateway needs: a private copy of the lender's policy
(tests may change it) and an environment free of the developer's own settings (a real
Twilio credential in the shell must never reach a test)."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Optional

import yaml
from sqlalchemy import text
from werkzeug.wrappers import Request, Response

import store.db
from settings.service import ENV_VARS

ROOT = Path(__file__).resolve().parent.parent


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


def afternoon_zone(hour: int = 13, now: Optional[dt.datetime] = None) -> str:
    """A fixed-offset zone where it is about `hour` o'clock `now` (default: now), so tests
    that send for real stay inside contact hours whenever they run. (Etc/GMT signs are
    inverted.)"""
    now = now or dt.datetime.now(dt.timezone.utc)
    offset = hour - now.hour
    if offset > 14:
        offset -= 24
    if offset < -12:
        offset += 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def in_contact_hours(account_id: str) -> None:
    """Moves an account to a zone where it is early afternoon now, for a test about something
    other than contact hours (the gate holds texts in the borrower's night: China allows
    no answer 22:00-08:00)."""
    from store.db import session_scope
    from store.models import Account

    with session_scope() as session:
        session.get(Account, account_id).timezone = afternoon_zone()


def clear_gateway_environment(monkeypatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


# What a gateway that looks like production (PUBLIC_URL, Twilio REST credentials) must also be
# given to start (settings/deployment.py); tests pass them with such settings.
PRODUCTION_SECRETS = {"SECRET_KEY": "s" * 32, "RASA_TOKEN": "test-rasa-token-0123"}


class NeedsRasaToken:
    """Mixed into a fake Rasa: its HTTP API (/conversations/...) answers 401 without
    `?token=<token>`, as `rasa run --auth-token` does; the REST webhook needs none."""

    token = PRODUCTION_SECRETS["RASA_TOKEN"]
    refused = 0

    def _app(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/conversations/") and request.args.get("token") != self.token:
            self.refused += 1
            return Response("User is not authenticated.", status=401)(environ, start_response)
        return super()._app(environ, start_response)


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
