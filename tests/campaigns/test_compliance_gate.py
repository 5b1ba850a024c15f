"""The compliance gate at its edges: contact hours in the borrower's own zone (both sides
of the date line, across DST changes), the US and China call caps, opt-outs, account
states, inconvenient times and callback requests, breathing space and vulnerable borrowers,
and the gate's inputs as the store gives them. The borrower here consented to automated
contact (consent itself: tests/campaigns/test_contact_rules.py)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from language import local_today
from lending.compliance import (
    AGENT,
    AUTOMATED,
    NO_PREFERENCES,
    REPLY,
    Blocked,
    Borrower,
    CallbackRequest,
    Contact,
    Preferences,
    Request,
    Rule,
    Window,
)
from lending.compliance import check as gate_check
from lending.policy import load_policy
from tests.support.accounts import account, load_accounts
from tests.support.store import audit_trail

UTC = dt.timezone.utc
US = load_policy().profile
CN = US.copy(update={
    "name": "China", "contact_hours": US.contact_hours.copy(update={"end": dt.time(22)}),
    "frequency": US.frequency.copy(update={
        "call_attempts_per_7_days": None, "quiet_days_after_conversation": None,
        "connected_calls_per_day": 3, "unanswered_attempts_per_day": 6, "calls_counted_per": "number",
    }),
})
NEW_YORK = Borrower("A-1", "+15550100001", "America/New_York")


def check(borrower, channel, at, history, profile, prefs: Preferences = NO_PREFERENCES):
    """The gate for a borrower with consent to automated texts and calls on record."""
    consented = dataclasses.replace(prefs, consented=frozenset({"sms", "voice"}))
    return gate_check(borrower, channel, at, history, profile, consented)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def call(at: dt.datetime, borrower: Borrower = NEW_YORK, **fields) -> Contact:
    return Contact(at=at, channel="voice", account_id=borrower.account_id, phone=borrower.phone, **fields)


def test_the_profiles_shipped_hold_these_numbers():
    import yaml

    from lending.policy import LENDER_DIR, Jurisdiction

    cn = Jurisdiction(**yaml.safe_load((LENDER_DIR / "jurisdictions" / "cn.yml").read_text()))
    assert cn.frequency == CN.frequency and cn.contact_hours == CN.contact_hours
    assert (US.frequency.call_attempts_per_7_days, US.frequency.quiet_days_after_conversation) == (7, 7)
    assert US.frequency.calls_counted_per == "debt"


# -- contact hours ------------------------------------------------------------------------

@pytest.mark.parametrize("local, allowed", [
    ("07:59", False), ("08:00", True), ("20:59", True), ("21:00", False), ("23:30", False),
])
def test_us_contact_hours_are_8_to_21_local(local, allowed):
    hour, minute = map(int, local.split(":"))
    # 2026-07-15 in New York is EDT (UTC-4)
    at = utc(2026, 7, 15, hour, minute) + dt.timedelta(hours=4)
    decision = check(NEW_YORK, "sms", at, [], US)
    assert decision.allowed is allowed
    if not allowed:
        assert decision.rule == Rule.CONTACT_HOURS


def test_blocked_before_8_waits_until_8_the_same_day_and_after_21_until_8_the_next():
    early = check(NEW_YORK, "sms", utc(2026, 7, 15, 11, 59), [], US)  # 07:59 EDT
    assert early.retry_at == utc(2026, 7, 15, 12, 0)
    late = check(NEW_YORK, "sms", utc(2026, 7, 16, 1, 0), [], US)  # 21:00 EDT on the 15th
    assert late.retry_at == utc(2026, 7, 16, 12, 0)


def test_china_allows_until_22_local():
    shanghai = Borrower("C-1", "+8613800000001", "Asia/Shanghai")
    assert check(shanghai, "voice", utc(2026, 7, 15, 13, 59), [], CN).allowed  # 21:59
    blocked = check(shanghai, "voice", utc(2026, 7, 15, 14, 0), [], CN)  # 22:00
    assert blocked.rule == Rule.CONTACT_HOURS and blocked.retry_at == utc(2026, 7, 16, 0, 0)


def test_both_sides_of_the_date_line_are_read_in_their_own_day():
    kiritimati = Borrower("K-1", "+6860000001", "Pacific/Kiritimati")  # UTC+14
    pago_pago = Borrower("P-1", "+16840000001", "Pacific/Pago_Pago")  # UTC-11
    at = utc(2026, 6, 15, 18, 59)  # Kiritimati 08:59 on the 16th, Pago Pago 07:59 on the 15th
    assert check(kiritimati, "sms", at, [], US).allowed
    blocked = check(pago_pago, "sms", at, [], US)
    assert blocked.rule == Rule.CONTACT_HOURS and blocked.retry_at == utc(2026, 6, 15, 19, 0)

    at = utc(2026, 6, 16, 7, 0)  # Kiritimati 21:00 on the 16th, Pago Pago 20:00 on the 15th
    assert check(pago_pago, "sms", at, [], US).allowed
    blocked = check(kiritimati, "sms", at, [], US)
    assert blocked.retry_at == utc(2026, 6, 16, 18, 0)  # 08:00 on the 17th in Kiritimati


def test_a_call_counts_on_the_borrowers_own_day_across_the_date_line():
    kiritimati = Borrower("K-1", "+6860000001", "Pacific/Kiritimati")
    # Three connected calls at 09:00-11:00 on the 16th in Kiritimati (the 15th in UTC).
    calls = [call(utc(2026, 6, 15, 19 + i), kiritimati, answered=True) for i in range(3)]
    # 15:00 on the 16th there, already the 16th in UTC too: still the same local day.
    assert not check(kiritimati, "voice", utc(2026, 6, 16, 1), calls, CN).allowed
    assert check(kiritimati, "voice", utc(2026, 6, 16, 18, 30), calls, CN).allowed  # 08:30 the 17th


def test_spring_forward_moves_8_am_an_hour_earlier_in_utc():
    # New York: EST until 2026-03-08 02:00, then EDT.
    before = check(NEW_YORK, "sms", utc(2026, 3, 7, 12, 30), [], US)  # 07:30 EST
    assert before.rule == Rule.CONTACT_HOURS and before.retry_at == utc(2026, 3, 7, 13, 0)
    assert not check(NEW_YORK, "sms", utc(2026, 3, 8, 11, 59), [], US).allowed  # 07:59 EDT
    assert check(NEW_YORK, "sms", utc(2026, 3, 8, 12, 0), [], US).allowed  # 08:00 EDT
    night = check(NEW_YORK, "sms", utc(2026, 3, 8, 6, 30), [], US)  # 01:30 EST, before the change
    assert night.retry_at == utc(2026, 3, 8, 12, 0)  # 08:00 EDT, not 13:00


def test_fall_back_keeps_21_local_as_the_end():
    # 2026-11-01 02:00 EDT becomes 01:00 EST.
    evening = check(NEW_YORK, "sms", utc(2026, 11, 1, 1, 0), [], US)  # 21:00 EDT on Oct 31
    assert evening.rule == Rule.CONTACT_HOURS and evening.retry_at == utc(2026, 11, 1, 13, 0)
    assert check(NEW_YORK, "sms", utc(2026, 11, 2, 1, 59), [], US).allowed  # 20:59 EST on Nov 1
    assert not check(NEW_YORK, "sms", utc(2026, 11, 2, 2, 0), [], US).allowed  # 21:00 EST


# -- US Reg F: 7 calls in 7 days per debt, no call within 7 days of a conversation ------

NOON = dt.time(16)  # 12:00 EDT in UTC


def days_ago(n: int, today: dt.date = dt.date(2026, 7, 15)) -> dt.datetime:
    return dt.datetime.combine(today - dt.timedelta(days=n), NOON, tzinfo=UTC)


def test_the_7th_call_in_7_days_is_allowed_and_the_8th_is_not():
    now = days_ago(0) + dt.timedelta(hours=2)
    six = [call(days_ago(n)) for n in (6, 5, 4, 3, 2, 1)]
    assert check(NEW_YORK, "voice", now, six, US).allowed
    seven = six + [call(days_ago(0))]
    eighth = check(NEW_YORK, "voice", now, seven, US)
    assert eighth.rule == Rule.CALLS_PER_7_DAYS
    # The call 6 days ago leaves the window tomorrow: 08:00 EDT tomorrow.
    assert eighth.retry_at == utc(2026, 7, 16, 12, 0)


def test_calls_older_than_7_days_and_calls_the_borrower_made_do_not_count():
    now = days_ago(0) + dt.timedelta(hours=2)
    history = [call(days_ago(7))] + [call(days_ago(n)) for n in (5, 4, 3, 2, 1)]
    history += [call(days_ago(0), by_borrower=True), call(days_ago(0), by_borrower=True)]
    assert check(NEW_YORK, "voice", now, history + [call(days_ago(0))], US).allowed


def test_the_us_counts_calls_per_debt_not_per_number():
    other_debt = Borrower("A-2", NEW_YORK.phone, NEW_YORK.timezone)
    now = days_ago(0) + dt.timedelta(hours=2)
    history = [call(days_ago(n), other_debt) for n in range(7)]
    assert check(NEW_YORK, "voice", now, history, US).allowed
    assert not check(other_debt, "voice", now, history, US).allowed


def test_a_conversation_then_a_call_on_day_6_and_on_day_8():
    talk = call(utc(2026, 7, 1, 15), answered=True, conversation=True)  # 11:00 EDT on July 1
    day_6 = check(NEW_YORK, "voice", utc(2026, 7, 7, 15), [talk], US)
    assert day_6.rule == Rule.QUIET_AFTER_CONVERSATION
    assert day_6.retry_at == utc(2026, 7, 8, 12, 0)  # the 7-day period ends with July 7
    assert check(NEW_YORK, "voice", utc(2026, 7, 8, 12, 0), [talk], US).allowed  # day 7, 08:00
    assert check(NEW_YORK, "voice", utc(2026, 7, 9, 15), [talk], US).allowed  # day 8
    # Texts are not calls: the quiet period does not stop an SMS.
    assert check(NEW_YORK, "sms", utc(2026, 7, 7, 15), [talk], US).allowed


# -- China: 3 connected calls and 6 unanswered dial attempts a day per number ------------

SHANGHAI = Borrower("C-1", "+8613800000001", "Asia/Shanghai")


def test_china_caps_connected_and_unanswered_calls_per_day_per_number():
    morning = utc(2026, 7, 15, 1)  # 09:00 in Shanghai
    other_debt = Borrower("C-2", SHANGHAI.phone, SHANGHAI.timezone)
    connected = [call(morning + dt.timedelta(minutes=i), other_debt, answered=True) for i in range(3)]
    fourth = check(SHANGHAI, "voice", utc(2026, 7, 15, 5), connected, CN)
    assert fourth.rule == Rule.CONNECTED_CALLS_PER_DAY
    assert fourth.retry_at == utc(2026, 7, 16, 0, 0)  # 08:00 tomorrow in Shanghai
    unanswered = [call(morning + dt.timedelta(minutes=i), SHANGHAI, answered=False) for i in range(5)]
    unanswered.append(call(morning, SHANGHAI))  # outcome unknown yet: counts as unanswered
    seventh = check(SHANGHAI, "voice", utc(2026, 7, 15, 5), unanswered, CN)
    assert seventh.rule == Rule.UNANSWERED_CALLS_PER_DAY
    assert check(SHANGHAI, "voice", utc(2026, 7, 15, 5), unanswered[:5] + connected[:2], CN).allowed
    assert check(SHANGHAI, "voice", utc(2026, 7, 16, 1), connected + unanswered, CN).allowed


# -- opt-outs, account states, the borrower's own times -----------------------------------

def test_an_opt_out_stops_its_channel_only_and_waiting_does_not_help():
    prefs = Preferences(opted_out=frozenset({"sms"}))
    at = utc(2026, 7, 15, 16)
    blocked = check(NEW_YORK, "sms", at, [], US, prefs)
    assert blocked == Blocked(Rule.OPTED_OUT, "the borrower opted out of sms", None)
    assert check(NEW_YORK, "voice", at, [], US, prefs).allowed


@pytest.mark.parametrize("status, rule", [
    ("disputed", Rule.ACCOUNT_DISPUTED), ("legal", Rule.ACCOUNT_LEGAL),
    ("wrong_number", Rule.WRONG_NUMBER), ("paid", Rule.ACCOUNT_PAID), ("paused", Rule.ACCOUNT_PAUSED),
])
def test_account_states_stop_all_contact(status, rule):
    borrower = Borrower("A-1", "+15550100001", "America/New_York", status)
    for channel in ("sms", "voice"):
        decision = check(borrower, channel, utc(2026, 7, 15, 16), [], US)
        assert not decision.allowed and decision.rule == rule and decision.retry_at is None


def test_inconvenient_times_wait_for_their_end_and_respect_contact_hours():
    at_work = Window(frozenset(range(5)), dt.time(9), dt.time(17))  # weekdays 9-17
    evenings = Window(frozenset(range(7)), dt.time(18), dt.time(23))
    prefs = Preferences(inconvenient=(at_work, evenings))
    wednesday_10 = utc(2026, 7, 15, 14)
    blocked = check(NEW_YORK, "sms", wednesday_10, [], US, prefs)
    assert blocked.rule == Rule.INCONVENIENT_TIME and blocked.retry_at == utc(2026, 7, 15, 21)  # 17:00
    evening = check(NEW_YORK, "sms", utc(2026, 7, 15, 23), [], US, prefs)  # 19:00
    # 23:00 is after contact hours: the next time both allow is 08:00 the next day.
    assert evening.rule == Rule.INCONVENIENT_TIME and evening.retry_at == utc(2026, 7, 16, 12)
    assert check(NEW_YORK, "sms", utc(2026, 7, 18, 14), [], US, prefs).allowed  # Saturday 10:00


def test_a_callback_request_holds_contact_until_the_day_and_time_asked():
    asked = utc(2026, 7, 14, 15)
    prefs = Preferences(callbacks=(CallbackRequest(asked, dt.date(2026, 7, 17), dt.time(10, 30)),))
    blocked = check(NEW_YORK, "voice", utc(2026, 7, 15, 15), [], US, prefs)
    assert blocked.rule == Rule.CALLBACK_REQUESTED and blocked.retry_at == utc(2026, 7, 17, 14, 30)
    assert check(NEW_YORK, "voice", utc(2026, 7, 17, 14, 30), [], US, prefs).allowed
    # A newer request replaces the older one.
    newer = Preferences(callbacks=prefs.callbacks + (CallbackRequest(utc(2026, 7, 15, 1), dt.date(2026, 7, 15)),))
    assert check(NEW_YORK, "voice", utc(2026, 7, 15, 15), [], US, newer).allowed


def test_the_gate_refuses_naive_instants_and_unknown_channels():
    with pytest.raises(ValueError):
        check(NEW_YORK, "sms", dt.datetime(2026, 7, 15, 12), [], US)
    with pytest.raises(ValueError):
        check(NEW_YORK, "fax", utc(2026, 7, 15, 12), [], US)


# -- what the borrower agreed or is going through: breathing space, vulnerability -------------

def ask(borrower, channel, at, kind, replying_to=None, profile=US):
    consented = Preferences(consented=frozenset({"sms", "voice"}))
    return gate_check(borrower, channel, at, [], profile, consented, Request(kind, replying_to))


IN_BREATHING_SPACE = dataclasses.replace(NEW_YORK, breathing_space_until=dt.date(2026, 7, 20))


@pytest.mark.parametrize("kind", [AUTOMATED, AGENT])
@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_breathing_space_stops_automated_and_agents_contact_through_its_last_day(kind, channel):
    first_day = ask(IN_BREATHING_SPACE, channel, utc(2026, 7, 15, 16), kind)  # 12:00 EDT
    assert first_day.rule == Rule.BREATHING_SPACE and "2026-07-20" in first_day.reason
    assert first_day.retry_at == utc(2026, 7, 21, 12)  # 08:00 EDT the day after it ends
    last_evening = ask(IN_BREATHING_SPACE, channel, utc(2026, 7, 21, 0, 30), kind)  # 20:30 EDT on the 20th
    assert last_evening.rule == Rule.BREATHING_SPACE and last_evening.retry_at == utc(2026, 7, 21, 12)
    # 07:00 on the 21st: breathing space is over, contact hours are not yet open.
    assert ask(IN_BREATHING_SPACE, channel, utc(2026, 7, 21, 11), kind).rule == Rule.CONTACT_HOURS
    assert ask(IN_BREATHING_SPACE, channel, utc(2026, 7, 21, 12), kind).allowed


def test_breathing_space_still_lets_the_borrowers_own_conversation_be_answered():
    wrote = utc(2026, 7, 15, 15, 55)
    assert ask(IN_BREATHING_SPACE, "sms", utc(2026, 7, 15, 16), REPLY, wrote).allowed
    # Their conversation keeps the usual rules: at night, past the reply window, it waits.
    late = ask(IN_BREATHING_SPACE, "sms", utc(2026, 7, 16, 3), REPLY, wrote)
    assert late.rule == Rule.CONTACT_HOURS


def test_breathing_space_ending_as_the_clocks_go_back_allows_contact_at_8_est():
    # New York leaves EDT on 2026-11-01 at 02:00: the day after breathing space starts at
    # 08:00 EST, 13:00 UTC (12:00 UTC would still be 07:00).
    borrower = dataclasses.replace(NEW_YORK, breathing_space_until=dt.date(2026, 10, 31))
    blocked = ask(borrower, "sms", utc(2026, 10, 31, 16), AUTOMATED)  # 12:00 EDT on the last day
    assert blocked.rule == Rule.BREATHING_SPACE and blocked.retry_at == utc(2026, 11, 1, 13)
    assert ask(borrower, "sms", utc(2026, 11, 1, 12), AUTOMATED).rule == Rule.CONTACT_HOURS
    assert ask(borrower, "sms", utc(2026, 11, 1, 13), AUTOMATED).allowed


def test_breathing_space_ending_as_the_clocks_go_forward_allows_contact_at_8_edt():
    borrower = dataclasses.replace(NEW_YORK, breathing_space_until=dt.date(2026, 3, 7))
    blocked = ask(borrower, "voice", utc(2026, 3, 7, 17), AGENT)  # 12:00 EST
    assert blocked.rule == Rule.BREATHING_SPACE and blocked.retry_at == utc(2026, 3, 8, 12)


def test_breathing_space_in_shanghai_waits_for_8_there():
    borrower = dataclasses.replace(SHANGHAI, breathing_space_until=dt.date(2026, 7, 20))
    blocked = ask(borrower, "voice", utc(2026, 7, 20, 15, 30), AUTOMATED, profile=CN)  # 23:30 on the 20th
    assert blocked.rule == Rule.BREATHING_SPACE and blocked.retry_at == utc(2026, 7, 21, 0)


def test_a_retry_after_breathing_space_also_passes_the_other_rules():
    # The day after breathing space is a Tuesday the borrower said is inconvenient until 10:00.
    borrower = dataclasses.replace(NEW_YORK, breathing_space_until=dt.date(2026, 7, 20))
    mornings = Preferences(consented=frozenset({"sms"}),
                           inconvenient=(Window(frozenset({1}), dt.time(7), dt.time(10)),))
    blocked = gate_check(borrower, "sms", utc(2026, 7, 18, 16), [], US, mornings)
    assert blocked.rule == Rule.BREATHING_SPACE and blocked.retry_at == utc(2026, 7, 21, 14)  # 10:00 EDT


VULNERABLE = dataclasses.replace(NEW_YORK, vulnerable=True)


@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_a_vulnerable_borrower_gets_no_automated_contact_and_waiting_does_not_help(channel):
    blocked = ask(VULNERABLE, channel, utc(2026, 7, 15, 16), AUTOMATED)
    assert blocked == Blocked(Rule.VULNERABLE, blocked.reason, None)
    assert "vulnerable" in blocked.reason


def test_people_still_reach_a_vulnerable_borrower_and_answer_them():
    at = utc(2026, 7, 15, 16)
    assert ask(VULNERABLE, "voice", at, AGENT).allowed
    assert ask(VULNERABLE, "sms", at, REPLY, at - dt.timedelta(minutes=5)).allowed
    # The usual rules still hold for a person: not at night.
    assert ask(VULNERABLE, "sms", utc(2026, 7, 16, 3), AGENT).rule == Rule.CONTACT_HOURS


def test_the_policy_switch_keeps_vulnerable_borrowers_in_automated_contact():
    included = dataclasses.replace(VULNERABLE, exclude_vulnerable=False)
    assert ask(included, "sms", utc(2026, 7, 15, 16), AUTOMATED).allowed


def test_vulnerable_and_in_breathing_space_an_automated_text_waits_for_nothing():
    both = dataclasses.replace(IN_BREATHING_SPACE, vulnerable=True)
    automated = ask(both, "sms", utc(2026, 7, 15, 16), AUTOMATED)
    assert automated.rule == Rule.VULNERABLE and automated.retry_at is None
    agent = ask(both, "sms", utc(2026, 7, 15, 16), AGENT)
    assert agent.rule == Rule.BREATHING_SPACE and agent.retry_at == utc(2026, 7, 21, 12)


def test_an_account_state_comes_before_both():
    disputed = dataclasses.replace(IN_BREATHING_SPACE, vulnerable=True, status="disputed")
    assert ask(disputed, "sms", utc(2026, 7, 15, 16), AUTOMATED).rule == Rule.ACCOUNT_DISPUTED


# -- the gate's inputs from the store: every path asking decide() sees them --------------------

POLICY = load_policy()


def now_utc() -> dt.datetime:
    return dt.datetime.now(UTC)


def borrower_today(account_id: str) -> dt.date:
    from store.db import session_scope
    from store.models import Account

    with session_scope() as session:
        return local_today(session.get(Account, account_id).timezone)


def agree_breathing_space(account_id: str, today: dt.date, days: int, conversation_id=None) -> None:
    from lending.relief import breathing_space
    from store.db import session_scope
    from store.models import OutcomeKind
    from store.outcomes import record_outcome

    with session_scope() as session:
        record_outcome(session, OutcomeKind.RELIEF, account_id=account_id, conversation_id=conversation_id,
                       details=breathing_space(today, POLICY, days=days))


def borrower_wrote(account_id: str) -> str:
    """A conversation the borrower started by text; its id."""
    from store.db import session_scope
    from store.messages import record_inbound
    from store.models import Account, Conversation

    with session_scope() as session:
        account = session.get(Account, account_id)
        conversation = Conversation(channel="sms", phone=account.phone, account_id=account_id)
        session.add(conversation)
        session.flush()
        record_inbound(session, provider_sid=f"SM-{account_id}", phone=account.phone, channel="sms",
                       body="can we talk", conversation_id=conversation.id)
        return conversation.id


def gate_for(account_id: str, channel: str = "sms", *, all_accounts: bool = False, policy=POLICY):
    from campaigns.facts import account_facts
    from campaigns.gate import GateInputs
    from store.db import session_scope

    now = now_utc()
    with session_scope() as session:
        facts = account_facts(session, account_id)
        inputs = GateInputs.load(session, channel, policy, now, None if all_accounts else [facts])
        return inputs.check(facts, channel, now, policy)


def test_gate_inputs_read_breathing_space_from_the_arrangements_for_runs_and_single_sends(db):
    from store.arrangements import active, cancel
    from store.db import session_scope

    load_accounts([account("B-1"), account("B-2"), account("B-3")])
    today = borrower_today("B-1")
    agree_breathing_space("B-1", today, days=10)  # today and the 9 days after
    agree_breathing_space("B-3", today - dt.timedelta(days=20), days=10)  # over ten days ago

    for all_accounts in (False, True):  # a worker's one account, a run's every account
        blocked = gate_for("B-1", all_accounts=all_accounts)
        assert blocked.rule == Rule.BREATHING_SPACE
        # 08:00 on the borrower's 11th day, in their zone.
        retry = blocked.retry_at.astimezone(ZoneInfo(account_zone("B-1")))
        assert (retry.date(), retry.time()) == (today + dt.timedelta(days=10), dt.time(8))
        assert gate_for("B-2", all_accounts=all_accounts).allowed
        assert gate_for("B-3", all_accounts=all_accounts).allowed
    assert gate_for("B-1", "voice").rule == Rule.BREATHING_SPACE

    with session_scope() as session:  # an agent ends it: contact may resume
        [arrangement] = active(session, "B-1")
        cancel(session, arrangement, actor="agent:sam", reason="borrower asked")
    assert gate_for("B-1").allowed


def account_zone(account_id: str) -> str:
    from store.db import session_scope
    from store.models import Account

    with session_scope() as session:
        return session.get(Account, account_id).timezone


def test_in_breathing_space_a_campaign_text_is_refused_and_an_agents_reply_goes(db):
    from campaigns.gate import decide
    from store.db import session_scope

    load_accounts([account("B-1")])
    conversation_id = borrower_wrote("B-1")
    agree_breathing_space("B-1", borrower_today("B-1"), days=5, conversation_id=conversation_id)
    with session_scope() as session:
        campaign = decide(session, POLICY, now_utc(), channel="sms", kind=AUTOMATED, actor="campaigns",
                          account_id="B-1", path="attempt:1")
        own_call = decide(session, POLICY, now_utc(), channel="voice", kind=AGENT, actor="agent:sam",
                          account_id="B-1", path="agent_call")
        reply = decide(session, POLICY, now_utc(), channel="sms", kind=REPLY, actor="agent:sam",
                       account_id="B-1", conversation_id=conversation_id, path="agent_reply")
    assert (campaign.allowed, campaign.decision.rule) == (False, Rule.BREATHING_SPACE)
    assert (own_call.allowed, own_call.decision.rule) == (False, Rule.BREATHING_SPACE)
    assert reply.allowed
    refused = [e for e in audit_trail("gate_") if e.action == "gate_refused"]
    assert [(e.details["path"], e.details["rule"]) for e in refused] == [
        ("attempt:1", "breathing_space"), ("agent_call", "breathing_space")]
    assert refused[0].details["retry_at"] == campaign.decision.retry_at.isoformat()


def test_a_vulnerable_borrower_is_left_to_people_while_the_policy_says_so(db):
    from campaigns.gate import decide
    from store.db import session_scope

    load_accounts([account("V-1", vulnerable="true"), account("V-2")])
    with session_scope() as session:
        for channel in ("sms", "voice"):
            automated = decide(session, POLICY, now_utc(), channel=channel, kind=AUTOMATED,
                               actor="campaigns", account_id="V-1", path="attempt:2")
            assert (automated.allowed, automated.decision.rule) == (False, Rule.VULNERABLE)
            assert automated.decision.retry_at is None
            assert decide(session, POLICY, now_utc(), channel=channel, kind=AGENT, actor="agent:sam",
                          account_id="V-1", path="agent_text").allowed
            assert decide(session, POLICY, now_utc(), channel=channel, kind=AUTOMATED,
                          actor="campaigns", account_id="V-2", path="attempt:3").allowed
    included = POLICY.copy(update={"vulnerability": POLICY.vulnerability.copy(
        update={"exclude_from_campaigns": False})})
    assert gate_for("V-1", policy=included).allowed
    assert gate_for("V-1", policy=POLICY).rule == Rule.VULNERABLE


def test_a_reply_counts_from_the_borrowers_last_text_or_answered_call_whichever_is_later(db):
    from campaigns.gate import last_inbound
    from store.db import session_scope
    from store.models import Message, VoiceCall

    load_accounts([account("B-1")])
    conversation_id = borrower_wrote("B-1")
    with session_scope() as session:
        text = session.query(Message).filter_by(conversation_id=conversation_id).one()
        wrote = text.created_at
        assert last_inbound(session, conversation_id) == wrote and wrote.tzinfo is not None
        called = wrote + dt.timedelta(minutes=3)
        session.add(VoiceCall(direction="inbound", phone=text.phone, conversation_id=conversation_id,
                              answered_at=called))
        session.add(VoiceCall(direction="outbound", phone=text.phone, conversation_id=conversation_id,
                              answered_at=called + dt.timedelta(minutes=5)))  # the lender's call
        session.flush()
        assert last_inbound(session, conversation_id) == called
        assert last_inbound(session, None) is None
