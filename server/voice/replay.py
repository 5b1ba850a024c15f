"""Voice webhooks that are safe to replay.

Twilio retries a webhook it thinks failed (a timeout, a dropped connection), with the
same URL and parameters, and anyone holding a signed request can send it again. Every
voice webhook that acts (answering a call, each turn, the end of a transfer) therefore
runs at most once per step of its call: its TwiML is kept in the store under
(CallSid, step), and a second request for the same step gets the same TwiML back without
a second Rasa turn, transcript line, text message or status change.

The step of a turn or a transfer's end is the id of the reply that asked the question:
it goes into the <Gather>/<Dial> action URL (?step=<id>), so two answers that sound
the same ("yes", then "yes" again) are two steps, while a retry of one is the same step.
The whisper only reads, and the status callbacks only move a call forward
(store/calls.advance_status): both are safe to replay as they are.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from typing import Callable

from flask import Response, request

from server import services
from server.api.input import row_id
from server.conversation.state import thread_key
from server.voice.twiml import hold_on
from server.webhook_input import twilio_field
from store.calls import claim_reply, drop_reply, earlier_reply, keep_reply
from store.db import session_scope
from store.models import utcnow

log = logging.getLogger(__name__)

CHANNEL = "voice"
LOCK_WAIT_SECONDS = 3  # Twilio sends a call's webhooks one at a time; this only covers races
# A step taken and never answered this long ago was abandoned (a process died): longer
# than any webhook takes (Twilio gives up after 15 s).
ABANDONED_AFTER = dt.timedelta(seconds=60)


def call_lock(call_sid: str):
    return services().state.conversation_lock(thread_key(CHANNEL, call_sid), wait=LOCK_WAIT_SECONDS)


def xml(twiml: str) -> Response:
    return Response(twiml, mimetype="text/xml")


def answer_step() -> str:
    return "answer"


def action_step(kind: str) -> Callable[[], str]:
    """The step a <Gather> or <Dial> action names in its URL; without one (a document
    written before steps existed) the request is a step of its own."""

    def step() -> str:
        asked_by = request.args.get("step", type=row_id)
        return f"{kind}:{'unnamed-' + uuid.uuid4().hex if asked_by is None else asked_by}"

    return step


def replayable(step_of: Callable[[], str]):
    """Runs the view once per (CallSid, step): `view(step_id)` returns TwiML, and step_id
    names the questions it asks. A repeat gets the TwiML kept from the first run; a repeat
    arriving while the first is still being worked on (another gateway process) is told
    to come back in a moment, by then the answer is kept (or, past ABANDONED_AFTER,
    works on it itself)."""

    def wrap(view: Callable[[int], str]):
        @functools.wraps(view)
        def run():
            call_sid = twilio_field("CallSid", required=True)
            step = step_of()
            with call_lock(call_sid):
                with session_scope() as session:
                    step_id, kept = claim_reply(session, call_sid, step), None
                    if step_id is None:
                        earlier = earlier_reply(session, call_sid, step)
                        kept = earlier.twiml
                        if kept is None and utcnow() - earlier.created_at > ABANDONED_AFTER:
                            step_id = earlier.id  # whoever took it died: this copy takes over
                if step_id is None:
                    log.info("voice webhook %s repeated (%s)", step, "answered" if kept else "in flight")
                    return xml(kept if kept is not None else hold_on(request.full_path.rstrip("?")))
                try:
                    twiml = view(step_id)
                except BaseException:
                    with session_scope() as session:
                        drop_reply(session, step_id)  # let Twilio's retry through
                    raise
                with session_scope() as session:
                    keep_reply(session, step_id, twiml)
            return xml(twiml)

        return run

    return wrap
