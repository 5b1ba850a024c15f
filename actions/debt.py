"""What is overdue and what the borrower says about it: the explanation (or, once something
was agreed, where they stand: actions/standing.py), the next payment, the payment link,
disputes, "already paid", hardship, and attorney or bankruptcy.

Every action that states a fact about the debt checks that the borrower is verified first,
whatever the dialogue model predicted.
"""
from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import relief, safety
from actions.account_context import AccountContext, load_context
from actions.records import record, set_account_status
from actions.slots import end_active_loop, is_verified
from actions.standing import Told, options_after, standing_of, where_they_stand
from language.wording import day_count, list_of_methods, long_date, money
from store.models import AccountStatus, OutcomeKind


def required_statement(ctx: AccountContext, dispatcher: CollectingDispatcher) -> None:
    """The jurisdiction's statement, where it has one."""
    statement = ctx.profile.required_statement(ctx.language)
    if statement:
        dispatcher.utter_message(response="utter_required_statement", statement=statement)


def explain_debt(ctx: AccountContext, dispatcher: CollectingDispatcher, due_date: Optional[dt.date] = None) -> None:
    """The itemised amount overdue, counted from `due_date` (the account's, unless a deferral
    moved it: actions/standing.py)."""
    account = ctx.account
    due_date = due_date or account.due_date
    language = ctx.language
    values = {
        "total": money(account.balance, account.currency, language=language),
        "principal": money(account.principal, account.currency, language=language),
        "interest": money(account.interest, account.currency, language=language),
        "fees": money(account.fees, account.currency, language=language),
        "due_date": long_date(due_date, language=language),
    }
    days = max(0, (ctx.today - due_date).days)
    if days > 0:
        dispatcher.utter_message(
            response="utter_explain_debt", days_overdue=day_count(days, language=language), **values
        )
    else:
        dispatcher.utter_message(response="utter_explain_debt_not_yet_due", **values)


def tell_standing(
    ctx: AccountContext, dispatcher: CollectingDispatcher, *, with_balance: bool = False
) -> Optional[Told]:
    """Where the borrower stands when they have an arrangement, else the overdue explanation
    (from the due date a deferral may have moved). Returns what was told of an arrangement."""
    where = standing_of(ctx)
    told = where_they_stand(ctx, where)
    if told is None:
        explain_debt(ctx, dispatcher, where.due_date)
        return None
    if with_balance and not told.says_balance:
        dispatcher.utter_message(
            response="utter_balance", total=money(ctx.account.balance, ctx.account.currency, language=ctx.language)
        )
    dispatcher.utter_message(response=told.response, **told.values)
    return told


def payment_link(ctx: AccountContext) -> str:
    return ctx.policy.payment_link(ctx.account_id)


class VerifiedAction(Action, ABC):
    """An action that only runs for a verified borrower; anyone else hears that it waits
    for verification and nothing is recorded."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        if not is_verified(tracker) or not ctx.reachable:
            dispatcher.utter_message(response="utter_verify_first")
            return []
        return self.run_verified(ctx, dispatcher, tracker)

    @abstractmethod
    def run_verified(
        self, ctx: AccountContext, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> List[EventType]:
        """What the action does for a verified borrower."""


class ActionExplainDebt(VerifiedAction):
    """"How much do I owe": what is owed in all, and where the borrower stands."""

    def name(self) -> Text:
        return "action_explain_debt"

    def run_verified(self, ctx, dispatcher, tracker) -> List[EventType]:
        told = tell_standing(ctx, dispatcher, with_balance=True)
        if not tracker.active_loop.get("name"):  # inside a form, its question follows instead
            dispatcher.utter_message(response=options_after(told))
        return []


class ActionTellNextPayment(VerifiedAction):
    """"When is my next payment": the arrangement's next payment, or the due date and balance."""

    def name(self) -> Text:
        return "action_tell_next_payment"

    def run_verified(self, ctx, dispatcher, tracker) -> List[EventType]:
        told = tell_standing(ctx, dispatcher)
        if not tracker.active_loop.get("name"):
            dispatcher.utter_message(response=options_after(told))
        return []


class ActionSendPaymentLink(VerifiedAction):
    def name(self) -> Text:
        return "action_send_payment_link"

    def run_verified(self, ctx, dispatcher, tracker) -> List[EventType]:
        link = payment_link(ctx)
        methods = [m.replace("{account_ref}", ctx.account_id)
                   for m in ctx.policy.payments.methods_for(ctx.language)]
        dispatcher.utter_message(response="utter_payment_link", link=link,
                                 methods=list_of_methods(methods, language=ctx.language))
        record(ctx, OutcomeKind.PAYMENT_LINK, {"link": link})
        return []


class ActionRecordDispute(VerifiedAction):
    """"Not my debt", suspected fraud: collection pauses until a person resolves it."""

    def name(self) -> Text:
        return "action_record_dispute"

    def run_verified(self, ctx, dispatcher, tracker) -> List[EventType]:
        safety.dispute(ctx, tracker, dispatcher)
        return safety.honour_also(ctx, dispatcher, tracker, {"dispute_debt", "request_human"})


class ActionRecordAlreadyPaid(VerifiedAction):
    """A payment we have not seen is a dispute until a person checks it."""

    def name(self) -> Text:
        return "action_record_already_paid"

    def run_verified(self, ctx, dispatcher, tracker) -> List[EventType]:
        set_account_status(ctx, AccountStatus.DISPUTED, OutcomeKind.ALREADY_PAID)
        dispatcher.utter_message(response="utter_already_paid_noted")
        return []


class ActionRecordHardship(VerifiedAction):
    """Job loss, illness, bereavement: a softer path, flagged as vulnerable. The relief the
    policy offers follows (relief_form, actions/relief.py); with none, a person takes over
    (action_record_relief). Whatever form was running ends: the hardship comes first."""

    def name(self) -> Text:
        return "action_record_hardship"

    def run_verified(self, ctx, dispatcher, tracker) -> List[EventType]:
        offered = bool(relief.offers(ctx))
        safety.hardship(ctx, tracker, dispatcher,
                        response="utter_hardship_heard" if offered else "utter_hardship_noted")
        # A person asked for beside it is one at once; the relief form then says nothing.
        return safety.honour_also(ctx, dispatcher, tracker, {"hardship"}) + end_active_loop(tracker)


class ActionRecordLegalProtection(Action):
    """An attorney or bankruptcy: stop and hand over. Unlike the others this runs before
    verification too: pausing collection on the word of whoever answers is the safe side,
    and a person checks before anything else happens."""

    def name(self) -> Text:
        return "action_record_legal_protection"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        safety.legal_protection(ctx, tracker, dispatcher)
        # "My lawyer handles this, stop texting": the opt-out too (a person takes over next).
        return safety.honour_also(ctx, dispatcher, tracker, {"legal_protection", "request_human"})
