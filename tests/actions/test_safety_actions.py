"""Safety requests said together, and the one question asked when the NLU is unsure: every
safety intent a message says is honoured (actions/safety.py), and a yes to the question is
honoured at once."""
from __future__ import annotations

import re

import pytest

import store.db
from actions.contact import ActionRecordOptOut, ActionRecordWrongNumber
from actions.debt import ActionRecordLegalProtection
from actions.deferral import ValidateDeferralForm
from actions.handoff import ActionHandoff
from actions.safety import ActionAnswerSafetyCheck, ActionAskSafetyConfirmed, ActionStartSafetyCheck
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

PHONE = "+15550100001"  # DEMO-1001's
DISCLOSURE = re.compile(r"\$\s?\d|\bdebt\b|\bcollect|\boverdue\b|\bowe\b|\bbalance\b|\bpayment\b|\bDana\b", re.I)
OPTED_OUT = ("Done. You won't get any more messages from Northwind Credit on this number. "
             "If you change your mind, reply START.")


def opted_out(channel: str = "sms") -> bool:
    with store.db.session_scope() as session:
        return is_opted_out(session, PHONE, channel)


def happened(events, event: str, name) -> bool:
    return any(e.get("event") == event and e.get("name") == name for e in events)


def said(*intents: str, **parse):
    return {"safety_intents": list(intents), **parse}


def test_wrong_person_and_stop_texting_marks_the_wrong_number_and_stops_contact(conversation, dispatcher, domain):
    events = run(ActionRecordWrongNumber(), dispatcher,
                 tracker({"identity_status": "pending"}, intent="wrong_person", active_loop="identity_form",
                         text="wrong person, stop texting me", parse=said("wrong_person", "opt_out")), domain)

    assert account().status == AccountStatus.WRONG_NUMBER
    assert opted_out("sms") and not opted_out("voice")
    assert [o.kind for o in outcomes()] == ["wrong_number", "opt_out"]
    assert slot_values(events)["identity_status"] == "locked"
    replies = rendered(dispatcher, domain)
    assert replies[1] == OPTED_OUT
    assert not any(DISCLOSURE.search(reply) for reply in replies), replies


def test_a_lawyer_and_stop_texting_pauses_the_account_and_stops_contact(conversation, dispatcher, domain):
    run(ActionRecordLegalProtection(), dispatcher,
        tracker(verified(), intent="legal_protection", parse=said("legal_protection", "opt_out")), domain)

    assert account().status == AccountStatus.LEGAL
    assert opted_out("sms")
    assert responses(dispatcher) == ["utter_legal_noted", "utter_opted_out"]
    # the rule hands over next (data/rules/handoff.yml): the opt-out is not recorded twice
    run(ActionHandoff(), dispatcher,
        tracker(verified(), intent="legal_protection", parse=said("legal_protection", "opt_out")), domain)
    assert [o.kind for o in outcomes()] == ["legal", "opt_out", "escalation"]


def test_stop_texting_beside_a_dispute_before_verification_records_both_and_discloses_nothing(
    conversation, dispatcher, domain
):
    run(ActionRecordOptOut(), dispatcher,
        tracker({"identity_status": "pending"}, intent="opt_out", parse=said("opt_out", "dispute_debt")), domain)

    assert opted_out("sms")
    [dispute] = outcomes("dispute")
    assert dispute.details == {"verified": False}
    assert account().status == AccountStatus.ACTIVE  # an unverified word does not pause the account
    assert rendered(dispatcher, domain) == [OPTED_OUT]


def test_a_verified_dispute_beside_stop_texting_pauses_collection(conversation, dispatcher, domain):
    run(ActionRecordOptOut(), dispatcher,
        tracker(verified(), intent="opt_out", parse=said("opt_out", "dispute_debt")), domain)

    assert opted_out("sms") and account().status == AccountStatus.DISPUTED
    assert responses(dispatcher) == ["utter_opted_out", "utter_dispute_noted"]


def test_lost_my_job_can_i_pay_later_starts_the_deferral_and_records_the_hardship(conversation, dispatcher, domain):
    t = form_tracker("deferral_form", None, {}, verified(), intent="request_deferral",
                     text="I lost my job, can I pay later", parse=said("hardship"))

    events = run(ValidateDeferralForm(), dispatcher, t, domain)

    [hardship] = outcomes("hardship")
    assert hardship.details == {"vulnerable": True}
    assert rendered(dispatcher, domain) == ["I'm sorry to hear that, and thank you for telling me."]
    assert "form_stop_reason" not in slot_values(events) or slot_values(events)["form_stop_reason"] is None


