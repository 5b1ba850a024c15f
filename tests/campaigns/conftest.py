"""Fixtures for campaign tests: a PostgreSQL database of their own (created next to the
test database, so other test packages dropping tables never interfere), a Redis queue
of their own per test, campaign files in a temporary directory, and a Runtime."""
from __future__ import annotations

import uuid

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import store.db
import store.schema
from campaigns.runtime import Runtime, install
from lending.policy import load_policy
from settings.service import Settings
from store.models import Base
from tests.support.app import (
    API_KEY,
    AUTH_TOKEN,
    PRODUCTION_SECRETS,
    build_app,
    copy_policy,
    empty_postgres,
)
from tests.support.campaigns import write_campaign
from tests.support.twilio import PUBLIC_URL


@pytest.fixture(scope="session")
def campaign_db_url(postgres_url) -> str:
    """repay_test_campaigns beside the test database, created on first use, tables new
    for each session."""
    url = make_url(postgres_url)
    name = f"{url.database}_campaigns"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    own = str(url.set(database=name))
    engine = store.db.make_engine(own)
    empty_postgres(engine)
    store.schema.upgrade(engine)
    engine.dispose()
    return own


@pytest.fixture
def db(campaign_db_url):
    """An empty store (every table truncated) bound to this process."""
    engine = store.db.connect(campaign_db_url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} CASCADE"))
    yield campaign_db_url
    engine.dispose()


@pytest.fixture
def queue_name(redis_url):
    name = f"test-campaigns-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    patterns = (f"*{name}*", "rq:job:repay-attempt-*", "rq:results:repay-attempt-*")
    keys = [k for pattern in patterns for k in client.scan_iter(pattern)]
    if keys:
        client.delete(*keys)


@pytest.fixture
def campaigns_dir(tmp_path):
    directory = tmp_path / "campaigns"
    write_campaign(directory, "reminders")
    return directory


@pytest.fixture
def policy_file(tmp_path):
    return copy_policy(tmp_path)


@pytest.fixture
def env(db, redis_url, queue_name, campaigns_dir, policy_file):
    """The variables a worker process reads (settings/service.py)."""
    return {
        "DATABASE_URL": db, "REDIS_URL": redis_url, "CAMPAIGN_QUEUE": queue_name,
        "CAMPAIGNS_DIR": str(campaigns_dir), "POLICY_FILE": str(policy_file),
        "SEND_RATE_PER_NUMBER": "200/second", "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "API_KEY": API_KEY, "REDELIVERY_INTERVAL_SECONDS": "0", "SECRET_KEY": "test-secret",
    }


@pytest.fixture
def make_runtime(env):
    def build(http_client=None, **overrides) -> Runtime:
        settings = Settings.from_env({**env, **overrides})
        return install(Runtime.build(settings, load_policy(settings.policy_file), http_client=http_client))

    return build


@pytest.fixture
def rt(make_runtime):
    return make_runtime()


@pytest.fixture
def twilio_env():
    """What makes the runtime send through Twilio's API (its HTTP layer faked)."""
    return {
        "TWILIO_ACCOUNT_SID": "ACtest0000000000000000000000000000",
        "TWILIO_FROM_NUMBER": "+18005550199", "PUBLIC_URL": PUBLIC_URL, **PRODUCTION_SECRETS,
    }


@pytest.fixture
def make_app(env):
    """The gateway on the campaigns' store and queue, holding only the accounts a test loads;
    no campaign test talks to Rasa (nothing listens on port 9)."""

    def build(**overrides):
        return build_app({"RASA_URL": "http://127.0.0.1:9", "RASA_URL_ZH": "http://127.0.0.1:9",
                          **env, **overrides}, demo_accounts=False)

    return build
