"""How and whether to contact this phone: opting out, calling back later, wrong numbers."""
from __future__ import annotations

from typing import Any, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import safety
from actions.account_context import AccountContext, load_context
from actions.forms import Changes, CountingFormValidationAction
from actions.records import record
from actions.slots import cleared, end_active_loop
from language import parse_date
from store.models import OutcomeKind


class ActionRecordOptOut(Action):
    """"Stop texting me" in plain words: the channel(s) named stop at once, with one
    confirmation, and the consent ledger records the revocation ("plain_language");
    whatever else the message said that must be honoured is too ("..., I dispute this")."""

    def name(self) -> Text:
        return "action_record_opt_out"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        safety.opt_out(ctx, dispatcher, (tracker.latest_message or {}).get("text") or "")
        return safety.honour_also(ctx, dispatcher, tracker, {"opt_out"}) + end_active_loop(tracker)


class ActionRecordWrongNumber(Action):
    """The phone does not reach the borrower: suppressed for good, and the person who
    answered learns nothing about the account. "Wrong person, stop texting me" also
    records the opt-out."""

    def name(self) -> Text:
        return "action_record_wrong_number"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        events = safety.wrong_number(ctx, dispatcher)
        return events + safety.honour_also(ctx, dispatcher, tracker, {"wrong_person"}) + end_active_loop(tracker)


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
