"""Twilio's voice webhooks: the same conversation as by SMS, on the phone.

    POST /twilio/voice           a call is answered (inbound, or an outbound call we placed:
                                 ?call=<id>); an answering machine gets a voicemail
    POST /twilio/voice/turn      each answer (<Gather> action): speech or keys, or silence
    POST /twilio/voice/dial      how a transfer to the agents' line ended (<Dial> action)
    POST /twilio/voice/whisper   what the agent hears before the borrower is put through
    POST /twilio/voice/status    the call's status callbacks: the end of the call

Every request must carry Twilio's signature, and every one is safe to replay
(server/voice/replay.py: Twilio retries). A call is one conversation, keyed by the call
and bound to an account (store/calls.py); its turns go to Rasa over HTTP with the
conversation id as sender, like SMS. An account under an identity lock (too many wrong
identity answers on any channel, store/identity.py) hears the lender's number and the call
ends, before the bot is asked anything. What the last question expects, re-prompt counts and
the gateway's own yes/no questions live in the gateway state under the CallSid
(server/voice/prompts.py), so any gateway process can take the next webhook.

What the bot agrees on a call is confirmed in writing by SMS during the call, like the
call's other texts (server/sms/arrangement_notice.py). A borrower flagged vulnerable who calls
in is put through to a person (or told one will get back) where the policy routes them to
agents, before the bot is asked anything.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import List, Optional

from flask import Blueprint, Flask, Response, request

from campaigns.attempts import record_status
from lending.languages import parser_language
from messaging.gateway_words import gateway_reply
from server import services
from server.api.input import row_id
from server.conversation.rasa_client import RasaUnavailable
from server.signature import twilio_signed
from server.sms import feedback
from server.sms.arrangement_notice import confirm_agreed
from server.sms.webhook import VULNERABLE
from server.voice.prompts import (
    FEEDBACK_KEYS,
    START,
    YES_NO,
    CallState,
    Heard,
    Prompt,
    Said,
    Step,
    Words,
    bot_turn,
    next_step,
    transcribed,
    words_for,
)
from server.voice.replay import action_step, answer_step, call_lock, replayable, xml
from server.voice.text import speakable
from server.voice.twiml import Voice, ask, close, hangup, transfer, voicemail, whisper
from server.webhook_input import twilio_field
from store.accounts import account_language
from store.calls import (
    advance_status,
    call_conversation,
    end_call,
    find_call,
    inbound_call,
    is_machine,
    keep_live_state,
    live_state,
    note_answered_by,
)
from store.conversations import conversation_language
from store.db import session_scope
from store.handoffs import enqueue, is_vulnerable, open_handoff
from store.identity import active_lock
from store.messages import record_inbound, record_outbound
from store.models import Account, AccountStatus, Handoff, MessageStatus, VoiceCall
from store.outcomes import audit, is_opted_out

log = logging.getLogger(__name__)

bp = Blueprint("twilio_voice", __name__, url_prefix="/twilio/voice")

CHANNEL = "voice"
ACTOR = "gateway"
# What the gateway says to the caller itself is in messaging/gateway_words.py (WORDS), in the
# account's language (the bot's words are in domain.yml). The whisper below is for the
# agent, not the borrower: it is said in the agents' language, English (the console and
# the agents' desk are English), whatever the borrower speaks.
AGENT_LANGUAGE = "en"
WHISPER = "A call from a borrower, put through by {assistant_name}. Reason: {reason}. {verified}."
WHISPER_NO_SUMMARY = "A call from a borrower, put through by {assistant_name}."
REASONS = {
    "request_human": "they asked for a person",
    "legal_protection": "an attorney or bankruptcy",
    "hardship": "financial hardship",
    "dispute_debt": "they dispute the debt",
    "already_paid": "they say it is already paid",
    "abuse_after_deescalation": "the conversation became abusive",
    "not_understood_twice": "the assistant could not understand them",
    "outside_policy": "a request outside the lending policy",
    "vulnerable": "the borrower is flagged vulnerable",
}


@dataclass
class Live:
    """One webhook's view of its call: ids and what the gateway remembers."""

    call_sid: str
    call_id: int
    phone: str
    account_id: Optional[str]
    state: CallState
    step: int  # this webhook's step: the questions it asks name it (server/voice/replay.py)

    @property
    def conversation_id(self) -> Optional[str]:
        return self.state.conversation_id

    @property
    def words(self) -> Words:
        return words_for(self.state.language)


