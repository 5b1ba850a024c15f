"""Twilio's inbound SMS webhook: store the message, answer keywords, ask Rasa.

The reply goes back as TwiML in the webhook response. When the bot cannot
answer in time the borrower gets a holding reply and the message is DEFERRED;
server/conversation/redelivery.py answers it later by outbound SMS.

Identity: an account locked after too many wrong identity answers (store/identity.py) gets
the lender's phone number from the gateway itself, and the bot is not asked. A message that
answers the identity question the bot's last reply asked is stored as a placeholder; its
text is held apart for the bot (and a redelivery) and deleted once the bot has read it.

A borrower flagged vulnerable writes to a person, not the bot, where the policy says so
(`vulnerability.route_to_agents`): the conversation goes to the agents' queue, urgent, and
the gateway says a person will reply (nothing about the debt: the writer is not verified).

After a bot turn, once the reply has gone, what the bot agreed in it is confirmed in
writing (server/sms/arrangement_notice.py) and the feedback question may follow.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import List, Optional

from flask import Blueprint, Flask, Response, current_app, g, request
from sqlalchemy import select

from campaigns.gate import Verdict, decide, write_audit
from lending.compliance import REPLY
from messaging.gateway_words import gateway_reply
from messaging.sms_text import reply_bodies, twiml, with_opt_out
from server import services
from server.conversation.nlu_review import after_bot_answer
from server.conversation.rasa_client import BotReply, RasaUnavailable
from server.conversation.state import StateUnavailable, thread_key
from server.metrics import DEFERRED
from server.signature import twilio_signed
from server.sms import feedback
from server.sms.arrangement_notice import confirm_agreed
from server.sms.keywords import Keyword, classify, normalise, reply_for, reply_language
from server.webhook_input import twilio_field
from store.conversations import conversation_language, current_conversation
from store.db import session_scope
from store.handoffs import enqueue, is_vulnerable
from store.identity import active_lock, hold_answer, pending_question, set_pending_question
from store.messages import (
    defer_until,
    has_deferred_before,
    inbound_stored,
    record_inbound,
    record_outbound,
    set_status,
)
from store.models import (
    Conversation,
    Handoff,
    HandoffResolution,
    MessageStatus,
    Outcome,
    OutcomeKind,
    utcnow,
)
from store.outcomes import is_opted_out, record_outcome, set_opt_out

log = logging.getLogger(__name__)

bp = Blueprint("twilio", __name__, url_prefix="/twilio")

CHANNEL = "sms"
# How long a MessageSid counts as in flight: longer than any webhook can take.
SID_CLAIM_SECONDS = 600
# Twilio abandons a webhook after 15 s; waiting for the conversation lock and
# then for Rasa must together stay inside this.
WEBHOOK_BUDGET_SECONDS = 13


@dataclass(frozen=True)
class Inbound:
    sid: str
    phone: str
    body: str
    num_media: int

    @property
    def stored_body(self) -> str:
        if not self.body.strip() and self.num_media:
            return f"[{self.num_media} media attachment(s), not read]"
        return self.body


@dataclass(frozen=True)
class Route:
    """What storing and routing the message decided: a reply now, or a question for Rasa."""

    conversation_id: Optional[str]
    message_id: Optional[int]
    reply: Optional[List[str]]  # None: ask Rasa
    language: Optional[str] = None  # the account's: the gateway's own words and opt-out wording
    asked_identity: bool = False  # the message came while the bot waited for an identity answer
    gate: Optional[Verdict] = None  # the gate's yes to the answer, audited with the reply
    pending: Optional[str] = None  # the identity question waiting when the message came


def _xml(bodies: List[str]) -> Response:
    return Response(twiml(bodies), mimetype="text/xml")


def _count(value: Optional[str]) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


@bp.post("/sms")
@twilio_signed
def inbound_sms() -> Response:
    form = request.form
    inbound = Inbound(
        sid=twilio_field("MessageSid", required=True), phone=twilio_field("From", required=True),
        body=form.get("Body") or "", num_media=_count(form.get("NumMedia")),
    )
    state = services().state
    # Twilio retries a webhook it thinks failed: a copy arriving while the first
    # is still being worked on is dropped here, a later one by the store. A claimed message
    # the store does not hold yet is worked on all the same: the process that claimed it
    # may have died before storing it (the store keeps one of the two copies).
    try:
        claimed = state.claim_message_sid(inbound.sid, SID_CLAIM_SECONDS)
    except StateUnavailable:
        # Redis is down: the message is kept all the same (deferred: no lock can be had);
        # the store's unique MessageSid keeps one copy of a retried delivery.
        log.warning("message %s: shared state unavailable, kept and deferred", inbound.sid)
        claimed = False
    if not claimed and _stored(inbound.sid):
        log.info("message %s: duplicate delivery while in flight", inbound.sid)
        return _xml([])
    try:
        response = _xml(handle_inbound(inbound))
    except BaseException:
        if claimed:
            state.release_message_sid(inbound.sid)  # let Twilio's retry through
        raise
    conversation_id = g.pop("bot_answered", None)
    if conversation_id is not None:
        # After the reply has gone, so neither the confirmation nor the question arrives
        # before the answer.
        app = current_app._get_current_object()
        response.call_on_close(lambda: _after_turn(app, conversation_id, inbound.phone))
    return response


def _stored(sid: str) -> bool:
    with session_scope() as session:
        return inbound_stored(session, sid)


def _after_turn(app, conversation_id: str, phone: str) -> None:
    with app.app_context():
        confirm_agreed(conversation_id)  # the written confirmation of what was agreed
    try:
        feedback.ask_after_turn(app, conversation_id, phone)
    except Exception:  # the borrower's reply is out; the question is optional
        log.exception("conversation %s: feedback question failed", conversation_id)


def handle_inbound(inbound: Inbound) -> List[str]:
    """The reply bodies for one inbound SMS (empty: no reply)."""
    svc = services()
    lock_wait = max(1.0, WEBHOOK_BUDGET_SECONDS - svc.policy.conversation.rasa_timeout_seconds)
    with svc.state.conversation_lock(thread_key(CHANNEL, inbound.phone), wait=lock_wait) as locked:
        route = _store_and_route(inbound, may_ask_bot=locked)
        if route.reply is not None:
            return route.reply
        try:
            # The account's language, read with the routing: no second transaction for it.
            answer = svc.rasa.for_language(route.language).reply(
                route.conversation_id, inbound.body, route.message_id,
            )
        except RasaUnavailable as exc:
            log.warning(
                "conversation %s message %s: bot unavailable (%s), deferred",
                route.conversation_id, inbound.sid, exc,
            )
            DEFERRED.labels("bot_unavailable").inc()
            return _reply(inbound, route, MessageStatus.DEFERRED,
                          [gateway_reply("holding", route.language)])
        g.bot_answered = route.conversation_id
        bodies = _reply(inbound, route, MessageStatus.ANSWERED, reply_bodies(answer.texts), answer)
        # Queued once the message is marked answered: a message held as a possible identity
        # answer has its text back by then unless the bot read an answer from it.
        after_bot_answer(route.conversation_id, route.message_id, inbound.body,  # background
                         asked_identity=route.asked_identity, parse=answer.parse)
        return bodies


def _reply(inbound: Inbound, route: Route, status: str, bodies: List[str],
           answer: Optional[BotReply] = None) -> List[str]:
    with session_scope() as session:
        if route.gate is not None:
            write_audit(session, route.gate)
        if answer is not None:
            set_pending_question(session, route.conversation_id, answer.identity_question,
                                 waiting=route.pending)  # read in the same lock
        return _record_reply(
            session, inbound, route.conversation_id, route.message_id, status, bodies,
            route.language, held=route.asked_identity,
        )


def _record_reply(
    session, inbound: Inbound, conversation_id: str, message_id: int, status: str,
    bodies: List[str], language: Optional[str], held: bool = False,
) -> List[str]:
    """Marks the inbound message and records the reply exactly as it is sent. `held`: the
    message was held apart as an identity answer (_store)."""
    set_status(session, message_id, status, held_apart=held)
    bodies = [with_opt_out(body, language or "en") for body in bodies]
    for body in bodies:
        record_outbound(
            session, phone=inbound.phone, channel=CHANNEL, body=body,
            conversation_id=conversation_id,
        )
    log.info(
        "conversation %s message %s: %s, %d message(s) out",
        conversation_id, inbound.sid, status, len(bodies),
    )
    return bodies


def _store_and_route(inbound: Inbound, may_ask_bot: bool) -> Route:
    """Stores the message first, then settles everything the gateway answers itself."""
    stored = _store(inbound)
    if stored.reply is not None:
        return stored
    return _route(inbound, stored, may_ask_bot)


def _store(inbound: Inbound) -> Route:
    """The message stored, in a transaction of its own: SQLite lets one writer at a time, so
    the routing's many reads do not hold the store's lock. What must never wait for the
    routing is done here too: a keyword is answered (an opt-out takes effect with the message
    that says it), and an identity answer is put apart at once (never in the transcript in
    clear). A process that dies after this leaves the message RECEIVED, which redelivery
    answers (server/conversation/redelivery.py)."""
    policy = services().policy
    expiry = dt.timedelta(minutes=policy.conversation.session_expiry_minutes)
    with session_scope() as session:
        conversation = current_conversation(session, inbound.phone, CHANNEL, expiry)
        message = record_inbound(
            session, provider_sid=inbound.sid, phone=inbound.phone, channel=CHANNEL,
            body=inbound.stored_body, conversation_id=conversation.id,
        )
        if message is None:
            log.info("message %s: duplicate, already stored", inbound.sid)
            return Route(conversation.id, None, [])
        language = conversation_language(session, conversation.id)
        keyword = classify(inbound.body)
        if keyword is not None:
            _apply_keyword(session, keyword, inbound, conversation)
            language = reply_language(inbound.body, language)
            reply = _record_reply(session, inbound, conversation.id, message.id,
                                  MessageStatus.HANDLED, [reply_for(keyword, policy, language)],
                                  language)
            return Route(conversation.id, message.id, reply, language)
        pending = pending_question(session, conversation.id) if inbound.body.strip() else None
        asked_identity = pending is not None and conversation.handled_by == "bot"
        if asked_identity:
            # The answer to the bot's identity question: never in the transcript in clear.
            hold_answer(session, message, inbound.body)
        return Route(conversation.id, message.id, None, language, asked_identity, pending=pending)


def _route(inbound: Inbound, stored: Route, may_ask_bot: bool) -> Route:
    """A stored message the gateway answers itself, or the Route to Rasa. On the usual path
    this transaction only reads: the gate's yes is audited with the reply (_reply)."""
    policy = services().policy
    language = stored.language
    with session_scope() as session:
        conversation = session.get(Conversation, stored.conversation_id)
        retry_at: Optional[dt.datetime] = None  # the gate holds the answer until then
        if is_opted_out(session, inbound.phone, CHANNEL):
            status, reply = MessageStatus.HANDLED, []  # stored; no reply, no bot
        elif not inbound.body.strip():
            status = MessageStatus.HANDLED
            reply = [gateway_reply("media" if inbound.num_media else "empty", language)]
        elif conversation.handled_by == "human":
            # A person answers from the console; the gateway stays silent.
            status, reply = MessageStatus.HANDLED, []
        elif active_lock(session, conversation.account_id) is not None:
            # Too many wrong identity answers: the lender's number, nothing more.
            log.info("conversation %s message %s: account locked, support phone given",
                     conversation.id, inbound.sid)
            status, reply = MessageStatus.HANDLED, [locked_reply(policy, language)]
        elif _goes_to_a_person(session, policy, conversation):
            enqueue(session, conversation, VULNERABLE)
            log.info("conversation %s: vulnerable borrower, handed to a person", conversation.id)
            status = MessageStatus.HANDLED
            reply = _person_will_reply(session, policy, conversation, language)
        elif (answered := feedback.take_answer(session, conversation, inbound.body, utcnow())) is not None:
            status, reply = MessageStatus.HANDLED, answered  # a rating of the conversation
        elif not (gate := _ask_gate(session, policy, conversation)).allowed:
            # The bot's answer leaves like any text: the gate first. Held until a time, the
            # message waits for redelivery, which asks the gate again; held for good, a person
            # has the conversation.
            retry_at = gate.decision.retry_at
            status = MessageStatus.DEFERRED if retry_at else MessageStatus.HANDLED
            reply = []
            if retry_at:
                DEFERRED.labels("contact_rules").inc()
        elif not may_ask_bot or has_deferred_before(session, conversation.id, stored.message_id):
            # Busy thread or earlier messages still waiting: keep the order.
            write_audit(session, gate)
            status, reply = MessageStatus.DEFERRED, [gateway_reply("holding", language)]
            DEFERRED.labels("thread_busy" if not may_ask_bot else "earlier_waiting").inc()
        else:
            return dataclasses.replace(stored, gate=gate)

        reply = _record_reply(session, inbound, conversation.id, stored.message_id, status, reply,
                              language, held=stored.asked_identity)
        if retry_at is not None:
            defer_until(session, stored.message_id, retry_at)
        return Route(conversation.id, stored.message_id, reply, language)


