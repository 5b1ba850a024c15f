"""The whole service as a borrower meets it: Rasa, the action server and the gateway
run as real processes; conversations arrive as signed Twilio webhooks. Helpers the test
modules share are in tests/support/stack.py."""
from __future__ import annotations

from pathlib import Path

import pytest

import store.db
from devtools.stack import OFFLINE_TWILIO, Stack, StackConfig
from devtools.twilio_sim import SimulatedTwilio
from settings.service import DEV_TWILIO_AUTH_TOKEN
from tests.support.app import AGENT_PHONE
from tests.support.stack import E2E_API_KEY, PORT_BASE, chromium_path, load_borrower, new_phone


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    var = Path(tmp_path_factory.mktemp("e2e"))
    config = StackConfig(
        rasa_port=PORT_BASE + 5, actions_port=PORT_BASE + 55, gateway_port=PORT_BASE,
        database_url=f"sqlite:///{var / 'repay.db'}", tracker_db=str(var / "tracker.db"),
        log_dir=var / "log",
        extra_env={"REDELIVERY_INTERVAL_SECONDS": "1", **OFFLINE_TWILIO,
                   "API_KEY": E2E_API_KEY, "AGENT_PHONE": AGENT_PHONE},
    )
    store.db.connect(config.database_url)
    with Stack(config) as running:
        yield running


@pytest.fixture
def twilio(stack):
    return SimulatedTwilio(stack.config.gateway_url, DEV_TWILIO_AUTH_TOKEN)


@pytest.fixture
def borrower(stack):
    """A fresh account, 14 days overdue, with its own phone number."""
    phone = new_phone()
    return load_borrower(stack.config.database_url, f"E2E-{phone[-4:]}", phone)


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium driven by Playwright (a test that uses it is marked `browser`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        yield chromium
        chromium.close()