def _voice_for(language: str) -> Voice:
    voices = services().policy.voice.voices
    return Voice(language=language, tts_voice=voices.get(parser_language(language)) or voices.get("en"))


def _voice(live: Live) -> Voice:
    return _voice_for(live.state.language)


def _lender() -> dict:
    policy = services().policy
    return {
        "lender_name": policy.lender.name, "assistant_name": policy.lender.assistant_name,
        "support_phone": policy.lender.support_phone,
    }


def _say_and_keep(live: Live, texts: List[str]) -> None:
    """Writes what the gateway says into the transcript and keeps the call's state for its
    next webhook, in one transaction."""
    with session_scope() as session:
        for text in texts:
            spoken = speakable(text, live.state.language)
            if spoken:
                record_outbound(session, phone=live.phone, channel=CHANNEL, body=spoken,
                                conversation_id=live.conversation_id)
        keep_live_state(session, live.call_id, live.state.to_dict())


# -- the call is answered ------------------------------------------------------------------

@bp.post("")
@twilio_signed
@replayable(answer_step)
def call_answered(step: int) -> str:
    form = request.form
    call_sid, phone = twilio_field("CallSid", required=True), twilio_field("From", required=True)
    answered_by = form.get("AnsweredBy") or None
    with session_scope() as session:
        call = find_call(session, call_sid, request.args.get("call", type=row_id))
        if call is None:
            # A call to the lender's number (an outbound call we did not place is
            # treated the same: the bot learns nothing from its caller ID but the
            # account the number reaches, and verifies before saying anything).
            call = inbound_call(session, call_sid, phone)
        if call.ended_at is not None:
            log.warning("call %s: answer webhook after the call ended", call.id)
            return hangup()
        advance_status(call, form.get("CallStatus") or "in-progress")
        note_answered_by(call, answered_by)
        if is_machine(call.answered_by):
            return _machine(session, call)
        conversation = call_conversation(session, call)
        audit(session, ACTOR, "call_answered", account_id=call.account_id,
              conversation_id=conversation.id,
              details={"call_id": call.id, "direction": call.direction})
        live = Live(call_sid, call.id, call.phone, call.account_id, CallState(
            conversation_id=conversation.id,
            language=conversation_language(session, conversation.id) or "en",
        ), step)
        # An account under an identity lock hears the lender's number first (_ask_bot).
        to_a_person = (
            call.direction == "inbound" and services().policy.vulnerability.route_to_agents
            and is_vulnerable(session, call.account_id)
            and active_lock(session, call.account_id) is None
        )
        if to_a_person:
            enqueue(session, conversation, VULNERABLE)
    log.info("call %s: answered (%s), conversation %s", live.call_id, call.direction,
             live.conversation_id)
    if to_a_person:
        log.info("call %s: vulnerable borrower, handed to a person", live.call_id)
        return _to_a_person(live)
    return _ask_bot(live, START, None)


def _to_a_person(live: Live) -> str:
    """A vulnerable borrower's call: who answers, then the agents' line (or a person's
    call back), and nothing about the debt: the caller is not verified."""
    words = live.words
    introduction = words.introduction.format(**_lender())
    return _put_through(live, [introduction, words.putting_through],
                        [introduction, words.no_agent.format(**_lender())])