VULNERABLE = "vulnerable"  # the handoff's reason


def _goes_to_a_person(session, policy, conversation) -> bool:
    """A vulnerable borrower's message goes to a person, unless a person already handed
    this conversation back to the bot, or the borrower told the bot of a hardship in this very
    conversation: the bot is then offering relief, and hands over itself when the policy says."""
    if not policy.vulnerability.route_to_agents or not is_vulnerable(session, conversation.account_id):
        return False
    handed_back = session.execute(select(Handoff.id).where(
        Handoff.conversation_id == conversation.id,
        Handoff.resolution == HandoffResolution.HANDED_BACK,
    ).limit(1)).first()
    told_the_bot = session.execute(select(Outcome.id).where(
        Outcome.conversation_id == conversation.id, Outcome.kind == OutcomeKind.HARDSHIP,
    ).limit(1)).first()
    return handed_back is None and told_the_bot is None


def _person_will_reply(session, policy, conversation, language: Optional[str]) -> List[str]:
    """Said where the gate lets an answer go now (not in China's quiet night, not on an
    account whose collection has stopped); a person answers either way."""
    verdict = decide(
        session, policy, dt.datetime.now(dt.timezone.utc), channel=CHANNEL, kind=REPLY,
        actor="gateway", account_id=conversation.account_id, phone=conversation.phone,
        conversation_id=conversation.id, path="person_will_reply",
    )
    if not verdict.allowed:
        return []
    return [gateway_reply("person_will_reply", language, lender_name=policy.lender.name)]


