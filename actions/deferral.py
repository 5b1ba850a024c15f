"""More time, or a date moved: a new due date inside the policy (lending.plans.deferral, with
the deferrals already granted in the last 12 months), read back and confirmed. A borrower with
a running plan moves one of its instalments instead (actions/date_moves.py): their plan says
when they pay, not the account's due date. The form starts on either request ("can I have more
time", "can I pay the March one on the 20th instead"), so what moves follows the account,
whichever words the borrower used.

An account the policy does not allow to defer at all (or a plan whose dates were moved as
often as the policy allows) hears why and the other options; asking again after a refusal
goes to a person.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import store.db
from actions import date_moves
from actions.account_context import AccountContext, ensure_store, load_context
from actions.date_moves import Move
from actions.forms import Changes, CountingFormValidationAction, FormSubmitAction
from actions.records import record
from language import parse_date
from language.wording import date_moves_allowed, money, short_date
from lending.plans import Refusal, deferral
from store.models import OutcomeKind
from store.outcomes import count_since

FORM_SLOTS = ("deferral_date", "deferral_confirmed", "date_move")
MOVE_SLOT = "date_move"  # the plan's instalment being moved (date_moves.Move); None: a deferral
# Refusals no other date can fix: the form stops and says why.
ACCOUNT_REFUSALS = {"deferral_too_overdue", "deferral_limit"}


def deferrals_last_12_months(ctx: AccountContext) -> int:
    since = ctx.now - dt.timedelta(days=365)
    ensure_store()
    with store.db.session_scope() as session:
        return count_since(session, ctx.account_id, OutcomeKind.DEFERRAL, since)


def earliest_base(ctx: AccountContext) -> dt.date:
    """The day a deferral counts from: the due date, or today once it has passed."""
    return max(ctx.account.due_date, ctx.today)


def moving(tracker: Tracker) -> Optional[Move]:
    value = tracker.get_slot(MOVE_SLOT)
    return Move.of_slot(value) if value else None


class ValidateDeferralForm(CountingFormValidationAction):
    confirm_slot = "deferral_confirmed"
    entities = {"deferral_date": ("date",)}

    def name(self) -> Text:
        return "validate_deferral_form"

    def start(self, ctx: AccountContext, dispatcher, tracker) -> Changes:
        move = date_moves.instalment_to_move(ctx, tracker.latest_message.get("text") or "")
        if move is not None:
            refusal = self.refuse_move_limit(ctx, dispatcher, tracker) if date_moves.limit_reached(ctx, move) else {}
            return {MOVE_SLOT: move.as_slot(), **refusal}
        allowed = deferral(ctx.account.due_date, 1, ctx.today, ctx.policy, deferrals_last_12_months(ctx))
        if isinstance(allowed, Refusal) and allowed.rule in ACCOUNT_REFUSALS:
            return {MOVE_SLOT: None, **self.refuse(allowed.rule, dispatcher, tracker)}
        return {MOVE_SLOT: None}

    def refuse_move_limit(self, ctx: AccountContext, dispatcher, tracker) -> Changes:
        allowed = date_moves_allowed(ctx.policy.instalments.max_date_moves, language=ctx.language)
        return self.refuse("date_move_limit", dispatcher, tracker, allowed=allowed)

    def check_deferral_date(self, value: Any, ctx: AccountContext, dispatcher, tracker) -> Changes:
        move = moving(tracker)
        if move is not None:
            return self.check_moved_date(value, move, ctx, dispatcher, tracker)
        day = parse_date(
            str(value), ctx.timezone, now=ctx.now, date_order=ctx.date_order, language=ctx.language
        )
        if day is None:
            return self.fail("deferral_date", ctx, dispatcher, tracker, "utter_unreadable_date")
        base = earliest_base(ctx)
        days = (day - base).days
        if days < 1:
            return self.fail(
                "deferral_date", ctx, dispatcher, tracker, "utter_refusal_deferral_too_soon",
                earliest=short_date(base, language=ctx.language),
            )
        new_due = deferral(ctx.account.due_date, days, ctx.today, ctx.policy, deferrals_last_12_months(ctx))
        if isinstance(new_due, Refusal):
            if new_due.rule in ACCOUNT_REFUSALS:
                return self.refuse(new_due.rule, dispatcher, tracker)
            longest = ctx.policy.deferral.max_days
            return self.refuse(
                new_due.rule, dispatcher, tracker, slot="deferral_date",
                max_days=longest, latest=short_date(base + dt.timedelta(days=longest), language=ctx.language),
            )
        return {"deferral_date": new_due.isoformat()}

    def check_moved_date(self, value: Any, move: Move, ctx: AccountContext, dispatcher, tracker) -> Changes:
        day = date_moves.read_new_date(ctx, str(value), move)
        if day is None:
            return self.fail("deferral_date", ctx, dispatcher, tracker, "utter_unreadable_date")
        refusal = date_moves.check(ctx, move, day)
        if refusal is None:
            return {"deferral_date": day.isoformat()}
        if refusal.rule == "date_move_not_later":
            earliest = date_moves.earliest(ctx, move)
            return self.fail("deferral_date", ctx, dispatcher, tracker, "utter_refusal_date_move_not_later",
                             earliest=short_date(earliest, language=ctx.language))
        if refusal.rule == "date_move_too_far":
            return self.refuse(
                "date_move_too_far", dispatcher, tracker, slot="deferral_date",
                max_days=ctx.policy.instalments.max_date_move_days,
                latest=short_date(date_moves.latest(ctx, move), language=ctx.language),
            )
        return self.refuse_move_limit(ctx, dispatcher, tracker)


def deferral_wording(ctx: AccountContext, tracker: Tracker) -> dict:
    new_due = dt.date.fromisoformat(tracker.get_slot("deferral_date"))
    return {
        "amount": money(ctx.account.balance, ctx.account.currency, language=ctx.language),
        "date": short_date(new_due, language=ctx.language),
    }


class ActionAskDeferralFormDeferralDate(Action):
    """Which date: for a plan, the instalment being moved and its date."""

    def name(self) -> Text:
        return "action_ask_deferral_form_deferral_date"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        move = moving(tracker)
        if move is None:
            dispatcher.utter_message(response="utter_ask_deferral_form_deferral_date")
            return []
        ctx = load_context(tracker.sender_id)
        dispatcher.utter_message(response="utter_ask_date_move", **date_moves.wording(ctx, move))
        return []


class ActionAskDeferralFormDeferralConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_deferral_form_deferral_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        move = moving(tracker)
        if move is None:
            dispatcher.utter_message(response="utter_deferral_readback", **deferral_wording(ctx, tracker))
            return []
        new_date = dt.date.fromisoformat(tracker.get_slot("deferral_date"))
        dispatcher.utter_message(response="utter_date_move_readback", **date_moves.wording(ctx, move, new_date))
        return []


class ActionRecordDeferral(FormSubmitAction):
    form_slots = FORM_SLOTS
    confirm_slot = "deferral_confirmed"
    options_after_refusal = "utter_offer_options_without_deferral"

    def name(self) -> Text:
        return "action_record_deferral"

    def refusal_options(self, tracker: Tracker) -> str:
        # A plan's date that cannot move: what the plan still allows (a person among them).
        return "utter_offer_options_with_plan" if moving(tracker) else self.options_after_refusal

    def options(self, tracker: Tracker) -> str:
        return "utter_offer_options_with_plan" if moving(tracker) else "utter_offer_options"

    def settle(self, ctx: AccountContext, dispatcher, tracker) -> List[EventType]:
        new_date = dt.date.fromisoformat(tracker.get_slot("deferral_date"))
        move = moving(tracker)
        if move is not None:
            if date_moves.apply(ctx, move, new_date):
                dispatcher.utter_message(response="utter_date_move_recorded",
                                         **date_moves.wording(ctx, move, new_date))
            else:
                dispatcher.utter_message(response="utter_nothing_agreed")
                dispatcher.utter_message(response=self.options(tracker))
            return []
        record(ctx, OutcomeKind.DEFERRAL, {
            "new_due_date": new_date.isoformat(),
            "previous_due_date": ctx.account.due_date.isoformat(),
            "days": (new_date - earliest_base(ctx)).days,
        })
        dispatcher.utter_message(response="utter_deferral_recorded", **deferral_wording(ctx, tracker))
        return []
