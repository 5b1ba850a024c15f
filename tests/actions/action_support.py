"""Helpers for the action tests: trackers built from dicts, the store's rows, and the texts
the borrower reads (responses rendered with domain.yml, as Rasa fills them)."""
from __future__ import annotations

import asyncio
import re
from typing import Any, Dict, Iterable, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import actions.account_context
import store.db
from actions.session import variant_text
from lending.policy import Policy, load_policy
from store.models import Account, Conversation, Outcome

SENDER = "c-test-conversation"
NOW = "2026-11-24T15:00:00+00:00"  # a Tuesday; 10:00 for agents in New York


def open_conversation(account_id: Optional[str], sender: str = SENDER) -> str:
    with store.db.session_scope() as session:
        phone = session.get(Account, account_id).phone if account_id else "+15550109999"
        session.add(Conversation(id=sender, channel="sms", phone=phone, account_id=account_id))
    return sender


def tracker(
    slots: Optional[Dict[str, Any]] = None,
    *,
    intent: str = "greet",
    text: str = "",
    entities: Iterable[Dict[str, Any]] = (),
    events: Optional[List[Dict[str, Any]]] = None,
    active_loop: Optional[str] = None,
    sender: str = SENDER,
    parse: Optional[Dict[str, Any]] = None,
) -> Tracker:
    """`parse`: more of the NLU's parse data (the safety layer's `safety_intents`...)."""
    return Tracker.from_dict({
        "sender_id": sender,
        "slots": dict(slots or {}),
        "latest_message": {"intent": {"name": intent}, "text": text, "entities": list(entities),
                           **(parse or {})},
        "events": events or [],
        "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": "action_listen",
    })


def verified(**slots: Any) -> Dict[str, Any]:
    return {"identity_status": "verified", "account_found": True, **slots}


def form_tracker(
    form: str,
    requested: Optional[str],
    candidates: Dict[str, Any],
    slots: Optional[Dict[str, Any]] = None,
    **message: Any,
) -> Tracker:
    """What Rasa sends a form's validation action: the answers extracted from the latest
    message appended, as slot events, after the form's own action."""
    events = [{"event": "user", "text": message.get("text", "")}, {"event": "action", "name": form}]
    events += [{"event": "slot", "name": name, "value": value} for name, value in candidates.items()]
    all_slots = {**(slots or {}), "requested_slot": requested, **candidates}
    return tracker(all_slots, events=events, active_loop=form, **message)


def run(action, dispatcher: CollectingDispatcher, tracker_: Tracker, domain: Dict[str, Any]):
    return asyncio.run(action.run(dispatcher, tracker_, domain))


def slot_values(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


def rendered(
    dispatcher: CollectingDispatcher, domain: Dict[str, Any], slots: Optional[Dict[str, Any]] = None,
    *, language: str = "en", channel: str = "sms",
) -> List[str]:
    """The texts the borrower reads: each response's variant for `language` and `channel`,
    filled from the values the action passed, then from the slots; a placeholder left without
    a value fails the test."""
    texts = []
    for message in dispatcher.messages:
        name = message.get("response")
        if name is None:  # text the action rendered itself (the session start's introduction)
            texts.append(message["text"])
            continue
        template = variant_text(domain, name, {"language": language, "channel": channel})
        values = {**(slots or {}), **{k: v for k, v in message.items() if v is not None}}

        def fill(match, values=values, name=name):
            key = match.group(1)
            assert key in values, f"{name}: no value for {{{key}}}"
            return str(values[key])

        texts.append(_PLACEHOLDER.sub(fill, template))
    return texts


def responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [m.get("response") for m in dispatcher.messages]


def outcomes(kind: Optional[str] = None) -> List[Outcome]:
    with store.db.session_scope() as session:
        query = select(Outcome).order_by(Outcome.id)
        if kind:
            query = query.where(Outcome.kind == kind)
        return list(session.execute(query).scalars())


def account(account_id: str = "DEMO-1001") -> Account:
    with store.db.session_scope() as session:
        return session.get(Account, account_id)


def conversation_row(sender: str = SENDER) -> Conversation:
    with store.db.session_scope() as session:
        return session.get(Conversation, sender)


def with_policy(monkeypatch, **sections: Dict[str, Any]) -> Policy:
    """The actions read lender/policy.yml with these sections' values changed:
    with_policy(monkeypatch, hardship={"fee_waiver": False})."""
    base = load_policy()
    changed = base.copy(update={
        name: getattr(base, name).copy(update=values) for name, values in sections.items()
    })
    monkeypatch.setattr(actions.account_context, "current_policy", lambda: changed)
    return changed


# What the bot offers after an answer: every option, or a running plan's (domain.yml:
# utter_offer_options, utter_offer_options_with_plan).
OPTIONS = (
    "You can pay now, tell me a date you can pay, set up a monthly plan, ask for more time, "
    "or talk to a person. What would you like to do?"
)
PLAN_OPTIONS = "You can pay now, move a payment date, or talk to a person. What would you like to do?"
