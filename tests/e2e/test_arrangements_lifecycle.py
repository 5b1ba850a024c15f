"""What the borrower agrees changes what happens next, on the real stack: a plan agreed by
signed SMS webhooks becomes an arrangement; campaign previews at later days follow it (no
overdue messages, the reminder the day before an instalment, the follow-up once it breaks);
payments through the API meet its instalments; a deferral moves the ladder; a vulnerable
borrower is left out of every campaign. The same plan in Chinese."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import requests

from tests.support import conversation_zh as chinese
from tests.support.conversation_en import say, verify
from tests.support.stack import E2E_API_KEY, load_borrower, wait_for_outbox

AUTH = {"Authorization": f"Bearer {E2E_API_KEY}"}
ZONE = "America/New_York"
CAMPAIGNS = ("reminders", "promise_follow_up", "plan_follow_up", "overdue_calls")


def api(stack, method, path, **kwargs):
    response = requests.request(method, f"{stack.config.gateway_url}{path}", headers=AUTH, timeout=30, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def account(stack, account_id):
    return api(stack, "GET", f"/api/accounts/{account_id}")


def preview(stack, campaign, account_id, day: dt.date, zone=ZONE):
    """What `campaign` would do for the account at 15:00 on the borrower's `day`."""
    at = dt.datetime.combine(day, dt.time(15, 0), ZoneInfo(zone)).isoformat()
    return api(stack, "GET", f"/api/campaigns/{campaign}/preview",
               params={"at": at, "account_id": account_id})


def money(amount: str) -> str:
    return f"${Decimal(amount):,.2f}"


def assert_no_overdue_contact(stack, borrower, first: dt.date, last: dt.date):
    """No due-date message of the reminders or the overdue calls on any day from `first` to `last`."""
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        for campaign in ("reminders", "overdue_calls"):
            found = preview(stack, campaign, borrower["account_id"], day)
            assert found["outcome"] in ("no_stage", "skipped"), (campaign, day, found)
            if found["outcome"] == "skipped":
                assert found["rule"] == "arrangement_in_good_standing", found


def agree_three_month_plan(twilio, borrower):
    verify(twilio, borrower)
    assert "3" in say(twilio, borrower, "can i pay it off over 3 months")
    assert "plan" in say(twilio, borrower, "yes").lower()


def test_a_plan_agreed_by_sms_is_followed_paid_and_broken(stack, twilio):
    borrower = load_borrower(stack.config.database_url, "E2E-ARR-1", "+15550208101")
    agree_three_month_plan(twilio, borrower)

    # The account shows an active plan: 3 instalments adding up to the balance.
    shown = account(stack, borrower["account_id"])
    [plan] = shown["arrangements"]
    assert (plan["kind"], plan["status"], plan["agreed_by"]) == ("plan", "active", "bot")
    schedule = plan["schedule"]
    assert len(schedule) == 3
    assert sum(Decimal(i["amount"]) for i in schedule) == Decimal(shown["balance"]["total"]) == Decimal("453.50")
    dues = [dt.date.fromisoformat(i["due_on"]) for i in schedule]

    # The borrower has it in writing (no amounts by SMS under the US profile).
    days = ", ".join(f"{due:%b} {due.day}" for due in dues[:2]) + f" and {dues[2]:%b} {dues[2].day}"
    written = [row.body for row in wait_for_outbox(borrower["phone"])]
    assert any(f"your plan is agreed: 3 monthly payments on {days}." in body for body in written), written

    # During the plan no overdue message goes, up to the first instalment's last day of grace...
    grace = 3  # lender/policy.yml instalments.grace_days
    agreed = dt.date.fromisoformat(plan["starts_on"])
    assert_no_overdue_contact(stack, borrower, agreed, dues[0] + dt.timedelta(days=grace))
    # ...only the reminder the day before the instalment.
    before = preview(stack, "plan_follow_up", borrower["account_id"], dues[0] - dt.timedelta(days=1))
    assert (before["stage"], before["outcome"]) == ("plan_reminder", "eligible"), before
    assert "instalment 1 of 3" in before["message"]
    two_before = preview(stack, "plan_follow_up", borrower["account_id"], dues[0] - dt.timedelta(days=2))
    assert two_before["outcome"] == "no_stage", two_before

    # Instalment 1 paid through the operations API.
    today = dt.datetime.now(ZoneInfo(ZONE)).date()
    report = api(stack, "POST", "/api/payments", json=[{
        "account_id": borrower["account_id"], "amount": schedule[0]["amount"],
        "paid_on": today.isoformat(), "reference": "E2E-ARR-1-PAY-1",
    }])
    assert report["created"] == 1 and report["instalments_paid"] == 1, report
    after = account(stack, borrower["account_id"])["arrangements"][0]["schedule"]
    assert [i["status"] for i in after] == ["paid", "due", "due"]
    assert after[0]["amount_paid"] == schedule[0]["amount"]
    # The borrower who asks is told where they stand.
    standing = say(twilio, borrower, "when is my next payment")
    assert f"Your next instalment is {money(schedule[1]['amount'])} on {dues[1]:%b} {dues[1].day}; 1 of 3 paid." in standing, standing
    # ...the paid instalment gets no reminder, and the next one does.
    assert preview(stack, "plan_follow_up", borrower["account_id"], dues[0] - dt.timedelta(days=1))["outcome"] == "no_stage"
    assert preview(stack, "plan_follow_up", borrower["account_id"], dues[1] - dt.timedelta(days=1))["stage"] == "plan_reminder"
    # ...and the plan stands up to the second instalment's grace.
    assert_no_overdue_contact(stack, borrower, dues[0], dues[1] + dt.timedelta(days=grace))

    # Instalment 2 left unpaid: within the grace days the plan stands, after them it is broken
    # and the follow-up is due (the overdue ladder takes the account back).
    last_grace = preview(stack, "plan_follow_up", borrower["account_id"], dues[1] + dt.timedelta(days=grace))
    assert last_grace["outcome"] == "no_stage" and last_grace["standing"]["broken"] is None
    broke = dues[1] + dt.timedelta(days=grace + 1)
    follow_up = preview(stack, "plan_follow_up", borrower["account_id"], broke)
    assert (follow_up["stage"], follow_up["outcome"]) == ("plan_broken", "eligible"), follow_up
    assert "instalment 2" in follow_up["message"]
    assert follow_up["standing"]["broken"]["broke_on"] == broke.isoformat()


