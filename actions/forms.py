"""The base every form validation shares: read an answer, explain what was wrong with it
before the form asks again, count the answers it could not accept, and stop the form when
the count or the lender's policy says so.

A form's validation action (`validate_<form>`) subclasses CountingFormValidationAction and
defines one `check_<slot>(value, ctx, dispatcher, tracker) -> dict` per slot it reads. A
check returns the slot values to set: the parsed value on success, or what `fail()` or
`refuse()` return. Why a form stopped early is left in `form_stop_reason` for the action
that runs when the form ends (the rules' "submit" step), which decides what to say.

Three guarantees the dialogue relies on:
- When a form starts, values left over from an earlier attempt are dropped: only what the
  borrower says in the message that started the form (its entities) is kept.
- A read-back is confirmed only by a yes or no given as the answer to that read-back;
  changing any value resets the confirmation, so the new values are read back again.
- Asking again for something the policy already refused (`refused_rules`) stops the form
  with `outside_policy`, which hands the conversation to a person.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Dict, List, Optional, Set, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import safety
from actions.account_context import AccountContext, load_context
from actions.handoff import hand_over
from actions.slots import (
    FAILURES_SLOT,
    REFUSED_SLOT,
    REQUESTED_SLOT,
    STOP_SLOT,
    cleared,
    is_verified,
)

Changes = Dict[str, Any]


class StopReason:
    NO_ACCOUNT = "no_account"  # nothing to verify against: the bot can never verify here
    TOO_MANY_FAILURES = "too_many_failures"
    REFUSED = "refused"  # the policy does not allow this request at all; explained
    OUTSIDE_POLICY = "outside_policy"  # asked again after a refusal: a person decides


class CountingFormValidationAction(FormValidationAction, ABC):
    needs_verification: ClassVar[bool] = True  # only a verified borrower may fill this form
    failures_slot: ClassVar[str] = FAILURES_SLOT
    reset_failures_on_start: ClassVar[bool] = True
    confirm_slot: ClassVar[Optional[str]] = None
    # slot -> the entities that can fill it in the message that starts the form
    entities: ClassVar[Dict[str, Tuple[str, ...]]] = {}

    @abstractmethod
    def name(self) -> Text:
        """validate_<form>"""

    def max_failures(self, ctx: AccountContext) -> int:
        return 3

    def start(self, ctx: AccountContext, dispatcher: CollectingDispatcher, tracker: Tracker) -> Changes:
        """Runs when the form starts, before any answer is checked; may stop the form."""
        return {}

    def finish(
        self, ctx: AccountContext, dispatcher: CollectingDispatcher, tracker: Tracker,
        changed: Set[str], answered: Set[str],
    ) -> Changes:
        """Runs after the answers in this message were checked (cross-checks, defaults):
        `answered` are the slots this message tried to fill, `changed` those accepted."""
        return {}

    # -- helpers for check_<slot> -----------------------------------------------------------

    def fail(
        self, slot: str, ctx: AccountContext, dispatcher: CollectingDispatcher, tracker: Tracker,
        response: str, **values: Any,
    ) -> Changes:
        """Explains what was needed; the form asks again unless this was one failure too many."""
        dispatcher.utter_message(response=response, **values)
        count = int(tracker.get_slot(self.failures_slot) or 0) + 1
        changes: Changes = {slot: None, self.failures_slot: count}
        if count >= self.max_failures(ctx):
            changes[STOP_SLOT] = StopReason.TOO_MANY_FAILURES
        return changes

    @staticmethod
    def refuse(
        rule: str, dispatcher: CollectingDispatcher, tracker: Tracker,
        slot: Optional[str] = None, **values: Any,
    ) -> Changes:
        """Explains a policy refusal (response `utter_refusal_<rule>`). With a slot, the form
        asks for it again; without one, the form stops. The same refusal a second time stops
        the form as outside the policy instead of explaining it again."""
        refused: List[str] = list(tracker.get_slot(REFUSED_SLOT) or [])
        changes: Changes = {slot: None} if slot else {}
        if rule in refused:
            return {**changes, STOP_SLOT: StopReason.OUTSIDE_POLICY}
        dispatcher.utter_message(response=f"utter_refusal_{rule}", **values)
        changes[REFUSED_SLOT] = refused + [rule]
        if slot is None:
            changes[STOP_SLOT] = StopReason.REFUSED
        return changes

    @staticmethod
    def stop(reason: str) -> Changes:
        return {STOP_SLOT: reason}

    # -- the rasa_sdk hooks -----------------------------------------------------------------

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        # Nothing left to ask once the form was stopped: Rasa then ends it.
        return [] if tracker.get_slot(STOP_SLOT) else domain_slots

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        form_slots = self.domain_slots(domain)
        candidates = {k: v for k, v in tracker.slots_to_validate().items() if k in form_slots}
        answered = set(candidates)
        requested = tracker.get_slot(REQUESTED_SLOT)
        before = dict(tracker.slots)
        updates: Changes = {}

        def apply(changes: Changes) -> None:
            updates.update(changes)
            tracker.slots.update(changes)  # later checks see earlier results

        if requested not in form_slots:  # the form is starting
            apply(self._start_fresh(form_slots, candidates, tracker))
            # "I lost my job, can I pay later": the request starts this form, the hardship
            # said beside it is recorded too (actions/safety.py).
            if "hardship" in safety.said(tracker) and not self._intent_is(tracker, "hardship"):
                safety.hardship(ctx, tracker, dispatcher, response="utter_hardship_heard")
            if self.needs_verification and not (is_verified(tracker) and ctx.reachable):
                apply(self.stop(StopReason.NO_ACCOUNT))
            else:
                apply(self.start(ctx, dispatcher, tracker))
        changed: Set[str] = set()
        for slot in form_slots:
            if tracker.get_slot(STOP_SLOT):
                break
            if slot not in candidates or slot == self.confirm_slot:
                continue
            result = getattr(self, f"check_{slot}")(candidates[slot], ctx, dispatcher, tracker)
            apply(result)
            if result.get(slot) is not None:
                changed.add(slot)
        if not tracker.get_slot(STOP_SLOT):
            apply(self.finish(ctx, dispatcher, tracker, changed, answered))
        if self.confirm_slot:
            confirmed_now = requested == self.confirm_slot and self.confirm_slot in candidates
            if changed or not confirmed_now:
                apply({self.confirm_slot: None})
        # Only what this message answered or changed: a message that answers nothing must
        # return no slots, so that Rasa hands it to the rules (a question, "call me later").
        return [
            SlotSet(name, value) for name, value in updates.items()
            if name in answered or before.get(name) != value
        ]

    @staticmethod
    def _intent_is(tracker: Tracker, intent: str) -> bool:
        return (tracker.latest_message.get("intent") or {}).get("name") == intent

    def _start_fresh(self, form_slots: List[str], candidates: Dict[str, Any], tracker: Tracker) -> Changes:
        """Drops values from an earlier attempt; keeps what this message's entities say."""
        said_now = {entity.get("entity") for entity in tracker.latest_message.get("entities", [])}
        changes: Changes = {STOP_SLOT: None}
        if self.reset_failures_on_start:
            changes[self.failures_slot] = 0
        for slot in form_slots:
            fresh = any(name in said_now for name in self.entities.get(slot, ()))
            if not fresh and tracker.get_slot(slot) is not None:
                changes[slot] = None
            if not fresh:
                candidates.pop(slot, None)
        return changes


