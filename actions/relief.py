"""Hardship relief (lending/relief.py; the policy's `hardship:` section): a verified borrower
who says they are in hardship hears the relief the policy offers them in one message (smaller
instalments for a few months, a fee waiver when there are fees, a break from contact), picks
one, hears it read back and confirms it like a plan; it is then recorded (OutcomeKind.RELIEF,
whose arrangement the store opens).

The hardship itself is recorded first (action_record_hardship flags the account vulnerable).
Where the policy sends hardship to a person (`hardship.handoff`), the conversation goes to one
once the relief is agreed or declined, and at once when the policy offers none; a borrower who
asks for a person gets one at any point (data/rules/handoff.yml).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_context import AccountContext, load_context
from actions.forms import Changes, CountingFormValidationAction, StopReason
from actions.handoff import hand_over, handed_over
from actions.records import record
from actions.session import variant_text
from actions.slots import IDENTITY_STATUS, STOP_SLOT, cleared, is_verified
from language.relief import declines, parse_relief_choice
from language.wording import join_words, long_date, money, month_day, reduction, short_date
from lending import relief
from lending.languages import is_chinese
from lending.plans import Refusal
from store.models import OutcomeKind

FORM_SLOTS = ("relief_choice", "relief_confirmed", "relief_offers")
OFFERS_SLOT = "relief_offers"  # lending.relief details of each option read out, in order
# The length of the reduced plan offered, brought inside the policy's plan lengths.
REDUCED_PLAN_MONTHS = 3
# Why the form ended early, beside actions.forms.StopReason.
NONE_OFFERED = "none_offered"
DECLINED = "declined"
HANDED_OVER = "handed_over"

OPTIONS = {
    relief.REDUCED_PLAN: "utter_relief_option_reduced_plan",
    relief.FEE_WAIVER: "utter_relief_option_fee_waiver",
    relief.BREATHING_SPACE: "utter_relief_option_breathing_space",
}
READ_BACKS = {
    relief.REDUCED_PLAN: "utter_relief_readback_reduced_plan",
    relief.FEE_WAIVER: "utter_relief_readback_fee_waiver",
    relief.BREATHING_SPACE: "utter_relief_readback_breathing_space",
}
RECORDED = {
    relief.REDUCED_PLAN: "utter_relief_recorded_reduced_plan",
    relief.FEE_WAIVER: "utter_relief_recorded_fee_waiver",
    relief.BREATHING_SPACE: "utter_relief_recorded_breathing_space",
}
MAX_OPTIONS = len(OPTIONS)


def offers(ctx: AccountContext) -> List[dict]:
    """The relief the policy offers this account (lending.relief details), in the order
    lending.relief.options lists them; one the account does not qualify for is left out."""
    rules = ctx.policy.instalments
    found = []
    for kind in relief.options(ctx.policy, ctx.account.fees):
        if kind == relief.REDUCED_PLAN:
            months = min(max(REDUCED_PLAN_MONTHS, rules.min_months), rules.max_months)
            details = relief.reduced_plan(ctx.account.balance, months, ctx.today, ctx.policy)
        elif kind == relief.FEE_WAIVER:
            details = relief.fee_waiver(ctx.account.fees, ctx.policy)
        else:
            details = relief.breathing_space(ctx.today, ctx.policy)
        if not isinstance(details, Refusal):
            found.append(details)
    return found


def relief_wording(ctx: AccountContext, details: dict) -> Dict[str, Any]:
    """The values of an option, its read-back and its confirmation."""
    language, currency = ctx.language, ctx.account.currency
    kind = details["relief"]
    if kind == relief.REDUCED_PLAN:
        instalments = details["instalments"]
        dues = [dt.date.fromisoformat(i["due"]) for i in instalments]
        return {
            "count": len(instalments),
            "amount": money(Decimal(instalments[0]["amount"]), currency, language=language),
            "reduction": reduction(int(details["percent"]), language=language),
            "dates": join_words([month_day(due, language=language) for due in dues], language=language),
            "first_date": long_date(dues[0], language=language),
            "last_date": long_date(dues[-1], language=language),
            "date": short_date(dues[0], language=language),
        }
    if kind == relief.FEE_WAIVER:
        fees = Decimal(details["amount"])
        return {"fees": money(fees, currency, language=language),
                "balance": money(ctx.account.balance - fees, currency, language=language)}
    return {"days": details["days"],
            "until": short_date(dt.date.fromisoformat(details["until"]), language=language)}


def chosen(tracker: Tracker) -> dict:
    kind = tracker.get_slot("relief_choice")
    return next(o for o in tracker.get_slot(OFFERS_SLOT) or [] if o["relief"] == kind)


class ValidateReliefForm(CountingFormValidationAction):
    confirm_slot = "relief_confirmed"

    def name(self) -> Text:
        return "validate_relief_form"

    def start(self, ctx: AccountContext, dispatcher, tracker) -> Changes:
        if handed_over(ctx):  # "..., I need to talk to someone": a person has it already
            return self.stop(HANDED_OVER)
        offered = offers(ctx)
        if not offered:
            return {OFFERS_SLOT: None, **self.stop(NONE_OFFERED)}
        return {OFFERS_SLOT: offered}

    def check_relief_choice(self, value: Any, ctx: AccountContext, dispatcher, tracker) -> Changes:
        kinds = [o["relief"] for o in tracker.get_slot(OFFERS_SLOT) or []]
        said = str(value or "")
        kind = parse_relief_choice(said, kinds, language=ctx.language)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if kind is None and intent == "affirm" and len(kinds) == 1:
            kind = kinds[0]
        if kind is None and (intent == "deny" or declines(said, language=ctx.language)):
            return {"relief_choice": None, **self.stop(DECLINED)}
        if kind is None:
            return self.fail("relief_choice", ctx, dispatcher, tracker, "utter_unreadable_relief_choice",
                             count=len(kinds))
        return {"relief_choice": kind}


class ActionAskReliefFormReliefChoice(Action):
    """The options in one message: each option's words (domain.yml, in the borrower's language
    and for their channel) numbered in the order they are offered."""

    def name(self) -> Text:
        return "action_ask_relief_form_relief_choice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        offered = tracker.get_slot(OFFERS_SLOT) or []
        slots = {"language": tracker.get_slot("language"), "channel": tracker.get_slot("channel")}
        parts = [
            variant_text(domain, OPTIONS[details["relief"]], slots).format(
                number=number, **relief_wording(ctx, details))
            for number, details in enumerate(offered, start=1)
        ]
        keys = {f"key_{n}": str(n) if n <= len(offered) else "" for n in range(1, MAX_OPTIONS + 1)}
        dispatcher.utter_message(
            response="utter_ask_relief_form_relief_choice",
            choices=("" if is_chinese(ctx.language) else " ").join(parts), **keys,
        )
        return []


class ActionAskReliefFormReliefConfirmed(Action):
    """The read-back: "That's 3 monthly payments of $75.58, half the usual, on Dec 1, Jan 1
    and Feb 1, then we review. Is that right?"."""

    def name(self) -> Text:
        return "action_ask_relief_form_relief_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        details = chosen(tracker)
        dispatcher.utter_message(response=READ_BACKS[details["relief"]], **relief_wording(ctx, details))
        return []


