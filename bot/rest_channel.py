"""Rasa's REST channel (`rest`: the same path, request and answer), which also says how
the NLU read the message when asked (`POST /webhooks/rest/webhook?parse=true`):

    {"messages": [<what Rasa's REST channel answers>],
     "parse": {"intent": {...}, "intent_ranking": [...], "entities": [...], "text": ...}}

so the gateway's capture for the trainers' inbox (server/conversation/nlu_review.py) needs no second
read of the tracker. The parse is the user event this message left, found in the session
bot/redis_tracker_store.py holds in memory (another tracker store: read back once, in this
process). `parse` is null when the message left none (Rasa failed before reading it).
Loaded by credentials.yml (Rasa's custom channel extension point).
"""
from __future__ import annotations

import inspect
import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.events import UserUttered
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

PARSE_KEYS = ("intent", "intent_ranking", "entities", "text")


async def parse_of(tracker_store: TrackerStore, sender_id: Text,
                   message_id: Text) -> Optional[Dict[Text, Any]]:
    """How the NLU read the message `message_id` of the conversation."""
    held = getattr(tracker_store, "user_message", None)  # bot/redis_tracker_store.py
    event = held(sender_id, message_id) if held is not None else None
    if event is None:
        tracker = await tracker_store.retrieve(sender_id)
        event = next((e for e in reversed(tracker.events) if isinstance(e, UserUttered)
                      and e.message_id == message_id), None) if tracker else None
    if event is None:
        return None
    return {key: event.parse_data.get(key) for key in PARSE_KEYS}


class RestInputWithParse(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}",
                            inspect.getmodule(self).__name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            sender_id = await self._extract_sender(request)
            text = self._extract_message(request)
            input_channel = self._extract_input_channel(request)
            metadata = self.get_metadata(request)
            if bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(on_new_message, text, sender_id, input_channel,
                                         metadata),
                    content_type="text/event-stream")
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender_id, input_channel=input_channel,
                                  metadata=metadata)
            # As Rasa's REST channel: a failure answers what was said so far (the message's
            # text is never logged: it is the borrower's).
            try:
                await on_new_message(message)
            except CancelledError:
                logger.error("rest: the message to %s timed out", sender_id)
            except Exception:
                logger.exception("rest: the message to %s failed", sender_id)
            if not bool_arg(request, "parse", default=False):
                return response.json(collector.messages)
            parse = await parse_of(request.app.ctx.agent.tracker_store, sender_id,
                                   message.message_id)
            return response.json({"messages": collector.messages, "parse": parse})

        return webhook
