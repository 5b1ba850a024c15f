"""Arrangements in the store: opened with the agreement's outcome, met by payments, moved
through their statuses (lending/arrangements.py says which and when), every change in the
audit trail."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, Iterable, List, Optional, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from lending.arrangements import (
    PLAN_KINDS,
    ArrangementFacts,
    Instalment,
    allocate,
    check_transition,
    instalment_status,
    verdict,
)
from store.models import (
    Account,
    AccountStatus,
    Arrangement,
    ArrangementInstalment,
    ArrangementKind,
    ArrangementStatus,
    InstalmentStatus,
    Outcome,
    OutcomeKind,
    Payment,
    PaymentAllocation,
    utcnow,
)

Kind, Status = ArrangementKind, ArrangementStatus
# Outcome kind (and relief) -> arrangement kind.
_KIND_OF = {OutcomeKind.PROMISE: Kind.PROMISE, OutcomeKind.PLAN: Kind.PLAN,
            OutcomeKind.DEFERRAL: Kind.DEFERRAL}
RELIEF_KINDS = (Kind.REDUCED_PLAN, Kind.FEE_WAIVER, Kind.BREATHING_SPACE)


def _audit(session: Session, actor: str, action: str, arrangement: Arrangement, **details) -> None:
    from store.outcomes import audit  # store.outcomes opens arrangements: imported late

    audit(session, actor, action, account_id=arrangement.account_id,
          conversation_id=arrangement.conversation_id,
          details={"arrangement_id": arrangement.id, "kind": arrangement.kind, **details})


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(str(value))


def _local_day(account: Account, at: dt.datetime) -> dt.date:
    return at.astimezone(ZoneInfo(account.timezone)).date()


def _schedule(kind: str, details: dict) -> List[tuple]:
    """(number, due, amount) of the expected payments an agreement's details describe."""
    if kind == Kind.PROMISE:
        return [(1, _day(details["date"]), Decimal(str(details["amount"])))]
    return [(int(i["number"]), _day(i["due"]), Decimal(str(i["amount"])))
            for i in details.get("instalments") or []]


def open_for_outcome(session: Session, outcome: Outcome, *, actor: str) -> Optional[Arrangement]:
    """Opens the arrangement an agreement's outcome describes (promise, plan, deferral,
    relief), active at once: what needed a supervisor was approved before it was recorded.
    A new promise or plan replaces an active promise, a reduced plan an active plan too; a
    fee waiver writes the fees off."""
    account = session.get(Account, outcome.account_id) if outcome.account_id else None
    if account is None:
        return None
    details = outcome.details or {}
    kind = details.get("relief") if outcome.kind == OutcomeKind.RELIEF else _KIND_OF.get(outcome.kind)
    if kind not in Kind.ALL:
        raise ValueError(f"outcome {outcome.kind} opens no arrangement ({details.get('relief')!r})")
    agreed_at = outcome.created_at or utcnow()
    schedule = _schedule(kind, details) if kind in Kind.WITH_SCHEDULE else []
    ends_on = schedule[-1][1] if schedule else None
    if kind == Kind.DEFERRAL:
        ends_on = _day(details["new_due_date"])
    elif kind == Kind.BREATHING_SPACE:
        ends_on = _day(details["until"])
    if kind in Kind.WITH_SCHEDULE:
        # Reduced instalments (hardship) stand in for the plan the borrower cannot keep up.
        replaced = (Kind.PROMISE, *PLAN_KINDS) if kind == Kind.REDUCED_PLAN else (Kind.PROMISE,)
        for older in active(session, account.account_id, kinds=replaced):
            transition(session, older, Status.CANCELLED, actor=actor, because="replaced")
    arrangement = Arrangement(
        account_id=account.account_id, kind=kind, status=Status.ACTIVE, outcome_id=outcome.id,
        conversation_id=outcome.conversation_id, agreed_by=actor,
        approved_by=details.get("approved_by"), agreed_at=agreed_at,
        starts_on=_local_day(account, agreed_at), ends_on=ends_on,
        currency=details.get("currency") or account.currency,
        total=sum((amount for _, _, amount in schedule), Decimal(0)) if schedule else None,
        details={k: v for k, v in details.items() if k not in ("instalments", "by")},
        status_changed_at=agreed_at,
    )
    session.add(arrangement)
    session.flush()
    for number, due, amount in schedule:
        session.add(ArrangementInstalment(arrangement_id=arrangement.id, number=number, due_on=due,
                                          amount=amount, paid=Decimal(0)))
    _audit(session, actor, "arrangement_active", arrangement, ends_on=ends_on and ends_on.isoformat(),
           instalments=len(schedule))
    if kind == Kind.FEE_WAIVER:
        waived = account.fees
        account.fees = Decimal(0)
        arrangement.total = waived
        _audit(session, actor, "fees_waived", arrangement, amount=str(waived))
        transition(session, arrangement, Status.COMPLETED, actor=actor, because="fees_waived")
    session.flush()
    return arrangement


