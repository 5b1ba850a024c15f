"""What is overdue and what the borrower says about it: the explanation, the payment link,
disputes, "already paid", hardship, and attorney or bankruptcy.

Every action that states a fact about the debt checks that the borrower is verified first,
whatever the dialogue model predicted.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import safety
from actions.account_context import AccountContext, load_context
from actions.records import record, set_account_status
from actions.slots import is_verified
from bot.language.wording import day_count, list_of_methods, long_date, money
from store.models import AccountStatus, OutcomeKind


def explain_debt(ctx: AccountContext, dispatcher: CollectingDispatcher, with_statement: bool = False) -> None:
    """The jurisdiction's statement (when asked for) and the itemised amount overdue."""
    account = ctx.account
    if with_statement:
        statement = ctx.profile.required_statement(ctx.language)
        if statement:
            dispatcher.utter_message(response="utter_required_statement", statement=statement)
    language = ctx.language
    values = {
        "total": money(account.balance, account.currency, language=language),
        "principal": money(account.principal, account.currency, language=language),
        "interest": money(account.interest, account.currency, language=language),
        "fees": money(account.fees, account.currency, language=language),
        "due_date": long_date(account.due_date, language=language),
    }
    days = account.days_overdue(ctx.today)
    if days > 0:
        dispatcher.utter_message(
            response="utter_explain_debt", days_overdue=day_count(days, language=language), **values
        )
    else:
        dispatcher.utter_message(response="utter_explain_debt_not_yet_due", **values)


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
    def name(self) -> Text:
        return "action_explain_debt"

    def run_verified(self, ctx, dispatcher, tracker) -> List[EventType]:
        explain_debt(ctx, dispatcher)
        if not tracker.active_loop.get("name"):  # inside a form, its question follows instead
            dispatcher.utter_message(response="utter_offer_options")
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
    """Job loss, illness, bereavement: a softer path, flagged as vulnerable for a person."""

    def name(self) -> Text:
        return "action_record_hardship"

    def run_verified(self, ctx, dispatcher, tracker) -> List[EventType]:
        safety.hardship(ctx, tracker, dispatcher)
        return safety.honour_also(ctx, dispatcher, tracker, {"hardship", "request_human"})


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
