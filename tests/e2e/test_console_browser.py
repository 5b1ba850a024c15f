"""The agent console in a real browser (Debian's Chromium, headless, driven by Playwright)
against the real stack: a borrower asks for a person by SMS, an agent signs in, claims the
conversation, reads it, replies, sees the borrower's answer, records a promise and hands
the conversation back; the bot answers the next message. Then what the compliance gate
refuses, as the agent and a supervisor see it."""
from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select, update

import store.db
from store.agents import save_agent
from store.models import Account, AuditEvent, Conversation, Handoff, Message
from tests.support.stack import SCREENSHOTS, outbox_for

AGENT, PASSWORD = "e2e-agent", "browser test password"


def handoff_of(phone: str) -> Handoff:
    with store.db.session_scope() as session:
        return session.execute(
            select(Handoff).join(Conversation, Conversation.id == Handoff.conversation_id)
            .where(Conversation.phone == phone).order_by(Handoff.id.desc())
        ).scalars().first()


def wait_for(predicate, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    return predicate()


def test_an_agent_takes_over_and_hands_back_in_the_browser(stack, twilio, borrower, chromium):
    phone = borrower["phone"]
    with store.db.session_scope() as session:
        save_agent(session, AGENT, "agent", PASSWORD)

    # The borrower asks for a person by SMS (a signed Twilio webhook).
    assert "birth" in " ".join(twilio.sms(phone, "hi")).lower()
    handing_over = " ".join(twilio.sms(phone, "i want to talk to a real person"))
    assert "person" in handing_over, handing_over
    handoff = handoff_of(phone)
    assert handoff is not None and handoff.status == "queued"

    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    console = f"{stack.config.gateway_url}/console/"
    page.goto(console)
    expect(page).to_have_url(f"{console}login?next=/console/")
    page.fill("input[name=username]", AGENT)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("signed-in-as")).to_have_text(AGENT)

    # The queue shows it (masked), live; the agent claims it.
    row = page.locator(f"#queue-table tr[data-id='{handoff.id}']")
    expect(row).to_contain_text("Asked for a person", timeout=10_000)
    expect(row).to_contain_text("•••• " + phone[-4:])
    expect(row).not_to_contain_text(phone)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-queue.png"), full_page=True)
    page.get_by_test_id(f"claim-{handoff.id}").click()
    expect(page).to_have_url(f"{console}handoffs/{handoff.id}")

    # The transcript and the account side by side.
    transcript = page.get_by_test_id("transcript")
    expect(transcript).to_contain_text("i want to talk to a real person", timeout=10_000)
    expect(transcript).to_contain_text(handing_over.split(".")[0])
    # The bot had not verified the borrower: no name and no debt until the agent checks the
    # answers the borrower gives (typed into the identity card, never shown back).
    account = page.get_by_test_id("account")
    expect(account).to_contain_text("shown once the borrower is verified")
    arrangements = page.get_by_test_id("arrangements")
    expect(arrangements).to_have_text("Shown once the borrower is verified.")
    expect(account).not_to_contain_text("453.50")
    expect(account).not_to_contain_text("Dana Rivers")
    page.fill("#verify-form input[name=birth_date]", "14 March 1988")
    page.fill("#verify-form input[name=id_last4]", "4821")
    page.click("#verify-form button[type=submit]")
    expect(page.locator("#verify-result")).to_contain_text("Verified.")
    expect(account).to_contain_text("Dana Rivers")
    expect(account).to_contain_text("453.50")
    expect(arrangements).to_have_text("None agreed.")

    # The agent replies: it goes out as SMS through the outbox.
    page.fill("#reply-body", "Hi Dana, this is a person from Northwind Credit. How can I help?")
    page.click("#reply-form button[type=submit]")
    sent = wait_for(lambda: [r.body for r in outbox_for(phone)])
    assert [body.split("\nReply STOP")[0] for body in sent] == [
        "Hi Dana, this is a person from Northwind Credit. How can I help?"
    ]
    expect(transcript).to_contain_text("this is a person from Northwind")

    # The borrower answers; the bot stays silent and the agent sees it arrive.
    assert twilio.sms(phone, "Thanks. I can pay the whole amount on Friday.") == []
    expect(transcript).to_contain_text("I can pay the whole amount on Friday", timeout=10_000)

    # A promise, through the same policy checks as the bot's.
    friday = dt.datetime.now(ZoneInfo("America/New_York")).date() + dt.timedelta(days=3)
    page.select_option("#outcome-kind", "promise")
    page.fill("#outcome-form input[name=date]", friday.isoformat())
    page.click("#outcome-form button[type=submit]")
    expect(page.get_by_test_id("outcome-result")).to_contain_text("Recorded: Promise")
    # The account's arrangements now hold the promise, with its one expected payment.
    expect(arrangements).to_contain_text("Promise #")
    expect(arrangements.locator("tr[data-number='1']")).to_contain_text(friday.isoformat())
    expect(arrangements.locator("tr[data-number='1']")).to_contain_text("453.50 USD")
    page.screenshot(path=str(SCREENSHOTS / "console-conversation.png"), full_page=True)

    # Handing back: the borrower is told, and the bot answers the next message.
    page.click("#hand-back")
    expect(page.get_by_test_id("banner")).to_have_text("Handed back to the bot.", timeout=10_000)
    notice = wait_for(lambda: [r.body for r in outbox_for(phone) if "automated assistant" in r.body])
    assert notice and "Agreed with our team: a payment by" in notice[0]
    answer = " ".join(twilio.sms(phone, "hi"))
    assert answer.strip(), "the bot did not answer after the hand-back"
    page.close()