class FormSubmitAction(Action, ABC):
    """Runs when a verified borrower's form ends: settles what was confirmed, hands over what
    is outside the policy, and otherwise says nothing was set up and offers the options."""

    form_slots: ClassVar[Tuple[str, ...]]
    confirm_slot: ClassVar[str]
    # the options offered after the policy refused this request (without the request itself)
    options_after_refusal: ClassVar[str] = "utter_offer_options"

    @abstractmethod
    def settle(
        self, ctx: AccountContext, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> List[EventType]:
        """Records what the borrower confirmed and tells them."""

    def refusal_options(self, tracker: Tracker) -> str:
        """The options offered after the policy refused the request (`refused_rules` says which)."""
        return self.options_after_refusal

    def options(self, tracker: Tracker) -> str:
        """The options offered when nothing was agreed."""
        return "utter_offer_options"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        reason = tracker.get_slot(STOP_SLOT)
        events = cleared(*self.form_slots)
        if reason == StopReason.NO_ACCOUNT or not is_verified(tracker) or not ctx.reachable:
            dispatcher.utter_message(response="utter_verify_first")
            return events
        if reason == StopReason.OUTSIDE_POLICY:
            dispatcher.utter_message(response="utter_outside_policy")
            return events + hand_over(ctx, "outside_policy", dispatcher, tracker)
        if reason is None and tracker.get_slot(self.confirm_slot) is True:
            return self.settle(ctx, dispatcher, tracker) + events
        if reason == StopReason.REFUSED:
            dispatcher.utter_message(response=self.refusal_options(tracker))
            return events
        # The borrower said no, or we could not agree on the values.
        dispatcher.utter_message(response="utter_nothing_agreed")
        dispatcher.utter_message(response=self.options(tracker))
        return events