def _ask_gate(session, policy, conversation) -> Verdict:
    """The gate's verdict on the bot's answer. A refusal is audited at once; a yes is audited
    with the reply (_reply), so that this transaction stays read-only on the usual path."""
    verdict = decide(
        session, policy, dt.datetime.now(dt.timezone.utc), channel=CHANNEL, kind=REPLY,
        actor="gateway", account_id=conversation.account_id, phone=conversation.phone,
        conversation_id=conversation.id, path="bot_answer", audit_now=False,
    )
    if verdict.allowed:
        return verdict
    write_audit(session, verdict)
    if verdict.decision.retry_at is None:
        # Collection has stopped on this account (DOMAIN: a dispute pauses it until a person
        # resolves it; an attorney or bankruptcy hands over): a person answers, not the bot.
        enqueue(session, conversation, "contact_rule")
        log.info("conversation %s: %s, handed to a person", conversation.id, verdict.decision.rule)
    return verdict


def locked_reply(policy, language: Optional[str]) -> str:
    """What an account under an identity lock is told, on any message."""
    return gateway_reply("identity_locked", language, lender_name=policy.lender.name,
                         support_phone=policy.lender.support_phone)


def _apply_keyword(session, keyword: Keyword, inbound: Inbound, conversation) -> None:
    if keyword is Keyword.HELP:
        return
    opted_out = keyword is Keyword.OPT_OUT
    set_opt_out(session, inbound.phone, CHANNEL, opted_out, how="keyword",
                account_id=conversation.account_id)
    record_outcome(
        session, OutcomeKind.OPT_OUT if opted_out else OutcomeKind.OPT_IN,
        account_id=conversation.account_id, conversation_id=conversation.id,
        phone=inbound.phone, details={"channel": CHANNEL, "keyword": normalise(inbound.body)},
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
