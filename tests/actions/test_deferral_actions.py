"""More time: a new due date inside the policy (30 days at most, once in 12 months, up to
60 days overdue), read back and recorded after a yes; refusals explained with the reason."""
from __future__ import annotations

import pytest

import store.db
from actions.deferral import (
    ActionAskDeferralFormDeferralConfirmed,
    ActionRecordDeferral,
    ValidateDeferralForm,
)
from store.models import OutcomeKind
from store.outcomes import record_outcome
from tests.actions.action_support import (
    form_tracker,
    open_conversation,
    outcomes,
    rendered,
    responses,
    run,
    slot_values,
    tracker,
    verified,
)


def date_answer(dispatcher, domain, said, slots=None, sender=None):
    extra = {"sender": sender} if sender else {}
    t = form_tracker("deferral_form", "deferral_date", {"deferral_date": said},
                     verified(**(slots or {})), intent="inform", text=said, **extra)
    return slot_values(run(ValidateDeferralForm(), dispatcher, t, domain))


def test_a_date_inside_the_policy_is_read_back_and_recorded(conversation, dispatcher, domain):
    slots = date_answer(dispatcher, domain, "december 5")
    assert slots == {"deferral_date": "2026-12-05"}

    run(ActionAskDeferralFormDeferralConfirmed(), dispatcher, tracker(verified(**slots)), domain)
    assert rendered(dispatcher, domain) == ["I'll move your payment of $453.50 to Sat, Dec 5. Is that right?"]

    dispatcher.messages.clear()
    run(ActionRecordDeferral(), dispatcher, tracker(verified(**{**slots, "deferral_confirmed": True})), domain)
    [deferral] = outcomes("deferral")
    assert deferral.details == {"new_due_date": "2026-12-05", "previous_due_date": "2026-11-10", "days": 11}
    assert rendered(dispatcher, domain) == ["Done. Your payment of $453.50 is now due on Sat, Dec 5."]


def test_a_deferral_beyond_the_policy_is_refused_with_the_reason(conversation, dispatcher, domain):
    slots = date_answer(dispatcher, domain, "january 15")

    assert slots["deferral_date"] is None and slots["refused_rules"] == ["deferral_too_long"]
    assert rendered(dispatcher, domain) == [
        "I can move your payment by up to 30 days, so to Thu, Dec 24 at the latest."
    ]
    again = date_answer(dispatcher, domain, "january 15", slots={"refused_rules": ["deferral_too_long"]})
    assert again["form_stop_reason"] == "outside_policy"


def test_a_date_before_the_current_one_is_explained(conversation, dispatcher, domain):
    assert date_answer(dispatcher, domain, "today")["deferral_date"] is None
    assert rendered(dispatcher, domain) == ["The new date needs to be after Tue, Nov 24."]


@pytest.mark.parametrize(
    "account_id, earlier_deferral, rule, text",
    [
        ("DEMO-1004", False, "deferral_too_overdue",
         "I'm not able to move the payment date on this account myself."),
        ("DEMO-1001", True, "deferral_limit",
         "I can't move your payment date again: it was already moved once in the last 12 months."),
    ],
)
def test_an_account_the_policy_does_not_defer_hears_why(
    store_url, dispatcher, domain, account_id, earlier_deferral, rule, text
):
    sender = open_conversation(account_id, sender=f"c-{account_id}")
    if earlier_deferral:
        with store.db.session_scope() as session:
            record_outcome(session, OutcomeKind.DEFERRAL, account_id=account_id, conversation_id=None,
                           details={"new_due_date": "2026-10-01", "previous_due_date": "2026-09-15", "days": 16})
    start = form_tracker("deferral_form", None, {}, verified(), intent="request_deferral", sender=sender)

    slots = slot_values(run(ValidateDeferralForm(), dispatcher, start, domain))

    assert slots["form_stop_reason"] == "refused" and slots["refused_rules"] == [rule]
    assert rendered(dispatcher, domain) == [text]
    dispatcher.messages.clear()
    run(ActionRecordDeferral(), dispatcher, tracker(verified(form_stop_reason="refused"), sender=sender), domain)
    assert responses(dispatcher) == ["utter_offer_options_without_deferral"]
