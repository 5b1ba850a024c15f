"""Opting out, wrong numbers, call-me-later, and what changes an account's status."""
from __future__ import annotations

import re

import pytest

import store.db
from actions.contact import (
    ActionRecordCallback,
    ActionRecordOptOut,
    ActionRecordWrongNumber,
    ValidateCallbackForm,
)
from actions.debt import (
    ActionRecordAlreadyPaid,
    ActionRecordDispute,
    ActionRecordHardship,
    ActionRecordLegalProtection,
)
from store.models import AccountStatus
from store.outcomes import is_opted_out
from tests.actions.action_support import (
    account,
    form_tracker,
    outcomes,
    rendered,
    responses,
    run,
    slot_values,
    tracker,
    verified,
)

DISCLOSURE = re.compile(r"\$\s?\d|\bdebt\b|\bcollect|\boverdue\b|\bowe\b|\bbalance\b|\bpayment\b", re.I)


def test_opt_out_writes_the_preference_with_one_confirmation(conversation, dispatcher, domain):
    events = run(ActionRecordOptOut(), dispatcher,
                 tracker({"identity_status": "pending"}, intent="opt_out", active_loop="identity_form"), domain)

    with store.db.session_scope() as session:
        assert is_opted_out(session, "+15550100001", "sms")
        assert not is_opted_out(session, "+15550100001", "voice")
    [opt_out] = outcomes("opt_out")
    assert opt_out.details == {"channel": "sms", "channels": ["sms"]} and opt_out.phone == "+15550100001"
    assert rendered(dispatcher, domain) == [
        "Done. You won't get any more messages from Northwind Credit on this number. "
        "If you change your mind, reply START."
    ]
    assert slot_values(events) == {"requested_slot": None}  # the identity questions stop too


@pytest.mark.parametrize("said, stopped", [
    ("stop calling me", {"voice"}),
    ("please stop texting me", {"sms"}),
    ("不要再给我打电话了", {"voice"}),
    ("stop contacting me", {"sms", "voice"}),
    ("leave me alone", {"sms"}),  # nothing named: the channel the borrower is using
])
def test_plain_words_stop_what_they_name_and_revoke_its_consent(conversation, dispatcher, domain, said, stopped):
    import datetime as dt

    from campaigns.gate import check_account
    from lending.policy import load_policy
    from store.consents import latest

    run(ActionRecordOptOut(), dispatcher, tracker({}, intent="opt_out", text=said), domain)

    phone = "+15550100001"
    with store.db.session_scope() as session:
        assert {c for c in ("sms", "voice") if is_opted_out(session, phone, c)} == stopped
        for channel in ("sms", "voice"):
            event = latest(session, phone, channel)
            if channel in stopped:
                assert not event.granted and event.source == "plain_language" and event.recorded_by == "bot"
            else:
                assert event.granted  # the demo accounts file's consent stands
        # The gate refuses the stopped channels from now on (10:00 in New York).
        at = dt.datetime(2026, 11, 24, 15, tzinfo=dt.timezone.utc)
        for channel in stopped:
            assert check_account(session, "DEMO-1001", channel, at, load_policy()).rule == "opted_out"


def test_a_wrong_number_is_suppressed_and_learns_nothing(conversation, dispatcher, domain):
    events = run(ActionRecordWrongNumber(), dispatcher,
                 tracker({"identity_status": "pending"}, intent="wrong_person", active_loop="identity_form"),
                 domain)

    assert account().status == AccountStatus.WRONG_NUMBER
    assert len(outcomes("wrong_number")) == 1
    assert slot_values(events)["identity_status"] == "locked"
    [reply] = rendered(dispatcher, domain)
    assert not DISCLOSURE.search(reply), reply


@pytest.mark.parametrize(
    "said, day",
    [("tomorrow after 6pm", "2026-11-25"), ("monday morning", "2026-11-30"), ("after work", None)],
)
def test_call_me_later_is_noted_in_the_borrowers_words(conversation, dispatcher, domain, said, day):
    t = form_tracker("callback_form", "callback_time", {"callback_time": said}, {"identity_status": "pending"},
                     intent="inform", text=said)
    assert slot_values(run(ValidateCallbackForm(), dispatcher, t, domain)) == {"callback_time": said}

    events = run(ActionRecordCallback(), dispatcher, tracker({"callback_time": said}), domain)

    [callback] = outcomes("callback")
    assert callback.details == {"said": said, "date": day}
    assert rendered(dispatcher, domain) == [f"Thanks, I've noted that: \"{said}\". We'll be in touch then."]
    assert slot_values(events)["callback_time"] is None


@pytest.mark.parametrize(
    "action, kind, status, response",
    [
        (ActionRecordDispute(), "dispute", AccountStatus.DISPUTED, "utter_dispute_noted"),
        (ActionRecordAlreadyPaid(), "already_paid", AccountStatus.DISPUTED, "utter_already_paid_noted"),
        # The relief the policy offers follows (tests/actions/test_relief_actions.py).
        (ActionRecordHardship(), "hardship", AccountStatus.ACTIVE, "utter_hardship_heard"),
    ],
)
def test_what_a_verified_borrower_reports_is_recorded(conversation, dispatcher, domain, action, kind, status, response):
    run(action, dispatcher, tracker(verified()), domain)

    [outcome] = outcomes(kind)
    assert outcome.account_id == "DEMO-1001"
    assert account().status == status
    assert responses(dispatcher) == [response]
    if kind == "hardship":
        assert outcome.details == {"vulnerable": True}


@pytest.mark.parametrize("action", [ActionRecordDispute(), ActionRecordAlreadyPaid(), ActionRecordHardship()])
def test_before_verification_nothing_is_recorded(conversation, dispatcher, domain, action):
    run(action, dispatcher, tracker({"identity_status": "pending"}), domain)

    assert outcomes() == [] and account().status == AccountStatus.ACTIVE
    assert responses(dispatcher) == ["utter_verify_first"]


@pytest.mark.parametrize("identity_status", ["pending", "verified"])
def test_an_attorney_or_bankruptcy_stops_collection_at_any_point(conversation, dispatcher, domain, identity_status):
    run(ActionRecordLegalProtection(), dispatcher, tracker({"identity_status": identity_status}), domain)

    assert account().status == AccountStatus.LEGAL
    [legal] = outcomes("legal")
    assert legal.details == {"verified": identity_status == "verified"}
    assert rendered(dispatcher, domain) == ["Understood. I'll stop here."]