def _machine(session, call: VoiceCall) -> str:
    """An answering machine gets the limited-content message; a fax, nothing."""
    if call.answered_by.startswith("fax"):
        audit(session, ACTOR, "call_fax", account_id=call.account_id, details={"call_id": call.id})
        return hangup()
    policy = services().policy
    mail = policy.voice.voicemail
    language = account_language(session, call.account_id) or "en"  # no conversation yet
    # In the account's language, but still only the neutral name, a person, a number.
    text = words_for(language).voicemail.format(
        caller_name=mail.caller_name or policy.lender.assistant_name,
        business_name=mail.business_name or policy.lender.name,
        callback_phone=mail.callback_phone or policy.lender.support_phone,
    )
    voice = _voice_for(language)
    record_outbound(session, phone=call.phone, channel=CHANNEL, body=speakable(text, language),
                    conversation_id=None)
    audit(session, ACTOR, "voicemail_left", account_id=call.account_id,
          details={"call_id": call.id, "answered_by": call.answered_by})
    log.info("call %s: answered by a machine (%s), voicemail left", call.id, call.answered_by)
    return voicemail(text, voice)


# -- each answer -----------------------------------------------------------------------------

@bp.post("/turn")
@twilio_signed
@replayable(action_step("turn"))
def call_turn(step: int) -> str:
    live = _live(twilio_field("CallSid", required=True), step)
    if live is None or live.state.finished:
        log.warning("a turn for an unknown or finished call")
        return hangup()
    heard = Heard.of(request.form)
    if (live.state.pending or {}).get("kind") == "feedback":
        return _feedback_answer(live, heard)
    next_ = next_step(live.state, heard, services().policy.voice.min_speech_confidence)
    return _answer(live, next_, transcribed(live.state, heard))


def _live(call_sid: str, step: int) -> Optional[Live]:
    """The call and the state its last webhook kept (store/calls.keep_live_state); a call
    with none kept goes on with an open question."""
    with session_scope() as session:
        call = find_call(session, call_sid)
        if call is None or call.ended_at is not None or not call.conversation_id:
            return None
        saved = live_state(call)
        state = CallState.from_dict(saved) if saved else CallState(
            conversation_id=call.conversation_id,
            language=conversation_language(session, call.conversation_id) or "en")
        return Live(call_sid, call.id, call.phone, call.account_id, state, step)


def _answer(live: Live, step: Step, heard: Optional[str]) -> str:
    state, words = live.state, live.words
    if step.kind == "bot":
        return _ask_bot(live, step.text, heard)
    _transcript_in(live, heard)
    if step.kind == "repeat":
        return _ask_again(live, [], count=False)
    if step.kind == "reprompt":
        lead = {"no_input": words.no_input, "unsure": words.unsure}.get(step.reason, words.unrecognised)
        return _ask_again(live, [lead], count=True)
    if step.kind == "confirm":
        state.pending = {"kind": "confirm", "text": step.text,
                         "say": [words.confirm.format(said=step.text)]}
        return _question(live, [], state.pending["say"])
    # A yes or a no to the gateway's own question.
    pending, yes = state.pending or {}, step.kind == "yes"
    state.pending = None
    kind = pending.get("kind")
    if kind == "confirm":
        if yes:
            return _ask_bot(live, pending["text"], None)
        return _ask_again(live, [words.not_that], count=True)
    if kind == "sms_offer":
        if not yes:
            return _anything_else(live, [], [words.not_sent])
        sent = _send_sms(live, pending["body"], "payment_link")
        return _anything_else(live, [], [words.sent if sent else words.sms_refused])
    if kind == "anything_else":
        if not yes:
            return _close_or_ask_feedback(live, [words.goodbye])
        state.prompt = Prompt(say=[words.go_ahead])
        return _question(live, [], [words.go_ahead])
    return _ask_again(live, [words.unrecognised], count=True)


