"""How and whether to contact this phone: opting out, calling back later, wrong numbers."""
from __future__ import annotations

from typing import Any, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

import store.db
from actions.account_context import AccountContext, ensure_store, load_context
from actions.forms import Changes, CountingFormValidationAction
from actions.records import record, set_account_status
from actions.slots import IDENTITY_STATUS, cleared, end_active_loop
from bot.language import parse_date
from store.models import AccountStatus, OutcomeKind
from store.outcomes import record_outcome, set_opt_out


class ActionRecordOptOut(Action):
    """"Stop texting me" in plain words: this channel stops at once, with one confirmation."""

    def name(self) -> Text:
        return "action_record_opt_out"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        lender = ctx.policy.lender
        if not (ctx.phone and ctx.channel):  # no gateway conversation: nothing to opt out
            dispatcher.utter_message(
                response="utter_call_support", lender_name=lender.name, support_phone=lender.support_phone
            )
            return end_active_loop(tracker)
        ensure_store()
        with store.db.session_scope() as session:
            set_opt_out(session, ctx.phone, ctx.channel, True)
            record_outcome(
                session, OutcomeKind.OPT_OUT, account_id=ctx.account_id,
                conversation_id=ctx.conversation_id, phone=ctx.phone, details={"channel": ctx.channel},
            )
        dispatcher.utter_message(response="utter_opted_out", lender_name=lender.name)
        return end_active_loop(tracker)


class ActionRecordWrongNumber(Action):
    """The phone does not reach the borrower: suppressed for good, and the person who
    answered learns nothing about the account."""

    def name(self) -> Text:
        return "action_record_wrong_number"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        set_account_status(ctx, AccountStatus.WRONG_NUMBER, OutcomeKind.WRONG_NUMBER)
        dispatcher.utter_message(response="utter_wrong_number")
        return (
            [SlotSet(IDENTITY_STATUS, "locked")]
            + cleared("birth_date", "id_last4")
            + end_active_loop(tracker)
        )


class ValidateCallbackForm(CountingFormValidationAction):
    needs_verification = False  # asking to be contacted later discloses nothing
    entities = {"callback_time": ("date",)}

    def name(self) -> Text:
        return "validate_callback_form"

    def check_callback_time(self, value: Any, ctx: AccountContext, dispatcher, tracker) -> Changes:
        said = str(value or "").strip()
        if not said:
            return self.fail("callback_time", ctx, dispatcher, tracker, "utter_unreadable_callback_time")
        return {"callback_time": said}


class ActionRecordCallback(Action):
    """Records when the borrower asked to be contacted, in their words and as a day when
    one can be read from them."""

    def name(self) -> Text:
        return "action_record_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        said = tracker.get_slot("callback_time")
        if said:
            day = parse_date(
                said, ctx.timezone, now=ctx.now, date_order=ctx.date_order, language=ctx.language
            )
            record(ctx, OutcomeKind.CALLBACK, {"said": said, "date": day.isoformat() if day else None})
            dispatcher.utter_message(response="utter_callback_noted", when=said)
        return cleared("callback_time")