def test_a_deferral_moves_the_due_date_and_the_ladder_waits_for_it(stack, twilio):
    borrower = load_borrower(stack.config.database_url, "E2E-ARR-2", "+15550208102")
    verify(twilio, borrower)
    say(twilio, borrower, "can i get more time to pay")
    today = dt.datetime.now(ZoneInfo(ZONE)).date()
    new_due = today + dt.timedelta(days=14)
    say(twilio, borrower, f"{new_due:%B} {new_due.day}")
    say(twilio, borrower, "yes")

    shown = account(stack, borrower["account_id"])
    assert shown["effective_due_date"] == new_due.isoformat(), shown
    assert [(a["kind"], a["status"]) for a in shown["arrangements"]] == [("deferral", "active")]
    # Before the new date: no overdue stage (the old date would have made day 21 "overdue").
    for offset in range(1, 14):
        found = preview(stack, "reminders", borrower["account_id"], today + dt.timedelta(days=offset))
        assert found["stage"] in (None, "due_soon"), found
    # After it, the ladder counts from it.
    late = preview(stack, "reminders", borrower["account_id"], new_due + dt.timedelta(days=1))
    assert late["stage"] == "early_overdue" and late["outcome"] != "skipped", late


def test_breathing_space_agreed_with_the_bot_stops_all_automated_contact(stack, twilio):
    borrower = load_borrower(stack.config.database_url, "E2E-ARR-4", "+15550208104")
    verify(twilio, borrower)
    offer = say(twilio, borrower, "i lost my job last month and cant pay right now")
    assert "no contact from us for 30 days" in offer, offer
    [choice] = re.findall(r"(\d)\) A break: no contact from us", offer)
    assert "until" in say(twilio, borrower, choice)
    assert "Done. We won't contact you until after" in say(twilio, borrower, "yes"), "breathing space recorded"
    shown = account(stack, borrower["account_id"])
    today = dt.datetime.now(ZoneInfo(ZONE)).date()
    until = today + dt.timedelta(days=29)
    assert shown["breathing_space_until"] == until.isoformat(), shown
    assert shown["vulnerable"] is True  # what the borrower told the bot flags the account
    # The lender clears the flag after review: breathing space alone still stops every campaign.
    api(stack, "POST", "/api/accounts", json=[{**borrower, "vulnerable": False}])
    blocked = set()
    for offset in range(0, 30):
        for campaign in CAMPAIGNS:
            found = preview(stack, campaign, borrower["account_id"], today + dt.timedelta(days=offset))
            assert found["outcome"] in ("no_stage", "blocked", "skipped"), (campaign, found)
            if found["outcome"] == "skipped":  # calls go on weekdays only
                assert found["rule"] == "not_a_sending_day", found
            if found["outcome"] == "blocked":
                assert found["rule"] == "breathing_space", found
                blocked.add(campaign)
    assert blocked == {"reminders", "overdue_calls"}


def test_a_vulnerable_borrower_is_left_out_of_every_campaign_with_the_reason(stack):
    borrower = load_borrower(stack.config.database_url, "E2E-ARR-3", "+15550208103")
    api(stack, "POST", "/api/accounts", json=[{**borrower, "vulnerable": True}])
    assert account(stack, borrower["account_id"])["vulnerable"] is True
    today = dt.datetime.now(ZoneInfo(ZONE)).date()
    seen = set()
    for offset in range(0, 20):  # 14 to 33 days overdue: every stage of the ladder and the calls
        for campaign in CAMPAIGNS:
            found = preview(stack, campaign, borrower["account_id"], today + dt.timedelta(days=offset))
            assert found["outcome"] in ("no_stage", "skipped"), (campaign, found)
            if found["outcome"] == "skipped" and found["rule"] == "vulnerable":
                assert "vulnerable" in found["reason"]
                seen.add(campaign)
    assert seen == {"reminders", "overdue_calls"}


def test_a_plan_agreed_in_chinese_is_an_arrangement_with_its_reminder(stack, twilio):
    borrower = chinese.load_chinese_borrower(stack.config.database_url, "+8613800008104")
    chinese.verify(twilio, borrower)
    assert "1,511.68元" in chinese.say(twilio, borrower, "能不能分3期")
    chinese.say(twilio, borrower, "好的")

    shown = account(stack, borrower["account_id"])
    [plan] = shown["arrangements"]
    assert (plan["kind"], plan["status"]) == ("plan", "active")
    assert [i["amount"] for i in plan["schedule"]] == ["1511.66", "1511.66", "1511.68"]
    written = [row.body for row in wait_for_outbox(borrower["phone"])]
    assert any("您的分期方案已确认：共3期，每期1,511.66元" in body for body in written), written
    first = dt.date.fromisoformat(plan["schedule"][0]["due_on"])
    reminder = preview(stack, "plan_follow_up", borrower["account_id"], first - dt.timedelta(days=1),
                       zone=chinese.ZONE)
    assert reminder["stage"] == "plan_reminder", reminder
    assert "第1期（共3期）" in reminder["message"], reminder["message"]
