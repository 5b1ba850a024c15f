"""A promise to pay: a date within `policy.promise.max_days_ahead`, an amount (the full
balance unless the borrower names one), read back and confirmed.

A date further out is explained once with the alternatives (a plan, more time, a person);
asking for a date that far out again goes to a person.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_context import AccountContext, load_context
from actions.debt import payment_link
from actions.forms import Changes, CountingFormValidationAction, FormSubmitAction
from actions.records import record
from language import parse_amount, parse_date
from language.wording import money, short_date
from lending.money import to_money
from lending.plans import promise_date
from store.models import OutcomeKind

FORM_SLOTS = ("promise_date", "promise_amount", "promise_confirmed")


class ValidatePromiseForm(CountingFormValidationAction):
    confirm_slot = "promise_confirmed"
    entities = {"promise_date": ("date",), "promise_amount": ("amount",)}

    def name(self) -> Text:
        return "validate_promise_form"

    def start(self, ctx: AccountContext, dispatcher, tracker) -> Changes:
        if ctx.account.balance <= 0:
            return self.refuse("nothing_owed", dispatcher, tracker)
        return {}

    def check_promise_date(self, value: Any, ctx: AccountContext, dispatcher, tracker) -> Changes:
        day = parse_date(
            str(value), ctx.timezone, now=ctx.now, date_order=ctx.date_order, language=ctx.language
        )
        if day is None:
            return self.fail("promise_date", ctx, dispatcher, tracker, "utter_unreadable_date")
        refusal = promise_date(day, ctx.today, ctx.policy)
        if refusal is None:
            return {"promise_date": day.isoformat()}
        if refusal.rule == "promise_too_far":
            days = ctx.policy.promise.max_days_ahead
            latest = ctx.today + dt.timedelta(days=days)
            return self.refuse(
                "promise_too_far", dispatcher, tracker, slot="promise_date",
                max_days=days, latest=short_date(latest, language=ctx.language),
            )
        return self.fail("promise_date", ctx, dispatcher, tracker, f"utter_refusal_{refusal.rule}")

    def check_promise_amount(self, value: Any, ctx: AccountContext, dispatcher, tracker) -> Changes:
        amount = parse_amount(str(value), language=ctx.language)
        if amount is None:
            return self.fail("promise_amount", ctx, dispatcher, tracker, "utter_unreadable_amount")
        if amount <= 0:
            return self.fail("promise_amount", ctx, dispatcher, tracker, "utter_refusal_amount_not_positive")
        balance = ctx.account.balance
        if amount > balance:
            return self.fail(
                "promise_amount", ctx, dispatcher, tracker, "utter_refusal_amount_above_balance",
                balance=money(balance, ctx.account.currency, language=ctx.language),
            )
        return {"promise_amount": str(to_money(amount))}

    def finish(self, ctx: AccountContext, dispatcher, tracker, changed, answered) -> Changes:
        # Without an amount the promise is for the whole balance; an amount we could not
        # accept is asked for instead.
        if (
            tracker.get_slot("promise_date")
            and tracker.get_slot("promise_amount") is None
            and "promise_amount" not in answered
        ):
            return {"promise_amount": str(ctx.account.balance)}
        return {}


class ActionAskPromiseFormPromiseConfirmed(Action):
    """The read-back: "You'll pay $453.50 on Fri, Nov 27. Is that right?"."""

    def name(self) -> Text:
        return "action_ask_promise_form_promise_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        dispatcher.utter_message(response="utter_promise_readback", **promise_wording(ctx, tracker))
        return []


def promise_wording(ctx: AccountContext, tracker: Tracker) -> dict:
    amount = Decimal(tracker.get_slot("promise_amount"))
    day = dt.date.fromisoformat(tracker.get_slot("promise_date"))
    return {
        "amount": money(amount, ctx.account.currency, language=ctx.language),
        "date": short_date(day, language=ctx.language),
    }


class ActionRecordPromise(FormSubmitAction):
    form_slots = FORM_SLOTS
    confirm_slot = "promise_confirmed"

    def name(self) -> Text:
        return "action_record_promise"

    def settle(self, ctx: AccountContext, dispatcher, tracker) -> List[EventType]:
        record(ctx, OutcomeKind.PROMISE, {
            "date": tracker.get_slot("promise_date"),
            "amount": tracker.get_slot("promise_amount"),
            "currency": ctx.account.currency,
        })
        dispatcher.utter_message(
            response="utter_promise_recorded", link=payment_link(ctx), **promise_wording(ctx, tracker)
        )
        return []
