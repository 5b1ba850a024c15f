"""The safety-critical requests: opting out, a wrong number, an attorney or bankruptcy, a
dispute, hardship, a person. Each is honoured wherever it is said:

- as the message's intent, by its action (actions/contact.py, actions/debt.py, handoff);
- beside another one in the same message ("wrong person, stop texting me"): the NLU's
  safety layer lists every safety intent a message says in `safety_intents`
  (bot/components/safety_patterns.py) and the action of the message's intent honours the
  others too (`honour_also`), so a stopped contact or a third party is never lost because
  the message also said something else;
- when the model is unsure: the NLU says `check_safety` and names its guess in
  `safety_check`; the bot asks one yes-or-no question and acts on a yes at once
  (ActionStartSafetyCheck, ActionAnswerSafetyCheck; data/rules/safety.yml).
"""
from __future__ import annotations

import re
from typing import Iterable, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import store.db
from actions.account_context import AccountContext, ensure_store, load_context
from actions.handoff import hand_over
from actions.records import record, set_account_status
from actions.slots import IDENTITY_STATUS, REQUESTED_SLOT, cleared, is_verified
from language.safety import SEVERITY
from store.models import AccountStatus, OutcomeKind
from store.outcomes import record_outcome, set_opt_out

SAFETY_INTENTS = "safety_intents"  # parse data: every safety intent the message says
SAFETY_CHECK = "safety_check"  # parse data and slot: the intent the bot asks about
CONFIRMED_SLOT = "safety_confirmed"
# The question for each intent; none names a debt or the borrower (it may come before verification).
QUESTIONS = {
    "opt_out": "utter_check_opt_out",
    "wrong_person": "utter_check_wrong_person",
    "legal_protection": "utter_check_legal_protection",
    "dispute_debt": "utter_check_dispute_debt",
    "request_human": "utter_check_request_human",
    "hardship": "utter_check_hardship",
}


def said(tracker: Tracker) -> List[str]:
    """The safety intents of the latest message, most severe first."""
    found = set(tracker.latest_message.get(SAFETY_INTENTS) or [])
    return [intent for intent in SEVERITY if intent in found]


# -- what each request does ---------------------------------------------------------------

# Plain words naming what to stop: "stop calling me" in a text stops calls, "stop texting
# me" on a call stops texts, "stop contacting me" stops both; anything else stops the
# channel the borrower is using.
_CALLS = re.compile(r"\b(call|calls|calling|called|ring|ringing|phone|phoning|voice)\b|电话|来电|致电|打给我")
_TEXTS = re.compile(r"\b(text|texts|texting|message|messages|messaging|sms)\b|短信|信息|消息")
_EVERYTHING = re.compile(r"\b(contact|contacting|bother|bothering|harass|harassing)\b|联系|骚扰|打扰")


def channels_to_stop(text: str, channel: str) -> List[str]:
    """The channels a plain-language opt-out asks to stop."""
    said = (text or "").lower()
    named = [name for name, words in (("sms", _TEXTS), ("voice", _CALLS)) if words.search(said)]
    if not named and _EVERYTHING.search(said):
        named = ["sms", "voice"]
    return named or [channel]


def opt_out(ctx: AccountContext, dispatcher: CollectingDispatcher, text: str = "") -> None:
    """The channel(s) the words name (else this one) stop at once, with one confirmation;
    the consent ledger records the revocation ("plain_language")."""
    lender = ctx.policy.lender
    if not (ctx.phone and ctx.channel):  # no gateway conversation: nothing to opt out
        dispatcher.utter_message(
            response="utter_call_support", lender_name=lender.name, support_phone=lender.support_phone
        )
        return
    ensure_store()
    channels = channels_to_stop(text, ctx.channel)
    with store.db.session_scope() as session:
        for channel in channels:
            set_opt_out(session, ctx.phone, channel, True, how="plain_language", recorded_by="bot",
                        account_id=ctx.account_id)
        record_outcome(
            session, OutcomeKind.OPT_OUT, account_id=ctx.account_id,
            conversation_id=ctx.conversation_id, phone=ctx.phone,
            details={"channel": ctx.channel, "channels": channels},
        )
    dispatcher.utter_message(response="utter_opted_out", lender_name=lender.name)


def wrong_number(ctx: AccountContext, dispatcher: CollectingDispatcher) -> List[EventType]:
    """Suppressed for good; the person who answered learns nothing about the account."""
    set_account_status(ctx, AccountStatus.WRONG_NUMBER, OutcomeKind.WRONG_NUMBER)
    dispatcher.utter_message(response="utter_wrong_number")
    return [SlotSet(IDENTITY_STATUS, "locked")] + cleared("birth_date", "id_last4")


def legal_protection(ctx: AccountContext, tracker: Tracker, dispatcher: CollectingDispatcher) -> None:
    """Collection stops; pausing it on the word of whoever answers is the safe side."""
    details = {"verified": is_verified(tracker)}
    if ctx.account and ctx.account.status != AccountStatus.WRONG_NUMBER:
        set_account_status(ctx, AccountStatus.LEGAL, OutcomeKind.LEGAL, details)
    else:  # a wrong number's words do not change the borrower's account
        record(ctx, OutcomeKind.LEGAL, details)
    dispatcher.utter_message(response="utter_legal_noted")