def transition(session: Session, arrangement: Arrangement, to: str, *, actor: str, because: str) -> None:
    """Moves an arrangement on (refusing a move lending.arrangements does not allow); the
    instalments still open when it is cancelled are cancelled with it."""
    check_transition(arrangement.status, to)
    previous, arrangement.status = arrangement.status, to
    arrangement.status_reason, arrangement.status_changed_at = because[:60], utcnow()
    if to == Status.CANCELLED:
        for instalment in instalments_of(session, arrangement):
            if instalment.status in (InstalmentStatus.DUE, InstalmentStatus.PART_PAID):
                instalment.status = InstalmentStatus.CANCELLED
    _audit(session, actor, f"arrangement_{to}", arrangement, previous=previous, because=because)


def cancel(session: Session, arrangement: Arrangement, *, actor: str, reason: str) -> None:
    """An agent (or a supervisor) ends an arrangement; the ladder takes the account back."""
    transition(session, arrangement, Status.CANCELLED, actor=actor, because=f"cancelled: {reason}"[:60])


def move_instalment(session: Session, arrangement: Arrangement, number: int, new_date: dt.date, *,
                    actor: str) -> ArrangementInstalment:
    """Moves one instalment's date (the caller checked lending.arrangements.date_move first)
    and counts the move on the arrangement."""
    row = next((r for r in instalments_of(session, arrangement) if r.number == number), None)
    if row is None or arrangement.status != Status.ACTIVE:
        raise ValueError(f"arrangement {arrangement.id} has no open instalment {number}")
    previous, row.due_on = row.due_on, new_date
    arrangement.details = {**(arrangement.details or {}), "date_moves": date_moves(arrangement) + 1}
    if arrangement.ends_on is None or new_date > arrangement.ends_on:
        arrangement.ends_on = new_date
    _audit(session, actor, "instalment_moved", arrangement, number=number,
           previous=previous.isoformat(), to=new_date.isoformat())
    session.flush()
    return row


def date_moves(arrangement: Arrangement) -> int:
    return int((arrangement.details or {}).get("date_moves", 0))


def instalments_of(session: Session, arrangement: Arrangement) -> List[ArrangementInstalment]:
    return list(session.execute(
        select(ArrangementInstalment).where(ArrangementInstalment.arrangement_id == arrangement.id)
        .order_by(ArrangementInstalment.due_on, ArrangementInstalment.number)
    ).scalars())


def active(session: Session, account_id: str, kinds: Optional[Sequence[str]] = None) -> List[Arrangement]:
    query = select(Arrangement).where(Arrangement.account_id == account_id,
                                      Arrangement.status == Status.ACTIVE)
    if kinds is not None:
        query = query.where(Arrangement.kind.in_(list(kinds)))
    return list(session.execute(query.order_by(Arrangement.id)).scalars())


def running_plans(session: Session, account_id: str) -> int:
    """The account's active plans, a reduced plan counting as one: what the policy's
    instalments.max_active_plans caps, for the bot and the console alike."""
    return len(active(session, account_id, kinds=PLAN_KINDS))


def for_account(session: Session, account_id: str) -> List[Arrangement]:
    return list(session.execute(
        select(Arrangement).where(Arrangement.account_id == account_id).order_by(Arrangement.id)
    ).scalars())


def _as_instalment(row: ArrangementInstalment) -> Instalment:
    return Instalment(row.number, row.due_on, Decimal(row.amount), Decimal(row.paid or 0))


def facts(
    session: Session, grace_days, account_ids: Optional[Iterable[str]] = None,
    statuses: Sequence[str] = (Status.ACTIVE, Status.BROKEN, Status.COMPLETED),
) -> Dict[str, List[ArrangementFacts]]:
    """Arrangements per account, as the planner and the gate read them, in two queries.
    `grace_days(kind)` is the policy's grace for a kind (lending.policy.Policy.grace_days)."""
    query = select(Arrangement).where(Arrangement.status.in_(list(statuses)))
    ids = list(account_ids) if account_ids is not None else None
    if ids is not None:
        query = query.where(Arrangement.account_id.in_(ids))
    rows = list(session.execute(query.order_by(Arrangement.id)).scalars())
    by_arrangement = defaultdict(list)
    if rows:
        numbers = [row.id for row in rows]
        for chunk in range(0, len(numbers), 5000):
            for inst in session.execute(
                select(ArrangementInstalment).where(
                    ArrangementInstalment.arrangement_id.in_(numbers[chunk:chunk + 5000]))
            ).scalars():
                by_arrangement[inst.arrangement_id].append(_as_instalment(inst))
    found: Dict[str, List[ArrangementFacts]] = defaultdict(list)
    for row in rows:
        found[row.account_id].append(ArrangementFacts(
            id=row.id, account_id=row.account_id, kind=row.kind, status=row.status,
            starts_on=row.starts_on, ends_on=row.ends_on, currency=row.currency,
            instalments=tuple(sorted(by_arrangement[row.id], key=lambda i: (i.due_on, i.number))),
            grace_days=grace_days(row.kind),
        ))
    return dict(found)


@dataclass
class AllocationReport:
    allocated: Decimal = Decimal(0)
    instalments_paid: int = 0
    completed: List[int] = field(default_factory=list)  # arrangement ids