def test_a_person_asked_for_beside_a_hardship_records_the_hardship_then_hands_over(conversation, dispatcher, domain):
    run(ActionHandoff(), dispatcher, tracker(verified(), intent="request_human", parse=said("request_human", "hardship")),
        domain)

    assert [o.kind for o in outcomes()] == ["hardship", "escalation"]
    assert outcomes("escalation")[0].details == {"reason": "request_human"}


# -- asking when the NLU is unsure ------------------------------------------------------------

QUESTIONS = {
    "opt_out": "Just to check: do you want us to stop texting you? Reply YES or NO.",
    "wrong_person": "Just to check: have we reached the wrong person? Reply YES or NO.",
    "legal_protection": "Just to check: is a lawyer handling this for you, or are you in bankruptcy? Reply YES or NO.",
    "request_human": "Just to check: would you like to talk to a person? Reply YES or NO.",
}


@pytest.mark.parametrize("intent", sorted(QUESTIONS))
def test_the_question_names_what_the_nlu_was_unsure_of_and_nothing_about_the_account(
    conversation, dispatcher, domain, intent
):
    events = run(ActionStartSafetyCheck(), dispatcher,
                 tracker({"identity_status": "pending"}, intent="check_safety", active_loop="identity_form",
                         parse={"safety_check": intent}), domain)
    slots = slot_values(events)
    assert slots["safety_check"] == intent and slots["requested_slot"] is None
    assert happened(events, "active_loop", None)  # the identity questions wait

    run(ActionAskSafetyConfirmed(), dispatcher, tracker({"safety_check": intent}), domain)
    [question] = rendered(dispatcher, domain)
    assert question == QUESTIONS[intent]
    assert not DISCLOSURE.search(question)


def test_yes_to_stop_texting_opts_out_at_once(conversation, dispatcher, domain):
    events = run(ActionAnswerSafetyCheck(), dispatcher,
                 tracker({"identity_status": "pending", "safety_check": "opt_out", "safety_confirmed": True},
                         intent="affirm"), domain)

    assert opted_out("sms")
    assert rendered(dispatcher, domain) == [OPTED_OUT]
    assert slot_values(events) == {"safety_check": None, "safety_confirmed": None}


def test_no_goes_back_to_the_identity_questions_and_records_nothing(conversation, dispatcher, domain):
    events = run(ActionAnswerSafetyCheck(), dispatcher,
                 tracker({"identity_status": "pending", "safety_check": "opt_out", "safety_confirmed": False},
                         intent="deny"), domain)

    assert not opted_out("sms") and outcomes() == []
    assert rendered(dispatcher, domain) == ["Thanks for letting me know."]
    assert happened(events, "followup", "identity_form")


def test_no_after_verification_offers_the_options_again(conversation, dispatcher, domain):
    run(ActionAnswerSafetyCheck(), dispatcher,
        tracker(verified(safety_check="request_human", safety_confirmed=False), intent="deny"), domain)

    assert responses(dispatcher) == ["utter_safety_check_declined", "utter_offer_options"]
    assert outcomes() == []


def test_yes_to_the_wrong_person_question_suppresses_the_number(conversation, dispatcher, domain):
    events = run(ActionAnswerSafetyCheck(), dispatcher,
                 tracker({"identity_status": "pending", "safety_check": "wrong_person", "safety_confirmed": True},
                         intent="affirm"), domain)

    assert account().status == AccountStatus.WRONG_NUMBER
    assert slot_values(events)["identity_status"] == "locked"


def test_yes_to_the_lawyer_question_pauses_the_account_and_hands_over(conversation, dispatcher, domain):
    run(ActionAnswerSafetyCheck(), dispatcher,
        tracker({"identity_status": "pending", "safety_check": "legal_protection", "safety_confirmed": True},
                intent="affirm"), domain)

    assert account().status == AccountStatus.LEGAL
    assert [o.kind for o in outcomes()] == ["legal", "escalation"]
    assert outcomes("escalation")[0].details == {"reason": "legal_protection"}


def test_yes_to_a_dispute_before_verification_waits_for_the_identity_questions(conversation, dispatcher, domain):
    events = run(ActionAnswerSafetyCheck(), dispatcher,
                 tracker({"identity_status": "pending", "safety_check": "dispute_debt", "safety_confirmed": True},
                         intent="affirm"), domain)

    assert account().status == AccountStatus.ACTIVE and outcomes() == []
    assert responses(dispatcher) == ["utter_verify_first"]
    assert happened(events, "followup", "identity_form")


def test_yes_to_hardship_after_verification_records_it_and_hands_over(conversation, dispatcher, domain):
    run(ActionAnswerSafetyCheck(), dispatcher,
        tracker(verified(safety_check="hardship", safety_confirmed=True), intent="affirm"), domain)

    assert [o.kind for o in outcomes()] == ["hardship", "escalation"]
    assert outcomes("hardship")[0].details == {"vulnerable": True}
