"""Instalment plans: a number of months inside the policy, the schedule from
lending.plans.instalment_plan read back instalment by instalment, and a yes before the plan
is recorded with exactly the schedule that was read back. A borrower whose plan is running
hears where they stand instead of a second plan, unless the policy allows more than one."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, List, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import store.db
from actions.account_context import AccountContext, ensure_store, load_context
from actions.debt import payment_link
from actions.forms import Changes, CountingFormValidationAction, FormSubmitAction, StopReason
from actions.records import record
from actions.slots import REFUSED_SLOT, STOP_SLOT
from actions.standing import standing_of, where_they_stand
from language import parse_months
from language.wording import (
    join_words,
    long_date,
    money,
    month_count,
    month_day,
    numbered_choices,
    short_date,
)
from lending.plans import Refusal, instalment_plan, max_months_for
from store import arrangements
from store.models import OutcomeKind

FORM_SLOTS = ("plan_months", "plan_offer", "plan_confirmed")
# The plan lengths a caller can pick with one key (voice), when the policy allows them;
# others in the allowed range fill in when it does not.
KEYPAD_MONTHS = (3, 6, 12)
KEYPAD_CHOICES = 3


def month_range(ctx: AccountContext) -> Tuple[int, int]:
    """The fewest and most months a plan may run for this balance."""
    return ctx.policy.instalments.min_months, max_months_for(ctx.account.balance, ctx.policy)


def keypad_months(fewest: int, most: int) -> List[int]:
    """Up to KEYPAD_CHOICES plan lengths inside [fewest, most], shortest first: the
    preferred KEYPAD_MONTHS (brought inside the range), then the shortest others."""
    chosen: List[int] = []
    for months in [min(max(m, fewest), most) for m in KEYPAD_MONTHS] + list(range(fewest, most + 1)):
        if months not in chosen and len(chosen) < KEYPAD_CHOICES:
            chosen.append(months)
    return sorted(chosen)


def months_question(fewest: int, most: int, *, language: str = "en") -> dict:
    """The values of utter_ask_instalment_form_plan_months: the range, and for the voice
    variant the keypad choices ("press 1 for 3 months, ..."; "按1选3个月，...") and what each
    key sends to the bot: the months in the account's language, read like a spoken answer."""
    lengths = [month_count(m, language=language) for m in keypad_months(fewest, most)]
    keys = {f"key_{n}": "" for n in range(1, KEYPAD_CHOICES + 1)}
    keys.update({f"key_{n}": length for n, length in enumerate(lengths, start=1)})
    return {
        "min_months": fewest, "max_months": most,
        "choices": numbered_choices(lengths, language=language), **keys,
    }


def schedule_wording(offer: dict, currency: str, *, language: str = "en") -> Tuple[str, dict]:
    """The read-back response and its values: '3 monthly payments of $151.16 on Dec 1,
    Jan 1 and Feb 1; the last one is $151.18' (or, said aloud, from the first date to the
    last); in Chinese '151.16元', '12月1日、1月1日和2月1日'."""
    instalments = offer["instalments"]
    regular, last = Decimal(instalments[0]["amount"]), Decimal(instalments[-1]["amount"])
    dues = [dt.date.fromisoformat(i["due"]) for i in instalments]
    values = {
        "count": len(instalments),
        "amount": money(regular, currency, language=language),
        "last_amount": money(last, currency, language=language),
        "dates": join_words([month_day(due, language=language) for due in dues], language=language),
        "first_date": long_date(dues[0], language=language),
        "last_date": long_date(dues[-1], language=language),
    }
    down_payment = Decimal(offer["down_payment"])
    if down_payment > 0:
        down = money(down_payment, currency, language=language)
        return "utter_plan_readback_with_down_payment", {**values, "down_payment": down}
    if last != regular:
        return "utter_plan_readback_uneven", values
    return "utter_plan_readback", values


