"""Right-party verification: date of birth, then the last 4 digits of the ID document.

Nothing about any debt is said before this succeeds. Each answer is checked as it comes:
one that cannot be read, or does not match the account, is explained and asked again and
counts as a failed attempt; after `policy.identity.max_attempts` of them the form stops,
nothing is disclosed and the borrower is sent to the support line. With no reachable
account the form stops at once and the bot says it cannot help on this number, the same
words whether or not an account exists.
"""
from __future__ import annotations

import hmac
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_context import AccountContext, load_context
from actions.debt import explain_debt
from actions.forms import Changes, CountingFormValidationAction, StopReason
from actions.records import record
from actions.slots import STOP_SLOT, cleared
from bot.language import parse_birth_date, parse_id_last4
from store.models import OutcomeKind

FAILURES_SLOT = "identity_failures"


def matches_birth_date(ctx: AccountContext, birth_date: Optional[str]) -> bool:
    return bool(ctx.reachable and birth_date and birth_date == ctx.account.birth_date.isoformat())


def normalised_id_last4(value: str) -> str:
    """'482x' and '482X' are the same answer: a Chinese ID number ends in a check character X,
    which borrowers type in either case (the store keeps it upper case)."""
    return str(value).strip().upper()


def matches_id_last4(ctx: AccountContext, id_last4: Optional[str]) -> bool:
    if not (ctx.reachable and id_last4):
        return False
    said, expected = normalised_id_last4(id_last4), normalised_id_last4(ctx.account.id_last4)
    return hmac.compare_digest(said.encode(), expected.encode())


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
        if int(tracker.get_slot(FAILURES_SLOT) or 0) >= self.max_failures(ctx):
            return self.stop(StopReason.TOO_MANY_FAILURES)
        dispatcher.utter_message(response="utter_explain_identity_check")
        return {}

    def check_birth_date(self, value: Any, ctx: AccountContext, dispatcher, tracker) -> Changes:
        born = parse_birth_date(
            str(value), date_order=ctx.date_order, today=ctx.today, language=ctx.language
        )
        if born is None:
            return self.fail("birth_date", ctx, dispatcher, tracker, "utter_identity_unreadable_birth_date")
        if not matches_birth_date(ctx, born.isoformat()):
            return self.fail("birth_date", ctx, dispatcher, tracker, "utter_identity_mismatch")
        return {"birth_date": born.isoformat()}

    def check_id_last4(self, value: Any, ctx: AccountContext, dispatcher, tracker) -> Changes:
        digits = parse_id_last4(str(value), language=ctx.language)
        if digits is None:
            return self.fail("id_last4", ctx, dispatcher, tracker, "utter_identity_unreadable_id_last4")
        if not matches_id_last4(ctx, digits):
            return self.fail("id_last4", ctx, dispatcher, tracker, "utter_identity_mismatch")
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
        # Checked again here: the form's answers are only trusted when they still match.
        if (
            stop_reason is None
            and matches_birth_date(ctx, tracker.get_slot("birth_date"))
            and matches_id_last4(ctx, tracker.get_slot("id_last4"))
        ):
            record(ctx, OutcomeKind.VERIFIED)
            first_name = ctx.account.first_name
            dispatcher.utter_message(response="utter_identity_confirmed", borrower_first_name=first_name)
            explain_debt(ctx, dispatcher, with_statement=True)
            dispatcher.utter_message(response="utter_offer_options")
            return events + [
                SlotSet("identity_status", "verified"), SlotSet("borrower_first_name", first_name),
            ]
        attempts = int(tracker.get_slot(FAILURES_SLOT) or 0)
        record(ctx, OutcomeKind.IDENTITY_FAILED, {"attempts": attempts})
        dispatcher.utter_message(response="utter_identity_failed", **support)
        return events + [SlotSet("identity_status", "locked")]
