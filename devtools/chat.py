"""A terminal in which you play a borrower: texting the lender's number, or on the phone.

    python -m devtools.chat                   # text the lender as the demo borrower
    python -m devtools.chat --call            # call the lender's number as the demo borrower
    python -m devtools.chat --call DEMO-1001  # answer the call placed to an account
                                              # (flask --app server calls place, POST /api/calls)
    python -m devtools.chat --call DEMO-1001 --machine   # let voicemail answer it

Every line you type travels as a signed Twilio webhook through the gateway (GATEWAY_URL,
default http://127.0.0.1:5000), exactly as a real SMS or call would. On a call you type
what you would say, or keys (a line of digits, * or #), or nothing (silence); you read
what the bot would say. Texts sent later (a redelivered answer, an agent's reply from
the console, a text during a call) are read from the outbox as they arrive.

When the service stays silent or refuses, the chat says why and what to do, in a hint
marked as not from the bot. It reads why from the store (opt-out, a person holding the
thread, a failed identity check, messages waiting for redelivery) and the gateway's
/healthz (whose language's Rasa is down), never from the bot's words.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import re
import sys
import threading
from dataclasses import dataclass
from typing import List, Optional

import requests
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.training import ROOT
from devtools import terminal
from devtools.stack import ConsoleSignIn
from devtools.twilio_sim import CallTurn, SimulatedCall, SimulatedTwilio
from lending.languages import is_chinese, parser_language
from settings.service import DEV_TWILIO_AUTH_TOKEN
from store.accounts import find_by_phone
from store.db import session_scope
from store.identity import active_lock
from store.models import (
    Conversation,
    Message,
    MessageStatus,
    OutboxMessage,
    Outcome,
    OutcomeKind,
    VoiceCall,
)
from store.outcomes import is_opted_out

KEYS = re.compile(r"^[0-9*#]+$")
UNSURE_CONFIDENCE = 0.3  # "?words": speech the recogniser is not sure of


def _demo_borrower(account_id: Optional[str] = None) -> dict:
    """A demo account (lender/demo_accounts.csv): `account_id`'s, or the first."""
    with open(ROOT / "lender" / "demo_accounts.csv", encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    for row in rows:
        if account_id in (None, row["account_id"]):
            return row
    raise SystemExit(f"no demo account {account_id}: pick one of "
                     f"{', '.join(r['account_id'] for r in rows)}")


def _things_to_try(borrower: dict) -> str:
    born = dt.date.fromisoformat(borrower["birth_date"])
    if borrower["language"].lower().startswith("zh"):
        return (f"你好 / 你是谁 / {born.year}年{born.month}月{born.day}日 / {borrower['id_last4']}"
                " / 能不能分3期 / 下周五还500 / TD / 订阅")
    return (f"hi / who is this / {born:%m/%d/%Y} / {borrower['id_last4']}"
            " / can i pay in 3 months / STOP / START")


def _print_outbox(phone: str, after_id: int, label: str = "bot (later)") -> int:
    with session_scope() as session:
        rows = session.execute(
            select(OutboxMessage).where(OutboxMessage.to == phone, OutboxMessage.id > after_id)
            .order_by(OutboxMessage.id)
        ).scalars().all()
        for row in rows:
            terminal.show(f"  {label} > {row.body}")
            after_id = row.id
    return after_id


def _latest_outbox_id() -> int:
    with session_scope() as session:
        return session.execute(select(func.max(OutboxMessage.id))).scalar() or 0


# --- why the service is silent --------------------------------------------------------------

@dataclass(frozen=True)
class ThreadState:
    """What the store says about a phone's SMS thread."""

    opted_out: bool = False
    held_by_person: bool = False
    identity_locked: bool = False  # the identity check failed in the current conversation
    account_locked: bool = False  # too many wrong identity answers: the account is locked
    waiting: bool = False  # messages of the borrower wait for redelivery


def thread_state(phone: str) -> ThreadState:
    with session_scope() as session:
        conversation = session.execute(
            select(Conversation).where(Conversation.phone == phone, Conversation.channel == "sms")
            .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        ).scalars().first()
        locked = conversation is not None and session.execute(
            select(Outcome.id).where(
                Outcome.conversation_id == conversation.id,
                Outcome.kind.in_((OutcomeKind.IDENTITY_FAILED, OutcomeKind.WRONG_NUMBER)))
        ).first() is not None
        account = find_by_phone(session, phone)
        account_locked = account is not None and active_lock(session, account.account_id) is not None
        waiting = session.execute(
            select(Message.id).where(
                Message.phone == phone, Message.channel == "sms", Message.direction == "in",
                Message.status.in_((MessageStatus.DEFERRED, MessageStatus.RECEIVED)))
        ).first() is not None
        return ThreadState(
            opted_out=is_opted_out(session, phone, "sms"),
            held_by_person=conversation is not None and conversation.handled_by == "human",
            identity_locked=locked, account_locked=account_locked, waiting=waiting,
        )


def _bot_is_down(gateway_url: str, language: str) -> Optional[bool]:
    """Whether the gateway finds `language`'s Rasa down (None: the gateway cannot say)."""
    try:
        health = requests.get(f"{gateway_url}/healthz", timeout=3).json()
        return health["rasa"][parser_language(language)] == "down"
    except (requests.RequestException, ValueError, KeyError, TypeError):
        return None


def hints(state: ThreadState, language: str, console: ConsoleSignIn,
          bot_down: Optional[bool] = None) -> List[str]:
    """Why the service is silent or refuses, and what to do about it. `bot_down`: whether
    the gateway finds the language's Rasa down (asked only when messages wait)."""
    said = []
    if state.opted_out:
        start = "START (or 订阅)" if is_chinese(language) else "START"
        said.append("this phone opted out of texts (STOP, or a word like QUIT or CANCEL), so "
                    f"the service stays silent. Send {start} to opt back in.")
    elif state.held_by_person:
        password = console.password or "the one ./repay demo printed"
        said.append(f"a person holds this conversation, so the bot stays silent. Answer as the "
                    f"agent: open {console.url}, sign in as '{console.agent}' (password "
                    f"{password}); the agent's replies appear here.")
    elif state.account_locked:
        said.append("too many wrong identity answers (by text or call) locked this account for "
                    "the policy's cool-off (identity.lockout_minutes): every channel only gives "
                    "the lender's number until it ends. To start over, quit and run ./repay demo "
                    "again (without --keep).")
    elif state.identity_locked:
        said.append("the identity check failed (or the phone was said to be a wrong number), "
                    "so the bot will not discuss this account in this conversation. To start "
                    "over, quit and run ./repay demo again (without --keep).")
    if state.waiting and not state.opted_out and not state.held_by_person:
        name = "Chinese" if is_chinese(language) else "English"
        if bot_down:
            said.append(f"the {name} model is not up yet (still training or loading: see "
                        "var/log/); your messages wait, and their answers appear here when it is.")
        else:
            said.append("your messages wait for the bot; their answers appear here shortly.")
    return [f"  (demo hint, not from the bot: {line})" for line in said]


class OutboxWatcher:
    """Shows the texts sent to a phone (into the outbox) as they arrive: a redelivered
    answer, an agent's reply from the console."""

    def __init__(self, phone: str, interval: float = 0.5):
        self.phone = phone
        self.interval = interval
        self.seen = _latest_outbox_id()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)

    def __enter__(self) -> "OutboxWatcher":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                label = "agent" if thread_state(self.phone).held_by_person else "bot (later)"
                self.seen = _print_outbox(self.phone, self.seen, label)
            except SQLAlchemyError:  # e.g. SQLite busy a moment: the next look finds them
                continue


