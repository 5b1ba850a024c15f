"""The gate's rules about what is sent: consent to automated contact, answers in the
borrower's own conversation (the profile's reply window), SMS caps in the borrower's days,
and each account held to its own jurisdiction profile."""
from __future__ import annotations

import datetime as dt

import pytest

from lending.compliance import (
    AGENT,
    AUTOMATED,
    REPLY,
    Borrower,
    Contact,
    Preferences,
    Request,
    Rule,
    check,
)
from lending.policy import load_policy

UTC = dt.timezone.utc
POLICY = load_policy()
US, CN = POLICY.profile_for("us"), POLICY.profile_for("cn")
NEW_YORK = Borrower("A-1", "+15550100001", "America/New_York")
SHANGHAI = Borrower("C-1", "+8613800000001", "Asia/Shanghai")
BOTH = Preferences(consented=frozenset({"sms", "voice"}))


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def text(at: dt.datetime, borrower: Borrower = NEW_YORK) -> Contact:
    return Contact(at=at, channel="sms", account_id=borrower.account_id, phone=borrower.phone)


# -- the shipped profiles ------------------------------------------------------------------

def test_each_profile_ships_its_own_hours_caps_consent_and_reply_window():
    assert (US.contact_hours.start, US.contact_hours.end) == (dt.time(8), dt.time(21))
    assert (CN.contact_hours.start, CN.contact_hours.end) == (dt.time(8), dt.time(22))
    assert CN.frequency.connected_calls_per_day == 3 and US.frequency.call_attempts_per_7_days == 7
    for profile in (US, CN):
        assert profile.frequency.sms_per_day and profile.frequency.sms_per_7_days
        assert profile.consent.automated_sms and profile.consent.automated_voice
        assert "account_legal" not in profile.supervisor_may_override
    assert US.reply_window_minutes == 15 and CN.reply_window_minutes == 0


def test_an_unknown_jurisdiction_is_refused_not_replaced():
    from lending.policy import PolicyError

    assert POLICY.profile_for(None) is POLICY.profile
    with pytest.raises(PolicyError, match="no jurisdiction profile 'xx'"):
        POLICY.profile_for("xx")


# -- consent -------------------------------------------------------------------------------

@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_automated_contact_without_consent_is_refused_with_its_own_rule(channel):
    at = utc(2026, 7, 15, 16)  # 12:00 in New York
    refused = check(NEW_YORK, channel, at, [], US, Preferences())
    assert refused.rule == Rule.NO_CONSENT and refused.retry_at is None
    assert "no consent" in refused.reason
    assert check(NEW_YORK, channel, at, [], US, Preferences(consented=frozenset({channel}))).allowed
    # Consent on one channel is not consent on the other.
    other = "voice" if channel == "sms" else "sms"
    assert check(NEW_YORK, channel, at, [], US, Preferences(consented=frozenset({other}))).rule == Rule.NO_CONSENT


def test_a_person_or_an_answer_in_the_borrowers_conversation_needs_no_automated_consent():
    at = utc(2026, 7, 15, 16)
    assert check(NEW_YORK, "sms", at, [], US, Preferences(), Request(AGENT)).allowed
    assert check(NEW_YORK, "sms", at, [], US, Preferences(), Request(REPLY, at - dt.timedelta(hours=2))).allowed


def test_an_opt_out_or_a_dispute_stops_even_an_answer():
    at = utc(2026, 7, 15, 16)
    reply = Request(REPLY, at - dt.timedelta(minutes=1))
    assert check(NEW_YORK, "sms", at, [], US, Preferences(opted_out=frozenset({"sms"})), reply).rule == Rule.OPTED_OUT
    for status, rule in (("disputed", Rule.ACCOUNT_DISPUTED), ("legal", Rule.ACCOUNT_LEGAL)):
        borrower = Borrower("A-1", "+15550100001", "America/New_York", status)
        assert check(borrower, "sms", at, [], US, BOTH, reply).rule == rule
        assert check(borrower, "sms", at, [], US, BOTH, Request(AGENT)).rule == rule


# -- answers outside contact hours: the profile's reply window ------------------------------

def test_us_answers_a_fresh_message_at_night_within_15_minutes_and_not_after():
    wrote = utc(2026, 7, 16, 3, 0)  # 23:00 EDT
    assert check(NEW_YORK, "sms", wrote + dt.timedelta(minutes=15), [], US, BOTH, Request(REPLY, wrote)).allowed
    late = check(NEW_YORK, "sms", wrote + dt.timedelta(minutes=16), [], US, BOTH, Request(REPLY, wrote))
    assert late.rule == Rule.CONTACT_HOURS and late.retry_at == utc(2026, 7, 16, 12)  # 08:00 EDT
    # An agent's own text, or an automated one, gets no window at all.
    assert check(NEW_YORK, "sms", wrote, [], US, BOTH, Request(AGENT)).rule == Rule.CONTACT_HOURS
    assert check(NEW_YORK, "sms", wrote, [], US, BOTH, Request(AUTOMATED)).rule == Rule.CONTACT_HOURS


def test_china_stays_quiet_from_22_to_8_even_for_an_answer():
    wrote = utc(2026, 7, 15, 15, 0)  # 23:00 in Shanghai
    refused = check(SHANGHAI, "sms", wrote + dt.timedelta(minutes=1), [], CN, BOTH, Request(REPLY, wrote))
    assert refused.rule == Rule.CONTACT_HOURS and refused.retry_at == utc(2026, 7, 16, 0)  # 08:00 CST


