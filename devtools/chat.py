"""A terminal chat in which you play a borrower texting the lender's number.

Every line you type travels as a signed Twilio webhook through the gateway, exactly
as a real SMS would; replies sent later (after a redelivery, or by an agent) are
read from the outbox.
"""
from __future__ import annotations

import csv
import os

from sqlalchemy import func, select

from bot.training import ROOT
from devtools.twilio_sim import SimulatedTwilio
from server.config import DEV_TWILIO_AUTH_TOKEN
from store.db import session_scope
from store.models import OutboxMessage


def _demo_borrower() -> dict:
    with open(ROOT / "lender" / "demo_accounts.csv") as stream:
        return next(csv.DictReader(stream))


def _print_outbox(phone: str, after_id: int) -> int:
    with session_scope() as session:
        rows = session.execute(
            select(OutboxMessage).where(OutboxMessage.to == phone, OutboxMessage.id > after_id)
            .order_by(OutboxMessage.id)
        ).scalars().all()
        for row in rows:
            print(f"  bot (later) > {row.body}")
            after_id = row.id
    return after_id


def _latest_outbox_id() -> int:
    with session_scope() as session:
        return session.execute(select(func.max(OutboxMessage.id))).scalar() or 0


def chat(gateway_url: str) -> None:
    borrower = _demo_borrower()
    token = os.environ.get("TWILIO_AUTH_TOKEN") or DEV_TWILIO_AUTH_TOKEN
    twilio = SimulatedTwilio(gateway_url, token)
    print(
        "\nYou are the borrower of a demo account. Text as you would reply to a reminder.\n"
        f"  name {borrower['name']}, phone {borrower['phone']}, born {borrower['birth_date']},"
        f" ID ending {borrower['id_last4']}\n"
        "  try: hi / who is this / 03/14/1988 / 4821 / can i pay in 3 months / STOP / START\n"
        "  /quit to leave\n"
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
