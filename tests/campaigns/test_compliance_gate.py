"""The compliance gate at its edges: contact hours in the borrower's own zone (both sides
of the date line, across DST changes), the US and China call caps, opt-outs, account
states, inconvenient times and callback requests. The borrower here consented to
automated contact (consent itself: tests/campaigns/test_contact_rules.py)."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from lending.compliance import (
    NO_PREFERENCES,
    Blocked,
    Borrower,
    CallbackRequest,
    Contact,
    Preferences,
    Rule,
    Window,
)
from lending.compliance import check as gate_check
from lending.policy import load_policy

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