def _ask_again(live: Live, lead: List[str], count: bool) -> str:
    """The question again, after `lead`; one re-prompt too many ends the call politely."""
    state = live.state
    if count:
        state.failures += 1
        if state.failures > services().policy.voice.reprompts:
            return _close_with_follow_up(live, [live.words.silent_close])
    question = (state.pending or {}).get("say") or state.prompt.say or [live.words.go_ahead]
    return _question(live, [], lead + list(question))


# -- talking to the bot ----------------------------------------------------------------------

def _ask_bot(live: Live, text: str, heard: Optional[str]) -> str:
    """One turn with Rasa. `heard` is this webhook's answer as the transcript keeps it
    (None at the call's start, or when it was recorded already)."""
    if _locked(live):
        _transcript_in(live, heard)
        log.info("call %s: account locked, support phone given", live.call_id)
        return _close(live, [live.words.identity_locked.format(**_lender())])
    try:
        answers = services().rasa.for_language(live.state.language).converse(live.conversation_id, text)
    except RasaUnavailable as exc:
        log.warning("call %s: bot unavailable (%s)", live.call_id, exc)
        _transcript_in(live, heard)
        return _close_with_follow_up(live, [live.words.trouble])
    _transcript_in(live, heard, MessageStatus.ANSWERED)
    live.state.failures = 0
    live.state.pending = None
    _confirm_agreed(live)
    return _bot_said(live, bot_turn(answers))


def _confirm_agreed(live: Live) -> None:
    """What the bot agreed in this turn goes to the caller's phone in writing while the call
    goes on, audited like the call's other texts."""
    for result in confirm_agreed(live.conversation_id, path="call_text:confirmation"):
        with session_scope() as session:
            audit(session, ACTOR, "call_sms", account_id=live.account_id,
                  conversation_id=live.conversation_id,
                  details={"call_id": live.call_id, "kind": "confirmation", "sent": result.sent,
                           "reason": result.reason})


def _locked(live: Live) -> bool:
    """Whether the call's account is under an identity lock (checked before every turn:
    a lock may come from another channel while the call goes on)."""
    if not live.account_id:
        return False
    with session_scope() as session:
        return active_lock(session, live.account_id) is not None


def _bot_said(live: Live, said: List[Said]) -> str:
    """TwiML for what the bot said: a question to answer, a goodbye, or a transfer."""
    flags = {key for item in said for key, value in item.voice.items() if value is True}
    if "transfer" in flags:
        return _transfer(live, said)
    texts = [item.text for item in said if item.text]
    if "sms_follow_up" in flags:
        _follow_up(live)
    if "hangup" in flags or not said:
        return _close_or_ask_feedback(live, texts or [live.words.goodbye])
    before, inside = _split(said)
    last = said[-1]
    if last.voice.get("sms_offer"):
        live.state.pending = {"kind": "sms_offer", "body": str(last.voice["sms_offer"]),
                              "say": [last.text]}
        return _question(live, before, inside)
    if last.voice.get("anything_else"):
        return _anything_else(live, before, inside)
    live.state.prompt = Prompt.of(last)
    return _question(live, before, inside)


def _split(said: List[Said]):
    """What must be heard in full (up to the last `barge_in: false`) and what the caller
    may interrupt."""
    cut = max((i + 1 for i, item in enumerate(said) if item.voice.get("barge_in") is False),
              default=0)
    return ([item.text for item in said[:cut] if item.text],
            [item.text for item in said[cut:] if item.text])


def _anything_else(live: Live, before: List[str], inside: List[str]) -> str:
    question = live.words.anything_else
    live.state.pending = {"kind": "anything_else", "say": [question]}
    return _question(live, before, inside + [question])


def _question(live: Live, before: List[str], inside: List[str]) -> str:
    """Says `before`, then asks `inside` and listens. A question of the gateway's own
    (pending) takes a yes or a no, 1 or 2; otherwise the bot's last prompt says what the
    answer may be."""
    prompt = YES_NO if live.state.pending else live.state.prompt
    _say_and_keep(live, before + inside)
    return ask(before, inside, prompt, _voice(live), services().policy.voice.input_timeout_seconds,
               live.step)


