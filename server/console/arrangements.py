"""Changes an agent makes to an arrangement the borrower agreed: cancelling it, or moving
one instalment's date, under the same rules as the bot (lending/arrangements.py).

A move is checked by lending.arrangements.date_move; what it refuses is refused with the
rule's reason, and where the policy lists the rule under `exceptions.supervisor_may_approve`
the agent may ask a supervisor, as for an outcome (approval_requests). Cancelling needs a
supervisor's approval when the policy lists `arrangement_cancel` there; a supervisor cancels
directly. The store (store/arrangements.py) writes the arrangement's own audit events.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping, Optional

from sqlalchemy.orm import Session

from lending.arrangements import PLAN_KINDS, date_move
from lending.plans import Refusal
from lending.policy import Policy
from store.arrangements import cancel, date_moves, instalments_of, move_instalment
from store.models import Arrangement, ArrangementStatus, Handoff, InstalmentStatus

# What an approval request for a change is called (ApprovalRequest.kind).
CANCEL, MOVE = "arrangement_cancel", "instalment_move"
CHANGES = (CANCEL, MOVE)
REASON_LIMIT = 200
CANCEL_NEEDS_APPROVAL = Refusal(
    "arrangement_cancel", "The policy asks a supervisor to approve cancelling an arrangement.")
OPEN_INSTALMENT = (InstalmentStatus.DUE, InstalmentStatus.PART_PAID)


class ChangeInputError(ValueError):
    """The change cannot be read; the message says what to fix."""


class NotChangeable(ValueError):
    """The arrangement (or the instalment) is no longer open to the change; says why."""


@dataclass(frozen=True)
class Change:
    """A cancel or a date move as it would be made, and the rule that holds it back (if any)."""

    kind: str  # CANCEL or MOVE
    details: dict  # arrangement_id, and the reason (cancel) or number, from, to (move)
    refusal: Optional[Refusal] = None


def arrangement_of(session: Session, handoff: Handoff, arrangement_id: int) -> Optional[Arrangement]:
    """The arrangement, when it belongs to the account this conversation reaches."""
    arrangement = session.get(Arrangement, arrangement_id)
    if arrangement is None or arrangement.account_id != handoff.account_id:
        return None
    return arrangement


def _still_active(arrangement: Arrangement) -> None:
    if arrangement.status != ArrangementStatus.ACTIVE:
        raise NotChangeable(f"this {arrangement.kind.replace('_', ' ')} is already {arrangement.status}")


def _open_instalment(session: Session, arrangement: Arrangement, number: int):
    row = next((r for r in instalments_of(session, arrangement) if r.number == number), None)
    if row is None:
        raise ChangeInputError(f"number: this {arrangement.kind.replace('_', ' ')} has no instalment {number}")
    if row.status not in OPEN_INSTALMENT:
        raise NotChangeable(f"instalment {number} is {row.status.replace('_', ' ')}: its date cannot move")
    return row


def propose_cancel(arrangement: Arrangement, form: Mapping, policy: Policy, *, supervisor: bool) -> Change:
    reason = str(form.get("reason") or "").strip()[:REASON_LIMIT]
    if not reason:
        raise ChangeInputError("reason: say why the arrangement is cancelled")
    _still_active(arrangement)
    details = {"arrangement_id": arrangement.id, "arrangement_kind": arrangement.kind, "reason": reason}
    asks_supervisor = CANCEL_NEEDS_APPROVAL.rule in policy.exceptions.supervisor_may_approve
    return Change(CANCEL, details, CANCEL_NEEDS_APPROVAL if asks_supervisor and not supervisor else None)


def propose_move(session: Session, arrangement: Arrangement, form: Mapping, policy: Policy,
                 today: dt.date) -> Change:
    """Moving one instalment of a plan (or reduced plan) to a later date; a promise's date
    is changed by agreeing a new promise."""
    if arrangement.kind not in PLAN_KINDS:
        raise NotChangeable("only a plan's instalments can move; agree a new promise instead")
    _still_active(arrangement)
    try:
        number = int(str(form.get("number") or "").strip())
    except ValueError:
        raise ChangeInputError("number: which instalment (1, 2, ...)") from None
    try:
        new_date = dt.date.fromisoformat(str(form.get("date") or "").strip())
    except ValueError:
        raise ChangeInputError("date: a date like 2026-12-01") from None
    row = _open_instalment(session, arrangement, number)
    details = {"arrangement_id": arrangement.id, "arrangement_kind": arrangement.kind,
               "number": number, "from": row.due_on.isoformat(), "to": new_date.isoformat()}
    return Change(MOVE, details, date_move(row.due_on, new_date, today, policy, date_moves(arrangement)))


def apply_change(session: Session, change: Change, *, actor: str) -> Arrangement:
    """Makes the change (after a supervisor approved it, where one had to); the arrangement
    may have moved on since it was asked for."""
    arrangement = session.get(Arrangement, change.details["arrangement_id"])
    _still_active(arrangement)
    if change.kind == CANCEL:
        cancel(session, arrangement, actor=actor, reason=change.details["reason"])
    else:
        number = change.details["number"]
        _open_instalment(session, arrangement, number)
        move_instalment(session, arrangement, number, dt.date.fromisoformat(change.details["to"]),
                        actor=actor)
    session.flush()
    return arrangement
