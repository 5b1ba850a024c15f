"""Fixtures for the action server: a temporary store holding the demo accounts, a
Conversation row for the sender, the domain, a dispatcher.

The clock stands still at REPAY_NOW (Tuesday 24 Nov 2026, 10:00 in New York), so days
overdue and schedules are the same on every run.
"""
from __future__ import annotations

from typing import Any, Dict

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.account_context
import store.db
from bot import domain_file
from store.accounts import import_csv
from tests.actions.action_support import NOW, open_conversation
from tests.support.paths import DEMO_ACCOUNTS


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return domain_file.data()


@pytest.fixture
def store_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REPAY_NOW", NOW)
    # The action server connects once per process; each test gets a fresh store.
    monkeypatch.setattr(actions.account_context, "_store_ready", False)
    store.db.connect(url)
    with store.db.session_scope() as session, open(DEMO_ACCOUNTS, encoding="utf-8") as stream:
        report = import_csv(session, stream)
    assert report.errors == []
    return url


@pytest.fixture
def conversation(store_url) -> str:
    """The conversation the gateway opened for DEMO-1001's phone (Dana, $453.50, due Nov 10)."""
    return open_conversation("DEMO-1001")


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