# -- ending the call, transfers, text messages -------------------------------------------------

def _close(live: Live, texts: List[str]) -> str:
    live.state.finished = True
    _say_and_keep(live, texts)
    return close(texts, _voice(live))


def _close_or_ask_feedback(live: Live, texts: List[str]) -> str:
    """A conversation that ends well: after an agreement the caller may rate it on the
    keypad before the goodbye (server/sms/feedback.py)."""
    question = feedback.voice_question(live.conversation_id, live.state.language) \
        if live.conversation_id else None
    if question is None:
        return _close(live, texts)
    live.state.pending = {"kind": "feedback", "say": [question]}
    _say_and_keep(live, texts + [question])
    return ask(texts, [question], FEEDBACK_KEYS, _voice(live),
               services().policy.voice.input_timeout_seconds, live.step)


def _feedback_answer(live: Live, heard: Heard) -> str:
    live.state.pending = None
    keyed = heard.digits or heard.speech
    _transcript_in(live, keyed or None)
    rated = feedback.take_keyed_answer(live.conversation_id, keyed) if keyed else False
    thanks = [gateway_reply("feedback_thanks", live.state.language)] if rated else []
    return _close(live, thanks + [live.words.bye])  # the goodbye was said before the question


def _close_with_follow_up(live: Live, lead: List[str]) -> str:
    """Ends the call with an offer to carry on by text message when one can be sent, or
    the lender's number when not."""
    words = live.words
    tail = words.text_promise if _follow_up(live) else words.call_us.format(**_lender())
    return _close(live, lead + [tail, words.bye])


def _transfer(live: Live, said: List[Said]) -> str:
    """Puts the call through to the agents' line, or, with none configured, says when a
    person will get back (the bot has queued the conversation for the console)."""
    kept = [item.text for item in said if item.text and not item.voice.get("transfer")]
    return _put_through(live, [item.text for item in said if item.text],
                        kept + [live.words.no_agent.format(**_lender())])


def _put_through(live: Live, texts: List[str], no_agent: List[str]) -> str:
    """Says `texts` and dials the agents' line; with none configured, says `no_agent` and
    offers to carry on by text (the conversation waits in the console's queue)."""
    settings = services().settings
    with session_scope() as session:
        handoff = open_handoff(session, live.conversation_id) if live.conversation_id else None
        handoff_id = handoff.id if handoff else None
        if settings.agent_phone:
            audit(session, ACTOR, "call_transfer", account_id=live.account_id,
                  conversation_id=live.conversation_id,
                  details={"call_id": live.call_id, "handoff_id": handoff_id})
    if not settings.agent_phone:
        return _close_with_follow_up(live, no_agent)
    live.state.finished = True
    _say_and_keep(live, texts)
    log.info("call %s: put through to the agents' line (handoff %s)", live.call_id, handoff_id)
    return transfer(texts, _voice(live), settings.agent_phone,
                    services().policy.voice.transfer_timeout_seconds, handoff_id, live.step)


def _follow_up(live: Live) -> bool:
    """Texts the borrower so they can carry on by SMS: once per call, only to a phone that
    reaches an account (not a wrong number), and only where the gate allows an answer in
    the borrower's own conversation (opt-outs, the account's state, contact hours)."""
    if live.state.texted:
        return True
    with session_scope() as session:
        account = session.get(Account, live.account_id) if live.account_id else None
        if account is None or account.status == AccountStatus.WRONG_NUMBER:
            return False
        if is_opted_out(session, live.phone, "sms"):
            return False
    live.state.texted = _send_sms(live, live.words.follow_up_sms.format(**_lender()), "follow_up")
    return live.state.texted


