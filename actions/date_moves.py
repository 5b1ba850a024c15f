"""Moving one instalment of a running plan to a later date, inside the policy
(`instalments.max_date_move_days` and `max_date_moves`, lending.arrangements.date_move): what
moving a date means for a borrower with a plan, whose plan, not the account's due date, says
when they pay. The deferral form does it (actions/deferral.py) whichever way it was asked for:
"can I pay the March one on the 20th instead" or "can I have more time".

The instalment is the one the borrower names ("the March one", "my second payment"), else
the next one to pay; a bare day of the month ("the 20th") is read beside it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import List, Optional
from zoneinfo import ZoneInfo

import store.db
from actions.account_context import AccountContext, ensure_store
from language import parse_date
from language.instalments import Reference, named_instalment, names_day_of_month_only
from language.wording import money, short_date
from lending.arrangements import PLAN_KINDS, date_move
from lending.plans import Refusal
from store import arrangements
from store.models import Arrangement, ArrangementInstalment, ArrangementStatus

ACTOR = "bot"


@dataclass(frozen=True)
class Move:
    """The instalment a date move is about, as the `date_move` slot keeps it."""

    arrangement_id: int
    number: int
    due: dt.date
    amount: Decimal  # what is still to pay of it
    moves: int  # the plan's dates moved so far

    def as_slot(self) -> dict:
        return {"arrangement_id": self.arrangement_id, "number": self.number,
                "due": self.due.isoformat(), "amount": str(self.amount), "moves": self.moves}

    @classmethod
    def of_slot(cls, value: dict) -> "Move":
        return cls(int(value["arrangement_id"]), int(value["number"]),
                   dt.date.fromisoformat(value["due"]), Decimal(value["amount"]), int(value["moves"]))


def _named(unpaid: List[ArrangementInstalment], reference: Optional[Reference]) -> Optional[ArrangementInstalment]:
    if reference is None:
        return None
    how, value = reference
    for row in unpaid:
        if (how == "month" and row.due_on.month == value) or (how == "number" and row.number == value):
            return row
    return None


def instalment_to_move(ctx: AccountContext, text: str) -> Optional[Move]:
    """The instalment of the running plan that `text` names, else its next one to pay; None
    when no plan is running."""
    ensure_store()
    with store.db.session_scope() as session:
        plans = arrangements.active(session, ctx.account_id, kinds=PLAN_KINDS)
        if not plans:
            return None
        plan = plans[-1]
        unpaid = [row for row in arrangements.instalments_of(session, plan) if row.paid < row.amount]
        if not unpaid:
            return None
        chosen = _named(unpaid, named_instalment(text, language=ctx.language)) or unpaid[0]
        return Move(plan.id, chosen.number, chosen.due_on, Decimal(chosen.amount) - Decimal(chosen.paid),
                    arrangements.date_moves(plan))


def limit_reached(ctx: AccountContext, move: Move) -> bool:
    """Whether the plan had all the date moves the policy allows (no date can help)."""
    refusal = date_move(move.due, move.due + dt.timedelta(days=1), ctx.today, ctx.policy, move.moves)
    return isinstance(refusal, Refusal) and refusal.rule == "date_move_limit"


def read_new_date(ctx: AccountContext, text: str, move: Move) -> Optional[dt.date]:
    """The day `text` names, counted from today; a bare day of the month ("the 20th") is read
    beside the instalment instead: that day in its month or the next, whichever is nearer
    ("the March one on the 20th" is March 20, "the 3rd" for an instalment of Jan 28 Feb 3)."""
    def parse(now: dt.datetime) -> Optional[dt.date]:
        return parse_date(text, ctx.timezone, now=now, date_order=ctx.date_order, language=ctx.language)

    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo(ctx.timezone))

    if not names_day_of_month_only(text, language=ctx.language):
        return parse(ctx.now)
    candidates = [d for d in (parse(at(move.due.replace(day=1))), parse(at(move.due + dt.timedelta(days=1)))) if d]
    return min(candidates, key=lambda d: abs((d - move.due).days), default=None)


def check(ctx: AccountContext, move: Move, new_date: dt.date) -> Optional[Refusal]:
    return date_move(move.due, new_date, ctx.today, ctx.policy, move.moves)


def earliest(ctx: AccountContext, move: Move) -> dt.date:
    """The day a new date must come after: the instalment's, or yesterday once it passed."""
    return max(move.due, ctx.today - dt.timedelta(days=1))


def latest(ctx: AccountContext, move: Move) -> dt.date:
    return move.due + dt.timedelta(days=ctx.policy.instalments.max_date_move_days)


def apply(ctx: AccountContext, move: Move, new_date: dt.date) -> bool:
    """Moves the instalment, checked again against the plan as it is now (a date moved on
    another channel meanwhile, a plan ended); False when it may no longer move."""
    ensure_store()
    with store.db.session_scope() as session:
        plan = session.get(Arrangement, move.arrangement_id)
        if plan is None or plan.status != ArrangementStatus.ACTIVE:
            return False
        if date_move(move.due, new_date, ctx.today, ctx.policy, arrangements.date_moves(plan)) is not None:
            return False
        arrangements.move_instalment(session, plan, move.number, new_date, actor=ACTOR)
        return True


def wording(ctx: AccountContext, move: Move, new_date: Optional[dt.date] = None) -> dict:
    values = {
        "amount": money(move.amount, ctx.account.currency, language=ctx.language),
        "due": short_date(move.due, language=ctx.language),
    }
    if new_date is not None:
        values["date"] = short_date(new_date, language=ctx.language)
    return values
