"""The start of every conversation (and of a new one after an idle hour): who the bot is,
whom the conversation reaches, and a clean slate. No debt facts go into slots here."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_context import load_context
from actions.slots import IDENTITY_STATUS
from language import parser_language


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ctx = load_context(tracker.sender_id)
        lender = ctx.policy.lender
        slots = {
            "account_found": ctx.reachable,
            # "zh-CN" and "zh" pick the same responses: domain.yml conditions on "zh".
            "language": parser_language(ctx.language),
            "lender_name": lender.name,
            "assistant_name": lender.assistant_name,
            "support_phone": lender.support_phone,
            "channel": ctx.channel,
            IDENTITY_STATUS: "pending",
        }
        # Said before anything else, whatever the first message was. Rasa renders an action's
        # responses with the slots from before the action, which have no language or channel
        # yet here: the introduction's variant is chosen with the slots being set.
        introduction = variant_text(domain, "utter_introduce", slots)
        dispatcher.utter_message(
            text=introduction.format(assistant_name=lender.assistant_name, lender_name=lender.name)
        )
        return (
            [SessionStarted()]
            + [SlotSet(name, value) for name, value in slots.items()]
            + [ActionExecuted("action_listen")]
        )


def variant_text(domain: DomainDict, response: str, slots: Dict[str, Any]) -> str:
    """The text of the variation of `response` Rasa would choose with `slots`: the one whose
    conditions all hold (domain.yml keeps them exclusive), else the unconditioned one."""
    def holds(condition: dict) -> bool:
        return str(slots.get(condition["name"])).lower() == str(condition["value"]).lower()

    variations = domain["responses"][response]
    matching = [v for v in variations if v.get("condition") and all(map(holds, v["condition"]))]
    return (matching or [v for v in variations if not v.get("condition")])[0]["text"]