def allocate_payment(session: Session, payment: Payment, *, actor: str, today: dt.date,
                     grace_days) -> AllocationReport:
    """Meets the account's active schedules with a payment, oldest arrangement first; an
    arrangement whose schedule is then paid is completed (also when the account is paid).
    A schedule already missed past its grace on `today` takes nothing: it is broken, and
    the payment only lowers the balance (the review writes the break down)."""
    report, left = AllocationReport(), Decimal(payment.amount)
    account = session.get(Account, payment.account_id)
    paid_off = account is not None and account.balance <= 0
    for arrangement in active(session, payment.account_id, kinds=Kind.WITH_SCHEDULE):
        rows = {row.number: row for row in instalments_of(session, arrangement)}
        if not paid_off and verdict(arrangement.kind, [_as_instalment(r) for r in rows.values()], today,
                                    grace_days(arrangement.kind), arrangement.ends_on) == Status.BROKEN:
            continue
        taken, left = allocate([_as_instalment(r) for r in rows.values()], left)
        for number, share in taken:
            row = rows[number]
            row.paid = Decimal(row.paid or 0) + share
            session.add(PaymentAllocation(payment_id=payment.id, instalment_id=row.id, amount=share))
            report.allocated += share
            row.status = instalment_status(_as_instalment(row), today, grace_days(arrangement.kind))
            if row.status == InstalmentStatus.PAID:
                row.settled_at = utcnow()
                report.instalments_paid += 1
        if taken:
            _audit(session, actor, "payment_allocated", arrangement, payment_reference=payment.reference,
                   instalments={str(n): str(a) for n, a in taken})
        schedule = [_as_instalment(r) for r in rows.values()]
        if (verdict(arrangement.kind, schedule, today, grace_days(arrangement.kind), arrangement.ends_on)
                == Status.COMPLETED or (account is not None and account.balance <= 0)):
            transition(session, arrangement, Status.COMPLETED, actor=actor, because="paid")
            report.completed.append(arrangement.id)
        if left <= 0:
            break
    session.flush()
    return report


@dataclass
class ReviewReport:
    completed: List[str] = field(default_factory=list)  # account ids
    broken: List[str] = field(default_factory=list)
    missed: int = 0  # instalments newly missed

    def as_dict(self) -> dict:
        return {"completed": len(self.completed), "broken": len(self.broken), "missed": self.missed}


def review(session: Session, now: dt.datetime, grace_days, account_ids: Optional[Iterable[str]] = None,
           *, actor: str = "campaigns", break_overdue: bool = True) -> ReviewReport:
    """Brings active arrangements up to the borrower's today: instalments missed past their
    grace, plans broken or completed, deferrals and breathing space over. break_overdue=False
    completes only (a payment import leaves breaking to the run that schedules the follow-up)."""
    report = ReviewReport()
    query = select(Arrangement).where(Arrangement.status == Status.ACTIVE)
    if account_ids is not None:
        query = query.where(Arrangement.account_id.in_(list(account_ids)))
    for arrangement in session.execute(query.order_by(Arrangement.id)).scalars().all():
        account = session.get(Account, arrangement.account_id)
        today = now.astimezone(ZoneInfo(account.timezone)).date()
        grace = grace_days(arrangement.kind)
        rows = instalments_of(session, arrangement)
        if break_overdue:
            for row in rows:
                status = instalment_status(_as_instalment(row), today, grace)
                if status == InstalmentStatus.MISSED and row.status != InstalmentStatus.MISSED:
                    row.status, row.settled_at = InstalmentStatus.MISSED, utcnow()
                    report.missed += 1
        outcome = verdict(arrangement.kind, [_as_instalment(r) for r in rows], today, grace, arrangement.ends_on)
        if account.status == AccountStatus.PAID and arrangement.kind in Kind.WITH_SCHEDULE:
            outcome = Status.COMPLETED
        if outcome == Status.BROKEN and not break_overdue:
            continue
        if outcome is not None:
            transition(session, arrangement, outcome, actor=actor,
                       because="account_paid" if account.status == AccountStatus.PAID else f"review_{outcome}")
            (report.completed if outcome == Status.COMPLETED else report.broken).append(arrangement.account_id)
    session.flush()
    return report


def as_json(session: Session, arrangement: Arrangement) -> dict:
    """What the operations API and the console show of an arrangement."""
    return {
        "id": arrangement.id, "kind": arrangement.kind, "status": arrangement.status,
        "status_reason": arrangement.status_reason, "agreed_by": arrangement.agreed_by,
        "approved_by": arrangement.approved_by,
        "agreed_at": arrangement.agreed_at.isoformat(),
        "starts_on": arrangement.starts_on.isoformat(),
        "ends_on": arrangement.ends_on.isoformat() if arrangement.ends_on else None,
        "currency": arrangement.currency,
        "total": str(arrangement.total) if arrangement.total is not None else None,
        "schedule": [
            {"number": row.number, "due_on": row.due_on.isoformat(), "amount": str(row.amount),
             "amount_paid": str(row.paid), "status": row.status}
            for row in instalments_of(session, arrangement)
        ],
    }
