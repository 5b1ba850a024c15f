"""Handing a conversation to a person, and the two ways the bot gets there on its own:
abuse after one calm answer, and two messages in a row it did not understand.

A handoff records an `escalation` outcome with its reason, marks the Conversation as
handled by a human (the gateway then stops passing messages to the bot), puts it in the
agent console's queue with a priority and a summary (store/handoffs.py) and tells the
borrower when a person will reply: the first time the desk for their language is at work
and their contact hours allow a text. Which reasons hand over
is the policy's `handoff.<reason>` switch.
"""
from __future__ import annotations

import datetime as dt
from typing import List, Optional, Text
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import store.db
from actions.account_context import AccountContext, ensure_store, load_context
from actions.slots import end_active_loop, is_verified
from language.wording import reply_when
from lending.policy import WEEKDAYS, AgentHours, Hours
from store.conversations import get_conversation
from store.handoffs import enqueue
from store.models import OutcomeKind
from store.outcomes import audit, record_outcome

# The reason a message hands over, by the intent that brought it.
REASON_BY_INTENT = {
    "request_human": "request_human",
    "legal_protection": "legal_protection",
    "hardship": "hardship",
    "dispute_debt": "dispute_debt",
    "already_paid": "already_paid",
    "abuse": "abuse_after_deescalation",
    "out_of_scope": "not_understood_twice",
    "nlu_fallback": "not_understood_twice",
}
# Reasons without a switch of their own in the policy's `handoff` section.
POLICY_SWITCH = {"already_paid": "dispute_debt"}


def handoff_enabled(ctx: AccountContext, reason: str) -> bool:
    return bool(getattr(ctx.policy.handoff, POLICY_SWITCH.get(reason, reason), True))


def agents_available(now: dt.datetime, hours: AgentHours) -> bool:
    local = now.astimezone(ZoneInfo(hours.timezone))
    return WEEKDAYS[local.weekday()] in hours.weekdays and hours.start <= local.time() < hours.end


def next_opening(now: dt.datetime, hours: AgentHours) -> Optional[dt.datetime]:
    """When agents next start work, in their time zone."""
    zone = ZoneInfo(hours.timezone)
    local = now.astimezone(zone)
    for ahead in range(8):
        day = local.date() + dt.timedelta(days=ahead)
        if WEEKDAYS[day.weekday()] not in hours.weekdays:
            continue
        opening = dt.datetime.combine(day, hours.start, tzinfo=zone)
        if opening > local:
            return opening
    return None


def reply_opening(now: dt.datetime, desk: AgentHours, contact: Hours, borrower_zone: str) -> Optional[dt.datetime]:
    """The first instant from `now` when the desk's agents are at work and the borrower's
    contact hours allow a text: the two are weekly windows, so it is `now` or the start of
    one of them."""
    zone = ZoneInfo(borrower_zone)
    local = now.astimezone(zone)
    candidates = [now]
    candidates += [
        dt.datetime.combine(local.date() + dt.timedelta(days=ahead), contact.start, tzinfo=zone)
        for ahead in range(9)
    ]
    opening = now
    for _ in range(9):
        opening = next_opening(opening, desk)
        if opening is None:
            break
        candidates.append(opening)
    for candidate in sorted(c for c in candidates if c >= now):
        clock = candidate.astimezone(zone).time()
        if agents_available(candidate, desk) and contact.start <= clock < contact.end:
            return candidate
    return None


def reply_time(ctx: AccountContext) -> Optional[str]:
    """When a person will reply ('today after 9:00 AM', '于明天9:00以后'; language.wording),
    in the borrower's time zone and language; None when they can reply now. The desk is
    the one for the borrower's language, and the promise falls inside the borrower's
    contact hours, when an agent's text is allowed to reach them."""
    desk = ctx.policy.lender.hours_for(ctx.language)
    opening = reply_opening(ctx.now, desk, ctx.profile.contact_hours, ctx.timezone)
    if opening == ctx.now:
        return None
    local_opening = opening.astimezone(ZoneInfo(ctx.timezone)) if opening else None
    return reply_when(local_opening, ctx.today, language=ctx.language)


