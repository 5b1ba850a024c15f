"""Right-party verification: date of birth, then the last 4 digits of the ID document.

Nothing about any debt is said before this succeeds. Each answer is checked as it comes:
one that cannot be read, or does not match the account, is explained and asked again and
counts as a failed attempt. Attempts count per account in the store (store/identity.py),
across conversations and channels, within the policy's window: after
`policy.identity.max_attempts` of them the account is locked for the policy's cool-off, the
form stops, nothing is disclosed and the borrower is sent to the support line; while the
lock lasts, any conversation that reaches the questions ends there at once. With no
reachable account the form stops at once and the bot says it cannot help on this number,
the same words whether or not an account exists.

The message an identity answer came in is replaced by a placeholder in the store's
transcript (the gateway sends its id as the message's metadata), so a date of birth or ID
digits typed before the question was asked are not kept either.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import store.db
from actions.account_context import AccountContext, ensure_store, load_context
from actions.debt import required_statement, tell_standing
from actions.forms import Changes, CountingFormValidationAction, StopReason
from actions.records import record
from actions.slots import STOP_SLOT, cleared
from actions.standing import options_after
from language.identity import read_birth_date, read_id_last4
from lending.identity import id_last4_matches
from store.identity import LockState, active_lock, mark_identity_answer, record_check
from store.models import IdentityQuestion, OutcomeKind

FAILURES_SLOT = "identity_failures"
ACTOR = "bot"


def is_locked(ctx: AccountContext) -> bool:
    """Whether the account's identity lock is in force (too many wrong answers anywhere)."""
    if ctx.account_id is None:
        return False
    ensure_store()
    with store.db.session_scope() as session:
        return active_lock(session, ctx.account_id, ctx.now) is not None


def check_answer(ctx: AccountContext, question: str, matched: bool, tracker: Tracker) -> LockState:
    """Records one identity answer (never its value) against the account."""
    ensure_store()
    with store.db.session_scope() as session:
        return record_check(
            session, ctx.account_id, question=question, matched=matched,
            channel=ctx.channel or "sms", actor=ACTOR, rules=ctx.policy.identity, now=ctx.now,
            conversation_id=ctx.conversation_id, message_id=message_id(tracker, ctx),
        )


def message_id(tracker: Tracker, ctx: AccountContext) -> Optional[int]:
    """The store's id of the latest message, which the gateway sends as metadata."""
    value = (tracker.latest_message.get("metadata") or {}).get("message_id")
    return value if isinstance(value, int) and not isinstance(value, bool) and ctx.conversation_id else None


def forget_answer_text(ctx: AccountContext, tracker: Tracker) -> None:
    """Replaces the latest message in the transcript with the identity answer placeholder."""
    found = message_id(tracker, ctx)
    if found is None:
        return
    ensure_store()
    with store.db.session_scope() as session:
        mark_identity_answer(session, found, ctx.conversation_id)


def matches_birth_date(ctx: AccountContext, birth_date: Optional[str]) -> bool:
    return bool(ctx.reachable and birth_date and birth_date == ctx.account.birth_date.isoformat())


def matches_id_last4(ctx: AccountContext, id_last4: Optional[str]) -> bool:
    return bool(ctx.reachable and id_last4_matches(id_last4, ctx.account.id_last4))