def _send_sms(live: Live, body: str, kind: str) -> bool:
    # The sender asks the gate (an answer in the caller's conversation) and adds the
    # opt-out wording in the conversation's language ("回复TD退订").
    result = services().sender.send_sms(live.phone, body, live.conversation_id, actor=ACTOR,
                                        path=f"call_text:{kind}")
    with session_scope() as session:
        audit(session, ACTOR, "call_sms", account_id=live.account_id,
              conversation_id=live.conversation_id,
              details={"call_id": live.call_id, "kind": kind, "sent": result.sent,
                       "reason": result.reason})
    return result.sent


# -- the transcript --------------------------------------------------------------------------

def _transcript_in(live: Live, heard: Optional[str], status: str = MessageStatus.HANDLED) -> None:
    if heard is None:
        return
    with session_scope() as session:
        message = record_inbound(
            session, provider_sid=None, phone=live.phone, channel=CHANNEL, body=heard,
            conversation_id=live.conversation_id,
        )
        if message is not None:
            # Never left `received`: a call's answer is not redelivered by SMS later.
            message.status = status


# -- transfers and the end of the call ---------------------------------------------------------

@bp.post("/dial")
@twilio_signed
@replayable(action_step("dial"))
def transfer_ended(step: int) -> str:
    """The agents' line answered and the conversation is over, or nobody answered."""
    status = (request.form.get("DialCallStatus") or "").lower()
    live = _live(twilio_field("CallSid", required=True), step)
    if live is None:
        return hangup()
    connected = status in ("completed", "answered")
    with session_scope() as session:
        audit(session, ACTOR, "transfer_connected" if connected else "transfer_failed",
              account_id=live.account_id, conversation_id=live.conversation_id,
              details={"call_id": live.call_id, "dial_status": status[:40]})
    if connected:
        return hangup()
    log.info("call %s: nobody answered the agents' line", live.call_id)
    return _close_with_follow_up(live, [live.words.no_agent.format(**_lender())])


@bp.post("/whisper")
@twilio_signed
def agent_whisper() -> Response:
    """Said to the agent who picks up, before the borrower is connected: why the call
    comes and whether the bot verified the borrower (the console has the rest)."""
    lender = _lender()
    text = WHISPER_NO_SUMMARY.format(**lender)
    handoff_id = request.args.get("handoff", type=row_id)
    if handoff_id is not None:
        with session_scope() as session:
            handoff = session.get(Handoff, handoff_id)
            if handoff is not None:
                verified = (handoff.summary or {}).get("verified")
                text = WHISPER.format(
                    reason=REASONS.get(handoff.reason, handoff.reason.replace("_", " ")),
                    verified="Identity verified" if verified else "Identity not verified",
                    **lender,
                )
    return xml(whisper(text, _voice_for(AGENT_LANGUAGE)))


@bp.post("/status")
@twilio_signed
def call_status() -> Response:
    """Twilio's status callbacks: the final one closes the conversation and records how the
    call ended in the audit trail; the call attempt (campaigns) learns whether a person
    answered, which the call caps count."""
    form = request.form
    call_sid = twilio_field("CallSid", required=True)
    status = (form.get("CallStatus") or "").lower()
    with call_lock(call_sid):
        with session_scope() as session:
            call = find_call(session, call_sid, request.args.get("call", type=row_id))
            if call is None:
                log.info("status callback for an unknown call: %s", status)
                return Response(status=204)
            saved = live_state(call)  # end_call drops it
            outcome = end_call(session, call, status, form.get("AnsweredBy") or None)
            if call.attempt_id is not None:
                record_status(session, form, call.attempt_id)
            if outcome is not None:
                mid_conversation = bool(call.conversation_id) and not (saved or {}).get("finished")
                audit(session, "twilio", "call_ended", account_id=call.account_id,
                      conversation_id=call.conversation_id,
                      details={"call_id": call.id, "direction": call.direction,
                               "outcome": outcome, "duration": form.get("CallDuration"),
                               "hung_up_mid_conversation": mid_conversation})
                log.info("call %s: ended, %s%s", call.id, outcome,
                         " (hung up mid-conversation)" if mid_conversation else "")
    return Response(status=204)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
