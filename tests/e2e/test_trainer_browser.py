"""The trainers' NLU inbox in a real browser (Debian's Chromium, headless, driven by
Playwright) against the real stack: a borrower texts, Rasa classifies, the gateway files
the message redacted; a trainer signs in, corrects its intent and sees it written into
a temporary copy of data/nlu (never the real one)."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect
from sqlalchemy import select

import store.db
from devtools.stack import Stack, StackConfig
from devtools.twilio_sim import SimulatedTwilio
from settings.service import DEV_TWILIO_AUTH_TOKEN
from store.agents import save_agent
from store.models import ReviewItem
from tests.support.paths import ROOT
from tests.support.stack import PORT_BASE, SCREENSHOTS

TRAINER, PASSWORD = "e2e-trainer", "browser test password"
SENTENCE = "the bailiff took my car"


@pytest.fixture(scope="module")
def trainer_gateway(stack, tmp_path_factory):
    """One more gateway process on the stack's store and Rasa, writing approved examples
    into a copy of data/nlu and filing every message in the inbox (sample rate 1)."""
    var = Path(tmp_path_factory.mktemp("trainer"))
    nlu_dir = var / "data" / "nlu"
    shutil.copytree(ROOT / "data" / "nlu", nlu_dir)
    c = stack.config
    config = StackConfig(
        rasa_port=c.rasa_port, actions_port=c.actions_port, gateway_port=PORT_BASE + 9,
        database_url=c.database_url, tracker_db=c.tracker_db, log_dir=var / "log",
        # The stack's own secrets: its Rasa answers the inbox's tracker reads only with its token.
        extra_env={**c.extra_env, **stack.secrets, "NLU_DATA_DIR": str(nlu_dir),
                   "NLU_REVIEW_SAMPLE_RATE": "1"},
    )
    gateway = Stack(config)
    gateway.start("gateway")
    try:
        yield gateway, nlu_dir
    finally:
        gateway.stop_all()


def inbox_item(contains: str, timeout: float = 20) -> ReviewItem:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.db.session_scope() as session:
            items = session.execute(select(ReviewItem).order_by(ReviewItem.id)).scalars().all()
        found = [i for i in items if contains in i.text]
        if found:
            return found[-1]
        time.sleep(0.25)
    raise AssertionError(f"no inbox item with {contains!r} after {timeout} s")


def examples_of(path: Path, intent: str) -> list:
    data = yaml.safe_load(path.read_text())
    block = next(item for item in data["nlu"] if item.get("intent") == intent)
    return [line[2:] for line in block["examples"].splitlines()]


def test_a_trainer_corrects_an_inbox_item_and_sees_it_written(trainer_gateway, borrower, chromium):
    gateway, nlu_dir = trainer_gateway
    real_hardship = (ROOT / "data" / "nlu" / "en" / "hardship.yml").read_text()
    with store.db.session_scope() as session:
        save_agent(session, TRAINER, "trainer", PASSWORD)

    # A borrower texts; Rasa answers; the gateway files the message, redacted.
    twilio = SimulatedTwilio(gateway.config.gateway_url, DEV_TWILIO_AUTH_TOKEN)
    phone = borrower["phone"]
    assert twilio.sms(phone, "hi")
    assert twilio.sms(phone, f"Dana here, {SENTENCE}")
    item = inbox_item(SENTENCE)
    assert item.text == f"[NAME] here, {SENTENCE}" and item.intent
    action = "Confirm hardship" if item.intent == "hardship" else "Correct to hardship"

    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    console = f"{gateway.config.gateway_url}/console/"
    page.goto(console)
    page.fill("input[name=username]", TRAINER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{console}nlu/")
    expect(page.get_by_test_id("signed-in-as")).to_have_text(TRAINER)

    # The inbox shows the redacted message and what the model thought.
    row = page.locator(f"#inbox-table tr[data-id='{item.id}']")
    expect(row).to_contain_text(f"[NAME] here, {SENTENCE}", timeout=10_000)
    expect(row).to_contain_text(item.intent)
    expect(page.get_by_test_id("inbox")).not_to_contain_text("Dana")

    # The trainer reviews it: trims the example, corrects the intent.
    page.get_by_test_id(f"review-{item.id}").click()
    expect(page.get_by_test_id("review-text")).to_have_text(f"[NAME] here, {SENTENCE}")
    expect(page.get_by_test_id("example-text")).to_have_value(f"Alex here, {SENTENCE}")
    page.get_by_test_id("example-text").fill(SENTENCE)
    page.get_by_test_id("intent-select").select_option("hardship")
    expect(page.get_by_test_id("approve")).to_have_text(action)
    expect(page.get_by_test_id("preview")).to_have_text(f"- {SENTENCE}")
    expect(page.locator("#preview-file")).to_contain_text("hardship.yml")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "trainer-inbox.png"), full_page=True)
    page.get_by_test_id("approve").click()

    # ...and sees it written: where, and as which line.
    done = page.get_by_test_id("last-decision")
    expect(done).to_contain_text("Written to", timeout=10_000)
    expect(done).to_contain_text("hardship.yml, line")
    expect(done).to_contain_text(f"- {SENTENCE}")
    expect(page.get_by_test_id("reviewed")).to_contain_text(SENTENCE)
    expect(page.locator(f"#inbox-table tr[data-id='{item.id}']")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "trainer-written.png"), full_page=True)

    assert examples_of(nlu_dir / "en" / "hardship.yml", "hardship")[-1] == SENTENCE
    assert (ROOT / "data" / "nlu" / "en" / "hardship.yml").read_text() == real_hardship

    # The conversation opens redacted.
    page.goto(f"{console}nlu/conversations/{item.conversation_id}")
    transcript = page.get_by_test_id("transcript")
    expect(transcript).to_contain_text(f"[NAME] here, {SENTENCE}")
    expect(transcript).not_to_contain_text("Dana")
    page.close()