LEAD = "e2e-lead"  # a supervisor


def sign_in(page, console: str, username: str) -> None:
    page.goto(console)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("signed-in-as")).to_have_text(username)


def set_account(account_id: str, **values) -> None:
    with store.db.session_scope() as session:
        session.execute(update(Account).where(Account.account_id == account_id).values(**values))


def gate_events(account_id: str, action: str):
    with store.db.session_scope() as session:
        return session.execute(
            select(AuditEvent).where(AuditEvent.account_id == account_id, AuditEvent.action == action)
        ).scalars().all()


def zone_at(hour: int) -> str:
    """A fixed-offset zone where it is `hour` o'clock now (Etc/GMT signs are inverted)."""
    offset = hour - dt.datetime.now(dt.timezone.utc).hour
    offset = offset - 24 if offset > 14 else offset + 24 if offset < -12 else offset
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def test_the_console_shows_what_the_gate_refuses_and_a_supervisor_overrides(stack, twilio, borrower, chromium):
    """A disputed account, an attorney on record and 23:00 in the borrower's zone: the agent
    sees the rule and when it would be allowed, nothing reaches the outbox. A supervisor
    sends to the disputed account with a reason, and the override is in the audit trail."""
    phone, account_id = borrower["phone"], borrower["account_id"]
    with store.db.session_scope() as session:
        save_agent(session, AGENT, "agent", PASSWORD)
        save_agent(session, LEAD, "supervisor", PASSWORD)
    set_account(account_id, timezone=zone_at(13))  # early afternoon for the borrower
    assert "birth" in " ".join(twilio.sms(phone, "hi")).lower()
    assert "person" in " ".join(twilio.sms(phone, "i want to talk to a real person"))
    handoff = handoff_of(phone)
    console = f"{stack.config.gateway_url}/console/"

    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    sign_in(page, console, AGENT)
    page.get_by_test_id(f"claim-{handoff.id}").click()
    expect(page).to_have_url(f"{console}handoffs/{handoff.id}")
    refused = page.get_by_test_id("reply-refused")

    def reply(text: str) -> None:
        page.fill("#reply-body", text)
        page.click("#reply-form button[type=submit]")

    set_account(account_id, status="disputed")
    reply("About your balance")
    expect(refused).to_contain_text("the account is disputed", timeout=10_000)
    expect(refused).to_contain_text("rule: account_disputed")
    expect(page.locator("#override-send")).to_have_count(0)  # an agent cannot override

    set_account(account_id, status="legal")
    reply("About your balance")
    expect(refused).to_contain_text("rule: account_legal", timeout=10_000)

    # 23:00 for the borrower, whose last message is an hour old (past the 15-minute window).
    set_account(account_id, status="active", timezone=zone_at(23))
    with store.db.session_scope() as session:
        session.execute(update(Message).where(Message.phone == phone, Message.direction == "in").values(
            created_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)))
    reply("Hi Dana, a person here.")
    expect(refused).to_contain_text("rule: contact_hours", timeout=10_000)
    expect(refused).to_contain_text("Allowed from")
    page.screenshot(path=str(SCREENSHOTS / "console-gate-refused.png"), full_page=True)
    assert outbox_for(phone) == []
    assert [e.details["rule"] for e in gate_events(account_id, "gate_refused")] == [
        "account_disputed", "account_legal", "contact_hours"]
    page.get_by_role("button", name="Put back in the queue").click()
    expect(page).to_have_url(console)
    page.close()

    # The supervisor claims it and overrides the dispute rule, with a reason.
    set_account(account_id, status="disputed", timezone=zone_at(13))
    lead = chromium.new_page(viewport={"width": 1400, "height": 900})
    sign_in(lead, console, LEAD)
    lead.get_by_test_id(f"claim-{handoff.id}").click()
    expect(lead).to_have_url(f"{console}handoffs/{handoff.id}")
    lead.fill("#reply-body", "We received your dispute and are looking into it.")
    lead.click("#reply-form button[type=submit]")
    expect(lead.get_by_test_id("reply-refused")).to_contain_text("rule: account_disputed", timeout=10_000)
    lead.fill("#override-reason", "confirming the dispute was received")
    lead.click("#override-send")
    expect(lead.get_by_test_id("reply-hint")).to_have_text("Sent (supervisor override).", timeout=10_000)
    sent = wait_for(lambda: [r.body for r in outbox_for(phone)])
    assert [body.split("\nReply STOP")[0] for body in sent] == ["We received your dispute and are looking into it."]
    [override] = gate_events(account_id, "gate_overridden")
    assert override.actor == f"agent:{LEAD}" and override.details["rule"] == "account_disputed"
    assert override.details["reason"] == "confirming the dispute was received"
    lead.close()
