"""Results, end to end: three borrowers write in through signed Twilio webhooks (one
promises to pay, one opts out, one only confirms who they are); GET /api/results counts
them, and the console's results page in Chromium shows the same numbers.

The e2e stack's store is shared by the session's tests, so the API is read before and
after: the difference is these three conversations."""
from __future__ import annotations

import datetime as dt

import requests
from playwright.sync_api import expect

import store.db
from store.agents import save_agent
from tests.support.stack import E2E_API_KEY, SCREENSHOTS, load_borrower, new_phone, outcomes

ANALYST, PASSWORD = "e2e-analyst", "results test password"
FIGURES = ("conversations", "right_party_contacts", "promises", "opt_outs")


def new_borrower(stack) -> dict:
    phone = new_phone("+1555021")
    return load_borrower(stack.config.database_url, f"RES-{phone[-4:]}", phone)


def verified(twilio, phone) -> str:
    twilio.sms(phone, "hi")
    twilio.sms(phone, "03/14/1988")
    return " ".join(twilio.sms(phone, "4821"))


def period() -> str:
    today = dt.datetime.now(dt.timezone.utc).date()  # New York's day is within a day of it
    return f"from={today - dt.timedelta(days=1)}&to={today + dt.timedelta(days=1)}"


def api_totals(stack) -> dict:
    response = requests.get(f"{stack.config.gateway_url}/api/results?{period()}&by=channel",
                            headers={"Authorization": f"Bearer {E2E_API_KEY}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_results_count_the_conversations_in_the_api_and_the_page(stack, twilio, chromium):
    before = api_totals(stack)["totals"]

    promiser, opting_out, only_verified = (new_borrower(stack) for _ in range(3))
    assert "attempt to collect a debt" in verified(twilio, promiser["phone"])
    read_back = " ".join(twilio.sms(promiser["phone"], "i can pay $200 on friday"))
    assert "200.00" in read_back, read_back
    twilio.sms(promiser["phone"], "yes")
    assert len(outcomes(promiser["account_id"], "promise")) == 1
    assert "attempt to collect a debt" in verified(twilio, opting_out["phone"])
    assert "unsubscribed" in " ".join(twilio.sms(opting_out["phone"], "STOP")).lower()
    assert "attempt to collect a debt" in verified(twilio, only_verified["phone"])

    report = api_totals(stack)
    after = report["totals"]
    assert {k: after[k] - before[k] for k in FIGURES} == {
        "conversations": 3, "right_party_contacts": 3, "promises": 1, "opt_outs": 1}
    sms = {row["key"]: row for row in report["breakdown"]}["sms"]
    assert sms["conversations"] >= 3

    with store.db.session_scope() as session:
        save_agent(session, ANALYST, "analyst", PASSWORD)
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    results_url = f"{stack.config.gateway_url}/console/results"
    page.goto(f"{results_url}?{period()}&by=channel")
    page.fill("input[name=username]", ANALYST)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("signed-in-as")).to_have_text(ANALYST)
    page.goto(f"{results_url}?{period()}&by=channel")  # signing in lands on the default filters
    expect(page.locator("#results-page[data-loaded=true]")).to_have_count(1, timeout=15_000)
    expect(page.get_by_test_id("funnel-right_party_contacts")).to_have_text(f"{after['right_party_contacts']:,}")
    expect(page.get_by_test_id("funnel-agreed")).to_have_text(f"{after['promises'] + after['plans']:,}")
    expect(page.get_by_test_id("tile-opt_outs")).to_contain_text(f"{after['opt_outs']:,}")
    expect(page.get_by_test_id("tile-conversations")).to_have_text(f"{after['conversations']:,}")
    row = page.locator('[data-testid="breakdown"] tr[data-key="sms"]')
    expect(row.locator('td[data-column="conversations"]')).to_have_text(f"{sms['conversations']:,}")
    expect(row.locator('td[data-column="promises"]')).to_have_text(f"{sms['promises']:,}")
    # The borrower's word (the question is off in this stack's policy: whatever the API says).
    expect(page.get_by_test_id("tile-feedback_asked")).to_have_text(f"{after['feedback_asked']:,}")
    if not report["feedback_comments"]:
        expect(page.get_by_test_id("feedback-comments")).to_have_text("No comments in this period.")
    # Chart.js drew both charts (no CSP refusal): canvases with a size.
    assert page.evaluate("() => typeof Chart === 'function' && Chart.getChart('trend-chart') !== undefined"
                         " && Chart.getChart('feedback-chart') !== undefined")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "results.png"), full_page=True)
    # An analyst cannot open the queue.
    page.goto(f"{stack.config.gateway_url}/console/")
    expect(page.locator("h1")).to_have_text("Nothing here for your role")
    page.close()