class ValidateInstalmentForm(CountingFormValidationAction):
    confirm_slot = "plan_confirmed"
    entities = {"plan_months": ("months",)}

    def name(self) -> Text:
        return "validate_instalment_form"

    def start(self, ctx: AccountContext, dispatcher, tracker) -> Changes:
        changes: Changes = {"plan_offer": None}
        if ctx.account.balance <= 0:
            return {**changes, **self.refuse("nothing_owed", dispatcher, tracker)}
        ensure_store()
        with store.db.session_scope() as session:
            plans = arrangements.running_plans(session, ctx.account_id)
        if plans >= ctx.policy.instalments.max_active_plans:
            refusal = self.refuse("plan_limit", dispatcher, tracker)
            told = where_they_stand(ctx, standing_of(ctx))
            if refusal.get(STOP_SLOT) == StopReason.REFUSED and told is not None:
                dispatcher.utter_message(response=told.response, **told.values)
            return {**changes, **refusal}
        fewest, most = month_range(ctx)
        if most < fewest:
            minimum = money(ctx.policy.instalments.min_instalment, ctx.account.currency, language=ctx.language)
            return {**changes, **self.refuse("plan_unavailable", dispatcher, tracker, min_instalment=minimum)}
        return changes

    def check_plan_months(self, value: Any, ctx: AccountContext, dispatcher, tracker) -> Changes:
        fewest, most = month_range(ctx)
        months = parse_months(str(value), language=ctx.language)
        if months is None:
            return self.fail(
                "plan_months", ctx, dispatcher, tracker, "utter_unreadable_months",
                min_months=fewest, max_months=most,
            )
        ensure_store()
        with store.db.session_scope() as session:
            plans = arrangements.running_plans(session, ctx.account_id)
        offer = instalment_plan(ctx.account.balance, months, ctx.today, ctx.policy, plans)
        if isinstance(offer, Refusal):
            if offer.rule in ("months_out_of_range", "instalment_below_minimum"):
                return self.fail(
                    "plan_months", ctx, dispatcher, tracker, f"utter_refusal_{offer.rule}",
                    min_months=fewest, max_months=most,
                    min_instalment=money(
                        ctx.policy.instalments.min_instalment, ctx.account.currency, language=ctx.language
                    ),
                )
            return self.refuse(offer.rule, dispatcher, tracker)
        if months > most:  # cannot happen while max_months_for agrees with instalment_plan
            return self.fail(
                "plan_months", ctx, dispatcher, tracker, "utter_refusal_months_out_of_range",
                min_months=fewest, max_months=most,
            )
        return {"plan_months": str(months), "plan_offer": offer.as_dict()}


class ActionAskInstalmentFormPlanMonths(Action):
    def name(self) -> Text:
        return "action_ask_instalment_form_plan_months"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        fewest, most = month_range(ctx)
        dispatcher.utter_message(
            response="utter_ask_instalment_form_plan_months",
            **months_question(fewest, most, language=ctx.language),
        )
        return []


class ActionAskInstalmentFormPlanConfirmed(Action):
    """The read-back of the schedule computed when the months were accepted."""

    def name(self) -> Text:
        return "action_ask_instalment_form_plan_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        response, values = schedule_wording(
            tracker.get_slot("plan_offer"), ctx.account.currency, language=ctx.language
        )
        dispatcher.utter_message(response=response, **values)
        return []


class ActionRecordPlan(FormSubmitAction):
    form_slots = FORM_SLOTS
    confirm_slot = "plan_confirmed"
    options_after_refusal = "utter_offer_options_without_plan"

    def name(self) -> Text:
        return "action_record_plan"

    def refusal_options(self, tracker: Tracker) -> str:
        if "plan_limit" in (tracker.get_slot(REFUSED_SLOT) or []):
            return "utter_offer_options_with_plan"  # what the running plan allows
        return self.options_after_refusal

    def settle(self, ctx: AccountContext, dispatcher, tracker) -> List[EventType]:
        offer = tracker.get_slot("plan_offer")
        record(ctx, OutcomeKind.PLAN, {**offer, "currency": ctx.account.currency})
        first = offer["instalments"][0]
        dispatcher.utter_message(
            response="utter_plan_recorded", link=payment_link(ctx),
            amount=money(Decimal(first["amount"]), ctx.account.currency, language=ctx.language),
            date=short_date(dt.date.fromisoformat(first["due"]), language=ctx.language),
        )
        return []