def test_a_callback_request_does_not_stop_an_answer_to_the_borrowers_own_message():
    from lending.compliance import CallbackRequest

    at = utc(2026, 7, 15, 16)
    prefs = Preferences(consented=frozenset({"sms"}),
                        callbacks=(CallbackRequest(utc(2026, 7, 14, 15), dt.date(2026, 7, 17)),))
    assert check(NEW_YORK, "sms", at, [], US, prefs).rule == Rule.CALLBACK_REQUESTED
    assert check(NEW_YORK, "sms", at, [], US, prefs, Request(REPLY, at - dt.timedelta(hours=1))).allowed


# -- SMS caps, in the borrower's days -------------------------------------------------------

def test_the_daily_sms_cap_counts_the_borrowers_day_in_new_york():
    # Two texts on 15 July in New York: 09:00 and 20:30 EDT (00:30 UTC on the 16th).
    sent = [text(utc(2026, 7, 15, 13)), text(utc(2026, 7, 16, 0, 30))]
    # 20:45 EDT, still the 15th in New York though the 16th in UTC: the third text waits.
    refused = check(NEW_YORK, "sms", utc(2026, 7, 16, 0, 45), sent, US, BOTH)
    assert refused.rule == Rule.SMS_PER_DAY and "2 automated texts today (at most 2)" in refused.reason
    assert refused.retry_at == utc(2026, 7, 16, 12)  # 08:00 EDT on the 16th: midnight, then contact hours
    assert check(NEW_YORK, "sms", utc(2026, 7, 16, 12), sent, US, BOTH).allowed


def test_the_daily_sms_cap_counts_the_borrowers_day_in_shanghai():
    # 23:30 UTC on the 14th is 07:30 on the 15th in Shanghai: the same day as 15:00 CST.
    sent = [text(utc(2026, 7, 14, 23, 30), SHANGHAI), text(utc(2026, 7, 15, 2), SHANGHAI)]
    refused = check(SHANGHAI, "sms", utc(2026, 7, 15, 7), sent, CN, BOTH)  # 15:00 CST
    assert refused.rule == Rule.SMS_PER_DAY and refused.retry_at == utc(2026, 7, 16, 0)  # 08:00 CST
    # Texts the same UTC day but the day before in Shanghai do not count.
    earlier = [text(utc(2026, 7, 14, 12), SHANGHAI), text(utc(2026, 7, 14, 13), SHANGHAI)]  # 20:00, 21:00 on the 14th
    assert check(SHANGHAI, "sms", utc(2026, 7, 15, 7), earlier, CN, BOTH).allowed


def test_the_7_day_sms_cap_frees_a_day_when_the_oldest_text_leaves_the_window():
    # Six texts on six days (10:00 EDT), 9-14 July: the 7th in 7 days is refused on the 15th.
    sent = [text(utc(2026, 7, day, 14)) for day in range(9, 15)]
    refused = check(NEW_YORK, "sms", utc(2026, 7, 15, 14), sent, US, BOTH)
    assert refused.rule == Rule.SMS_PER_7_DAYS and "6 automated texts in the last 7 days" in refused.reason
    # The 9th leaves the window on the 16th: allowed from 08:00 EDT that day.
    assert refused.retry_at == utc(2026, 7, 16, 12)
    assert check(NEW_YORK, "sms", utc(2026, 7, 16, 12), sent, US, BOTH).allowed


def test_the_7_day_window_is_the_borrowers_week_on_both_sides_of_the_date_line():
    kiritimati = Borrower("K-1", "+68600000001", "Pacific/Kiritimati")  # UTC+14
    pago_pago = Borrower("P-1", "+16840000001", "Pacific/Pago_Pago")  # UTC-11
    # 20:00 UTC on 8 July: 10:00 on the 9th in Kiritimati, 09:00 on the 8th in Pago Pago;
    # then five more texts one day apart.
    at = [utc(2026, 7, 8, 20) + dt.timedelta(days=n) for n in range(6)]
    now = utc(2026, 7, 14, 20)  # the 15th in Kiritimati, the 14th in Pago Pago
    k_sent = [text(t, kiritimati) for t in at]
    p_sent = [text(t, pago_pago) for t in at]
    # Kiritimati: the texts fell on 9-14 July, today is the 15th: 6 in the window, refused.
    assert check(kiritimati, "sms", now, k_sent, US, BOTH).rule == Rule.SMS_PER_7_DAYS
    # Pago Pago: the texts fell on 8-13 July, today is the 14th: still 6 in 8-14, refused;
    # one local day later (the 15th) the 8th drops out.
    assert check(pago_pago, "sms", now, p_sent, US, BOTH).rule == Rule.SMS_PER_7_DAYS
    assert check(pago_pago, "sms", now + dt.timedelta(days=1), p_sent, US, BOTH).allowed


def test_only_automated_texts_are_capped_and_counted():
    sent = [text(utc(2026, 7, 15, 13)), text(utc(2026, 7, 15, 14))]
    at = utc(2026, 7, 15, 16)
    assert check(NEW_YORK, "sms", at, sent, US, BOTH).rule == Rule.SMS_PER_DAY
    assert check(NEW_YORK, "sms", at, sent, US, BOTH, Request(AGENT)).allowed
    assert check(NEW_YORK, "sms", at, sent, US, BOTH, Request(REPLY, at)).allowed
    # Texts about another account, and calls, do not count against this account's texts.
    other = [Contact(at=t.at, channel="sms", account_id="A-2", phone=t.phone) for t in sent]
    calls = [Contact(at=t.at, channel="voice", account_id="A-1", phone=t.phone) for t in sent]
    assert check(NEW_YORK, "sms", at, other + calls, US, BOTH).allowed
