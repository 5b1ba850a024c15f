"""More time: a new due date inside the policy (lending.plans.deferral, with the deferrals
already granted in the last 12 months), read back and confirmed.

An account the policy does not allow to defer at all hears why and the other options;
asking again after a refusal goes to a person.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import store.db
from actions.account_context import AccountContext, ensure_store, load_context
from actions.forms import Changes, CountingFormValidationAction, FormSubmitAction
from actions.records import record
from bot.language import parse_date
from bot.language.wording import money, short_date
from lending.plans import Refusal, deferral
from store.models import OutcomeKind
from store.outcomes import count_since

FORM_SLOTS = ("deferral_date", "deferral_confirmed")
# Refusals no other date can fix: the form stops and says why.
ACCOUNT_REFUSALS = {"deferral_too_overdue", "deferral_limit"}


def deferrals_last_12_months(ctx: AccountContext) -> int:
    since = ctx.now.replace(tzinfo=None) - dt.timedelta(days=365)  # the store keeps naive UTC
    ensure_store()
    with store.db.session_scope() as session:
        return count_since(session, ctx.account_id, OutcomeKind.DEFERRAL, since)


def earliest_base(ctx: AccountContext) -> dt.date:
    """The day a deferral counts from: the due date, or today once it has passed."""
    return max(ctx.account.due_date, ctx.today)


class ValidateDeferralForm(CountingFormValidationAction):
    confirm_slot = "deferral_confirmed"
    entities = {"deferral_date": ("date",)}

    def name(self) -> Text:
        return "validate_deferral_form"

    def start(self, ctx: AccountContext, dispatcher, tracker) -> Changes:
        allowed = deferral(ctx.account.due_date, 1, ctx.today, ctx.policy, deferrals_last_12_months(ctx))
        if isinstance(allowed, Refusal) and allowed.rule in ACCOUNT_REFUSALS:
            return self.refuse(allowed.rule, dispatcher, tracker)
        return {}

    def check_deferral_date(self, value: Any, ctx: AccountContext, dispatcher, tracker) -> Changes:
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


def deferral_wording(ctx: AccountContext, tracker: Tracker) -> dict:
    new_due = dt.date.fromisoformat(tracker.get_slot("deferral_date"))
    return {
        "amount": money(ctx.account.balance, ctx.account.currency, language=ctx.language),
        "date": short_date(new_due, language=ctx.language),
    }


class ActionAskDeferralFormDeferralConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_deferral_form_deferral_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        dispatcher.utter_message(response="utter_deferral_readback", **deferral_wording(ctx, tracker))
        return []


class ActionRecordDeferral(FormSubmitAction):
    form_slots = FORM_SLOTS
    confirm_slot = "deferral_confirmed"
    options_after_refusal = "utter_offer_options_without_deferral"

    def name(self) -> Text:
        return "action_record_deferral"

    def settle(self, ctx: AccountContext, dispatcher, tracker) -> List[EventType]:
        new_due = dt.date.fromisoformat(tracker.get_slot("deferral_date"))
        record(ctx, OutcomeKind.DEFERRAL, {
            "new_due_date": new_due.isoformat(),
            "previous_due_date": ctx.account.due_date.isoformat(),
            "days": (new_due - earliest_base(ctx)).days,
        })
        dispatcher.utter_message(response="utter_deferral_recorded", **deferral_wording(ctx, tracker))
        return []