def handed_over(ctx: AccountContext) -> bool:
    """Whether a person holds the conversation now: the bot says nothing more in it."""
    if not ctx.conversation_id:
        return False
    ensure_store()
    with store.db.session_scope() as session:
        conversation = get_conversation(session, ctx.conversation_id)
        return conversation is not None and conversation.handled_by == "human"


def hand_over(
    ctx: AccountContext, reason: str, dispatcher: CollectingDispatcher, tracker: Tracker
) -> List[EventType]:
    """Hands the conversation to a person when the policy says this reason does."""
    lender = ctx.policy.lender
    if not handoff_enabled(ctx, reason):
        dispatcher.utter_message(
            response="utter_handoff_unavailable", lender_name=lender.name, support_phone=lender.support_phone,
        )
        return []
    ensure_store()
    with store.db.session_scope() as session:
        conversation = get_conversation(session, ctx.conversation_id) if ctx.conversation_id else None
        record_outcome(
            session, OutcomeKind.ESCALATION, account_id=ctx.account_id,
            conversation_id=ctx.conversation_id, phone=ctx.phone, details={"reason": reason},
        )
        if conversation is not None:
            session.flush()  # the summary lists what this conversation recorded so far
            enqueue(session, conversation, reason, ctx.now)
        audit(
            session, "bot", "handoff", account_id=ctx.account_id,
            conversation_id=ctx.conversation_id, details={"reason": reason},
        )
    when = reply_time(ctx)
    if when is None:
        dispatcher.utter_message(response="utter_handoff_in_hours", lender_name=lender.name)
    else:
        dispatcher.utter_message(response="utter_handoff_out_of_hours", lender_name=lender.name, when=when)
    return end_active_loop(tracker)


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        events: List[EventType] = []
        if intent == "request_human":  # "I lost my job, I need to talk to someone": the hardship too
            from actions import safety  # it hands over through this module

            events = safety.honour_also(ctx, dispatcher, tracker, {"request_human"})
        return events + hand_over(ctx, REASON_BY_INTENT.get(intent, "request_human"), dispatcher, tracker)


class ActionHandleAbuse(Action):
    """One calm de-escalation; abuse again in the same conversation goes to a person.
    The bot never answers in kind."""

    def name(self) -> Text:
        return "action_handle_abuse"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        count = int(tracker.get_slot("abuse_count") or 0) + 1
        events: List[EventType] = [SlotSet("abuse_count", count)]
        if count > 1 and handoff_enabled(ctx, "abuse_after_deescalation"):
            return events + hand_over(ctx, "abuse_after_deescalation", dispatcher, tracker)
        dispatcher.utter_message(response="utter_deescalate")
        return events


class ActionHandleNotUnderstood(Action):
    """"Sorry, I didn't understand"; the second time in a row, a person takes over."""

    def name(self) -> Text:
        return "action_handle_not_understood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        if self._answered_previous_message(tracker) and handoff_enabled(ctx, "not_understood_twice"):
            return hand_over(ctx, "not_understood_twice", dispatcher, tracker)
        # Before verification the options would tell a stranger what this is about.
        response = "utter_not_understood" if is_verified(tracker) else "utter_not_understood_unverified"
        dispatcher.utter_message(response=response)
        return []

    def _answered_previous_message(self, tracker: Tracker) -> bool:
        """Whether this action also answered the borrower's previous message."""
        users = [i for i, event in enumerate(tracker.events) if event.get("event") == "user"]
        if len(users) < 2:
            return False
        between = tracker.events[users[-2] + 1: users[-1]]
        if any(event.get("event") == "session_started" for event in between):
            return False
        return any(event.get("event") == "action" and event.get("name") == self.name() for event in between)