def dispute(ctx: AccountContext, tracker: Tracker, dispatcher: CollectingDispatcher) -> None:
    """A verified borrower's dispute pauses collection. Anyone else's is recorded for a person
    to see, without a word about the account and without changing it."""
    if is_verified(tracker) and ctx.reachable:
        set_account_status(ctx, AccountStatus.DISPUTED, OutcomeKind.DISPUTE)
        dispatcher.utter_message(response="utter_dispute_noted")
    else:
        record(ctx, OutcomeKind.DISPUTE, {"verified": False})


def hardship(ctx: AccountContext, tracker: Tracker, dispatcher: CollectingDispatcher,
             response: str = "utter_hardship_noted") -> None:
    """Flagged as vulnerable for a person."""
    verified = is_verified(tracker) and ctx.reachable
    record(ctx, OutcomeKind.HARDSHIP, {"vulnerable": True, **({} if verified else {"verified": False})})
    dispatcher.utter_message(response=response if verified else "utter_hardship_heard")


# -- several in one message ---------------------------------------------------------------

def honour_also(
    ctx: AccountContext, dispatcher: CollectingDispatcher, tracker: Tracker, handled: Iterable[str],
) -> List[EventType]:
    """Honours the safety intents of the latest message that its own action did not
    (`handled`): the opt-out beside a wrong number or an attorney, the hardship beside a
    request for more time. A stranger's words (after a wrong number) hand nothing over."""
    done = set(handled)
    events: List[EventType] = []
    for intent in said(tracker):
        if intent in done:
            continue
        done.add(intent)
        if intent == "wrong_person":
            events += wrong_number(ctx, dispatcher)
        elif intent == "legal_protection":
            legal_protection(ctx, tracker, dispatcher)
        elif intent == "opt_out":
            opt_out(ctx, dispatcher, (tracker.latest_message or {}).get("text") or "")
        elif intent == "dispute_debt":
            dispute(ctx, tracker, dispatcher)
        elif intent == "hardship":
            hardship(ctx, tracker, dispatcher, response="utter_hardship_heard")
        elif intent == "request_human" and "wrong_person" not in done:
            events += hand_over(ctx, "request_human", dispatcher, tracker)
    return events


# -- asking when the model is unsure --------------------------------------------------------

def _resume(tracker: Tracker, dispatcher: CollectingDispatcher, response: Optional[str] = None) -> List[EventType]:
    """After a no (or a request that waits for verification): the conversation goes on."""
    if response:
        dispatcher.utter_message(response=response)
    status = tracker.get_slot(IDENTITY_STATUS)
    if status == "pending":
        return [FollowupAction("identity_form")]
    if status == "verified":
        dispatcher.utter_message(response="utter_offer_options")
    return []


def _honour_confirmed(
    intent: str, ctx: AccountContext, dispatcher: CollectingDispatcher, tracker: Tracker,
) -> List[EventType]:
    """What a yes to the question about `intent` does: what the intent itself does."""
    if intent == "opt_out":
        opt_out(ctx, dispatcher)
        return []
    if intent == "wrong_person":
        return wrong_number(ctx, dispatcher)
    if intent == "legal_protection":
        legal_protection(ctx, tracker, dispatcher)
        return hand_over(ctx, "legal_protection", dispatcher, tracker)
    if intent == "request_human":
        return hand_over(ctx, "request_human", dispatcher, tracker)
    verified = is_verified(tracker) and ctx.reachable
    if intent == "dispute_debt":
        if not verified:
            return _resume(tracker, dispatcher, "utter_verify_first")
        dispute(ctx, tracker, dispatcher)
        return hand_over(ctx, "dispute_debt", dispatcher, tracker)
    if intent == "hardship":
        if not verified:
            return _resume(tracker, dispatcher, "utter_hardship_unverified")
        hardship(ctx, tracker, dispatcher)
        return hand_over(ctx, "hardship", dispatcher, tracker)
    return _resume(tracker, dispatcher)


class ActionStartSafetyCheck(Action):
    """Keeps which intent the question is about, and ends whatever form was running: the
    question comes first."""

    def name(self) -> Text:
        return "action_start_safety_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        intent = tracker.latest_message.get(SAFETY_CHECK)
        if intent not in SEVERITY:  # not from the safety layer: ask the commonest question
            intent = "opt_out"
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None),
                SlotSet(SAFETY_CHECK, intent), SlotSet(CONFIRMED_SLOT, None)]


class ActionAskSafetyConfirmed(Action):
    """The question: "Just to check: do you want us to stop texting you? Reply YES or NO"."""

    def name(self) -> Text:
        return "action_ask_safety_check_form_safety_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        intent = tracker.get_slot(SAFETY_CHECK)
        dispatcher.utter_message(response=QUESTIONS.get(intent, QUESTIONS["opt_out"]))
        return []


class ActionAnswerSafetyCheck(Action):
    """Runs when the question is answered: a yes does at once what the intent does; a no goes
    back to the conversation."""

    def name(self) -> Text:
        return "action_answer_safety_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        intent = tracker.get_slot(SAFETY_CHECK)
        confirmed = tracker.get_slot(CONFIRMED_SLOT)
        events: List[EventType] = [SlotSet(SAFETY_CHECK, None), SlotSet(CONFIRMED_SLOT, None)]
        if confirmed is True and intent in SEVERITY:
            return events + _honour_confirmed(intent, ctx, dispatcher, tracker)
        return events + _resume(tracker, dispatcher, "utter_safety_check_declined")