class ValidateIdentityForm(CountingFormValidationAction):
    needs_verification = False
    failures_slot = FAILURES_SLOT
    reset_failures_on_start = False  # starting the questions again does not earn more tries
    entities = {"birth_date": ("birth_date",), "id_last4": ("id_last4",)}

    def name(self) -> Text:
        return "validate_identity_form"

    def max_failures(self, ctx: AccountContext) -> int:
        return ctx.policy.identity.max_attempts

    def start(self, ctx: AccountContext, dispatcher: CollectingDispatcher, tracker: Tracker) -> Changes:
        if not ctx.reachable:
            return self.stop(StopReason.NO_ACCOUNT)
        if int(tracker.get_slot(FAILURES_SLOT) or 0) >= self.max_failures(ctx) or is_locked(ctx):
            return self.stop(StopReason.TOO_MANY_FAILURES)
        dispatcher.utter_message(response="utter_explain_identity_check")
        return {}

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        # An identity slot filled from this message (an answer to the question, unclear words
        # the form takes as one, or a fact said unasked): its text leaves the transcript, read
        # before the checks change it. A message the form filled nothing from ("I want to talk
        # to a person") is not an answer: the gateway gives the transcript its text back.
        said = set(tracker.slots_to_validate()) & set(IdentityQuestion.ASKED)
        events = await super().get_validation_events(dispatcher, tracker, domain)
        if said:
            forget_answer_text(load_context(tracker.sender_id), tracker)
        return events

    def fail(self, slot: str, ctx: AccountContext, dispatcher: CollectingDispatcher,
             tracker: Tracker, response: str, **values: Any) -> Changes:
        """Explains what was needed and counts the wrong answer against the account: the
        form stops when the account is now locked, whatever this conversation counted."""
        dispatcher.utter_message(response=response, **values)
        state = check_answer(ctx, slot, False, tracker)
        count = max(state.failures, int(tracker.get_slot(self.failures_slot) or 0) + 1)
        changes: Changes = {slot: None, self.failures_slot: min(count, 10)}
        if state.locked or count >= self.max_failures(ctx):
            changes[STOP_SLOT] = StopReason.TOO_MANY_FAILURES
        return changes

    def check_birth_date(self, value: Any, ctx: AccountContext, dispatcher, tracker) -> Changes:
        born = read_birth_date(value, jurisdiction=ctx.jurisdiction, today=ctx.today,
                               language=ctx.language)
        if born is None:
            return self.fail("birth_date", ctx, dispatcher, tracker, "utter_identity_unreadable_birth_date")
        if not matches_birth_date(ctx, born.isoformat()):
            return self.fail("birth_date", ctx, dispatcher, tracker, "utter_identity_mismatch")
        check_answer(ctx, IdentityQuestion.BIRTH_DATE, True, tracker)
        return {"birth_date": born.isoformat()}

    def check_id_last4(self, value: Any, ctx: AccountContext, dispatcher, tracker) -> Changes:
        digits = read_id_last4(value, language=ctx.language)
        if digits is None:
            return self.fail("id_last4", ctx, dispatcher, tracker, "utter_identity_unreadable_id_last4")
        if not matches_id_last4(ctx, digits):
            return self.fail("id_last4", ctx, dispatcher, tracker, "utter_identity_mismatch")
        check_answer(ctx, IdentityQuestion.ID_LAST4, True, tracker)
        return {"id_last4": digits}


class ActionConfirmIdentity(Action):
    """Runs when identity_form ends: verified, or not, and what the borrower hears."""

    def name(self) -> Text:
        return "action_confirm_identity"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        stop_reason = tracker.get_slot(STOP_SLOT)
        # The answers are not kept once checked.
        events: List[EventType] = cleared("birth_date", "id_last4")
        support: Dict[str, Any] = {
            "lender_name": ctx.policy.lender.name, "support_phone": ctx.policy.lender.support_phone,
        }
        if stop_reason == StopReason.NO_ACCOUNT or not ctx.reachable:
            dispatcher.utter_message(response="utter_cannot_help_here", **support)
            return events + [SlotSet("identity_status", "locked")]
        # Checked again here: the form's answers are only trusted when they still match, and
        # not while the account is locked (wrong answers on another channel meanwhile).
        if (
            stop_reason is None
            and matches_birth_date(ctx, tracker.get_slot("birth_date"))
            and matches_id_last4(ctx, tracker.get_slot("id_last4"))
            and not is_locked(ctx)
        ):
            check_answer(ctx, IdentityQuestion.BOTH, True, tracker)  # the count starts afresh
            record(ctx, OutcomeKind.VERIFIED)
            first_name = ctx.account.first_name
            dispatcher.utter_message(response="utter_identity_confirmed", borrower_first_name=first_name)
            required_statement(ctx, dispatcher)
            # A borrower who agreed something hears where they stand, not the overdue pitch.
            told = tell_standing(ctx, dispatcher)
            dispatcher.utter_message(response=options_after(told))
            return events + [
                SlotSet("identity_status", "verified"), SlotSet("borrower_first_name", first_name),
            ]
        attempts = int(tracker.get_slot(FAILURES_SLOT) or 0)
        record(ctx, OutcomeKind.IDENTITY_FAILED, {"attempts": attempts})
        dispatcher.utter_message(response="utter_identity_failed", **support)
        return events + [SlotSet("identity_status", "locked")]
