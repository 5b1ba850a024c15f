"""Fixtures shared by every test package: real servers' addresses and a fresh store."""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

# sanic (under rasa and rasa_sdk) turns every DeprecationWarning on when imported, above the
# filters in pyproject.toml: imported here first, with the filters put back right after.
with warnings.catch_warnings():
    import sanic  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
DEMO_ACCOUNTS = ROOT / "lender" / "demo_accounts.csv"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A real Redis; tests that use it fail (never skip) when it is unreachable."""
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return os.environ.get(
        "TEST_POSTGRES_URL", "postgresql://postgres:postgres@127.0.0.1:5432/repay_test"
    )