def chat(gateway_url: str, account_id: Optional[str] = None,
         console: Optional[ConsoleSignIn] = None) -> None:
    borrower = _demo_borrower(account_id)
    phone, language = borrower["phone"], borrower["language"]
    console = console or ConsoleSignIn(f"{gateway_url}/console/")
    token = os.environ.get("TWILIO_AUTH_TOKEN") or DEV_TWILIO_AUTH_TOKEN
    twilio = SimulatedTwilio(gateway_url, token)
    print(
        "\nYou are the borrower of a demo account. Text as you would reply to a reminder.\n"
        f"  name {borrower['name']}, phone {phone}, born {borrower['birth_date']},"
        f" ID ending {borrower['id_last4']}\n"
        f"  try: {_things_to_try(borrower)}\n"
        "  /quit to leave (./repay demo --account DEMO-1005 chats in Chinese)\n"
        "  Lines marked 'demo hint' come from this chat, not from the bot.\n"
    )

    def explain(state: ThreadState) -> None:
        bot_down = _bot_is_down(gateway_url, language) if state.waiting else None
        for line in hints(state, language, console, bot_down):
            terminal.show(line)

    state = thread_state(phone)
    explain(state)
    with OutboxWatcher(phone):
        while True:
            try:
                text = terminal.ask("you > ")
            except (EOFError, KeyboardInterrupt):
                print()
                return
            if text.strip() == "/quit":
                return
            replies = twilio.sms(phone, text)
            for reply in replies:
                terminal.show(f"  bot > {reply}")
            before, state = state, thread_state(phone)
            if not replies or state != before:
                explain(state)


# --- calls ---------------------------------------------------------------------------------

