"""A terminal in which you play a borrower: texting the lender's number, or on the phone.

    python -m devtools.chat                   # text the lender as the demo borrower
    python -m devtools.chat --call            # call the lender's number as the demo borrower
    python -m devtools.chat --call DEMO-1001  # answer the call placed to an account
                                              # (flask --app server calls place, POST /api/calls)
    python -m devtools.chat --call DEMO-1001 --machine   # let voicemail answer it

Every line you type travels as a signed Twilio webhook through the gateway (GATEWAY_URL,
default http://127.0.0.1:5000), exactly as a real SMS or call would. On a call you type
what you would say, or keys (a line of digits, * or #), or nothing (silence); you read
what the bot would say. Replies sent later (a redelivery, an agent, a text during a
call) are read from the outbox.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import re
import sys
from typing import List, Optional

from sqlalchemy import func, select

from bot.training import ROOT
from devtools.twilio_sim import CallTurn, SimulatedCall, SimulatedTwilio
from server.config import DEV_TWILIO_AUTH_TOKEN
from store.db import session_scope
from store.models import OutboxMessage, VoiceCall

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
            print(f"  {label} > {row.body}")
            after_id = row.id
    return after_id


def _latest_outbox_id() -> int:
    with session_scope() as session:
        return session.execute(select(func.max(OutboxMessage.id))).scalar() or 0


def chat(gateway_url: str, account_id: Optional[str] = None) -> None:
    borrower = _demo_borrower(account_id)
    token = os.environ.get("TWILIO_AUTH_TOKEN") or DEV_TWILIO_AUTH_TOKEN
    twilio = SimulatedTwilio(gateway_url, token)
    print(
        "\nYou are the borrower of a demo account. Text as you would reply to a reminder.\n"
        f"  name {borrower['name']}, phone {borrower['phone']}, born {borrower['birth_date']},"
        f" ID ending {borrower['id_last4']}\n"
        f"  try: {_things_to_try(borrower)}\n"
        "  /quit to leave (./repay demo --account DEMO-1005 chats in Chinese)\n"
    )
    seen = _latest_outbox_id()
    while True:
        try:
            text = input("you > ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if text.strip() == "/quit":
            return
        for reply in twilio.sms(borrower["phone"], text):
            print(f"  bot > {reply}")
        seen = _print_outbox(borrower["phone"], seen)


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
    from server.calls import CallRefused, place_call

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