class ActionRecordRelief(Action):
    """Runs when relief_form ends: records the relief confirmed, then hands the conversation
    to a person where the policy says hardship goes to one (else the options follow)."""

    def name(self) -> Text:
        return "action_record_relief"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        reason = tracker.get_slot(STOP_SLOT)
        events = cleared(*FORM_SLOTS)
        if handed_over(ctx) or tracker.get_slot(IDENTITY_STATUS) == "locked":
            return events  # a person has it, or the words were a stranger's
        if reason in (NONE_OFFERED, StopReason.NO_ACCOUNT) or not (is_verified(tracker) and ctx.reachable):
            return events + hand_over(ctx, "hardship", dispatcher, tracker)
        agreed = reason is None and tracker.get_slot("relief_confirmed") is True
        if agreed:
            self.settle(ctx, dispatcher, tracker)
        else:  # declined, a no to the read-back, or no answer we could read
            dispatcher.utter_message(response="utter_nothing_agreed")
        if ctx.policy.hardship.handoff:
            return events + hand_over(ctx, "hardship", dispatcher, tracker)
        if not agreed:
            dispatcher.utter_message(response="utter_offer_options")
        return events

    @staticmethod
    def settle(ctx: AccountContext, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        details = chosen(tracker)
        record(ctx, OutcomeKind.RELIEF, {**details, "currency": ctx.account.currency})
        dispatcher.utter_message(response=RECORDED[details["relief"]], link=ctx.policy.payment_link(ctx.account_id),
                                 **relief_wording(ctx, details))