def _waiting_call(account_id: str) -> Optional[VoiceCall]:
    """The newest call placed to the account into the outbox that nobody answered yet."""
    with session_scope() as session:
        query = (
            select(VoiceCall)
            .where(VoiceCall.account_id == account_id, VoiceCall.direction == "outbound",
                   VoiceCall.via == "outbox", VoiceCall.answered_at.is_(None),
                   VoiceCall.ended_at.is_(None), VoiceCall.answered_by.is_(None))
            .order_by(VoiceCall.id.desc())
        )
        return session.execute(query).scalars().first()


def _place(account_id: str) -> None:
    """Places a call the way `flask --app server calls place` does (same store, same gate)."""
    from server import create_app
    from server.voice.calls import CallRefused, place_call

    app = create_app()
    with app.app_context():
        try:
            placed = place_call(account_id, placed_by="chat")
        except CallRefused as exc:
            raise SystemExit(f"the compliance gate refused the call: {exc}") from None
    print(f"placed call {placed.call_id} to {account_id} ({placed.via})")


def _show(turn: CallTurn) -> None:
    for said in turn.said:
        print(f"  bot > {said}")


def _answer_line(call: SimulatedCall, line: str) -> CallTurn:
    line = line.strip()
    if not line:
        return call.silence()
    if KEYS.match(line):
        finish = (call.last.gather or {}).get("finishOnKey", "#") if call.last else "#"
        return call.press(line[:-1] if finish and line.endswith(finish) and len(line) > 1 else line)
    if line.startswith("?"):
        return call.say(line[1:].strip(), confidence=UNSURE_CONFIDENCE)
    return call.say(line)


def play_call(call: SimulatedCall, answered_by: Optional[str] = None) -> None:
    """The call, turn by turn, until someone hangs up."""
    turn = call.answer(answered_by=answered_by)
    seen = _latest_outbox_id()
    while True:
        _show(turn)
        phone = call.caller if call.direction == "inbound" else call.called
        seen = _print_outbox(phone, seen, label="text message")
        if turn.dial is not None:
            agent = call.agent_hears()
            print(f"  (ringing the agents' line {turn.dial.get('number')}; the agent first hears:)")
            for said in agent.said:
                print(f"  to agent > {said}")
            picked = input("  does an agent answer? [y/N] ").strip().lower().startswith("y")
            turn = call.dial_ended("completed" if picked else "no-answer")
            continue
        if turn.hangup or turn.gather is None:
            call.status("completed", answered_by=answered_by)
            print("  (the call has ended)")
            return
        try:
            line = input("you > ")
        except (EOFError, KeyboardInterrupt):
            line = "/hangup"
        if line.strip() == "/hangup":
            call.hang_up()
            print("  (you hung up)")
            return
        turn = _answer_line(call, line)


def call(gateway_url: str, account_id: Optional[str] = None, machine: bool = False,
         caller: Optional[str] = None) -> None:
    """The lender calls `account_id`, or (without one) the borrower of demo account
    `caller` (default the first) calls the lender."""
    token = os.environ.get("TWILIO_AUTH_TOKEN") or DEV_TWILIO_AUTH_TOKEN
    twilio = SimulatedTwilio(gateway_url, token)
    print(
        "\nOn the phone. Type what you would say; a line of digits presses keys (0: a person,"
        " *: repeat);\n  ?words: speech the phone is not sure of; an empty line: silence;"
        " /hangup to hang up.\n"
    )
    if account_id is None:
        borrower = _demo_borrower(caller)
        print(f"  you call the lender from {borrower['phone']} ({borrower['name']}, born "
              f"{borrower['birth_date']}, ID ending {borrower['id_last4']})\n")
        play_call(twilio.call(borrower["phone"]))
        return
    waiting = _waiting_call(account_id)
    if waiting is None:
        _place(account_id)
        waiting = _waiting_call(account_id)
    if waiting is None:
        raise SystemExit(f"no call to {account_id} waits in the outbox")
    print(f"  the lender calls {account_id} (call {waiting.id}); you answer\n")
    placed = twilio.placed_call(waiting.call_sid, waiting.phone, waiting.id)
    play_call(placed, answered_by="machine_end_beep" if machine else "human")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.chat")
    parser.add_argument("--call", nargs="?", const="", default=None, metavar="ACCOUNT_ID",
                        help="a phone call: to the lender's number, or (with an account) the "
                             "lender's call to that account")
    parser.add_argument("--account", default=None, metavar="ACCOUNT_ID",
                        help="text (or, with --call, call the lender) as this demo account "
                             "(default: the first, DEMO-1001; DEMO-1005 speaks Chinese)")
    parser.add_argument("--machine", action="store_true",
                        help="an answering machine picks up the lender's call")
    parser.add_argument("--gateway", default=os.environ.get("GATEWAY_URL", "http://127.0.0.1:5000"))
    args = parser.parse_args(argv)
    if args.call is None:
        chat(args.gateway, args.account)
    else:
        call(args.gateway, args.call or None, machine=args.machine, caller=args.account)
    return 0


if __name__ == "__main__":
    sys.exit(main())
