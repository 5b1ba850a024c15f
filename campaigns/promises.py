"""Promises to pay, followed up: kept once payments since the promise was made (up to
its date) cover its amount, broken once its date has passed in the borrower's time zone
without them. A newer promise on the same account replaces an open older one.

The next step is configuration: the promise follow-up campaign
(lender/campaigns/promise_follow_up.yml) reminds the day before the date and writes the
day after a broken promise; a kept promise leaves the account to the regular reminders
if anything is still owed.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Iterable, List, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.facts import aware, naive
from lending.compliance import zone
from store.models import (
    Account,
    AccountStatus,
    Outcome,
    OutcomeKind,
    Payment,
    PaymentPromise,
    PromiseState,
)
from store.outcomes import audit

log = logging.getLogger(__name__)


@dataclass
class ReviewReport:
    new: int = 0
    kept: List[str] = field(default_factory=list)  # account ids
    broken: List[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"new_promises": self.new, "kept": len(self.kept), "broken": len(self.broken)}


def sync(session: Session) -> int:
    """Starts following promise outcomes not followed yet; returns how many."""
    query = (
        select(Outcome)
        .outerjoin(PaymentPromise, PaymentPromise.outcome_id == Outcome.id)
        .where(Outcome.kind == OutcomeKind.PROMISE, Outcome.account_id.isnot(None),
               PaymentPromise.id.is_(None))
        .order_by(Outcome.created_at, Outcome.id)
    )
    added = 0
    for outcome in session.execute(query).scalars():
        details = outcome.details or {}
        try:
            promised_on = dt.date.fromisoformat(str(details.get("date")))
            amount = Decimal(str(details.get("amount")))
        except (ValueError, InvalidOperation):
            log.warning("promise outcome %s: no readable date or amount, not followed", outcome.id)
            continue
        account = session.get(Account, outcome.account_id)
        if account is None:
            continue
        for older in session.execute(
            select(PaymentPromise).where(PaymentPromise.account_id == account.account_id,
                                         PaymentPromise.state == PromiseState.OPEN)
        ).scalars():
            older.state, older.settled_at = PromiseState.REPLACED, outcome.created_at
        session.add(PaymentPromise(
            outcome_id=outcome.id, account_id=account.account_id, promised_on=promised_on,
            amount=amount, currency=details.get("currency") or account.currency,
            made_at=outcome.created_at, state=PromiseState.OPEN,
        ))
        session.flush()
        added += 1
    return added


def paid_towards(session: Session, promise: PaymentPromise, tz) -> Decimal:
    """Payments since the promise was made (its local day) up to its date."""
    made_on = aware(promise.made_at).astimezone(tz).date()
    total = session.execute(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.account_id == promise.account_id, Payment.paid_on >= made_on,
            Payment.paid_on <= promise.promised_on,
        )
    ).scalar_one()
    return Decimal(total)


def review(
    session: Session, now: dt.datetime, account_ids: Optional[Iterable[str]] = None,
    break_overdue: bool = True,
) -> ReviewReport:
    """Settles open promises: kept as soon as they are covered, broken once their date
    has passed uncovered (break_overdue=False: kept ones only, e.g. when payments come
    in, so that breaking a promise is left to the review that schedules its follow-up).
    Each verdict goes to the audit trail."""
    report = ReviewReport(new=sync(session))
    query = select(PaymentPromise).where(PaymentPromise.state == PromiseState.OPEN)
    if account_ids is not None:
        query = query.where(PaymentPromise.account_id.in_(list(account_ids)))
    for promise in session.execute(query.order_by(PaymentPromise.id)).scalars().all():
        account = session.get(Account, promise.account_id)
        tz = zone(account.timezone)
        paid = paid_towards(session, promise, tz)
        today = now.astimezone(tz).date()
        if paid >= promise.amount or account.status == AccountStatus.PAID:
            verdict = PromiseState.KEPT
        elif break_overdue and today > promise.promised_on:
            verdict = PromiseState.BROKEN
        else:
            continue
        promise.state, promise.paid, promise.settled_at = verdict, paid, naive(now)
        (report.kept if verdict == PromiseState.KEPT else report.broken).append(promise.account_id)
        audit(
            session, "campaigns", f"promise_{verdict}", account_id=promise.account_id,
            details={"promise_id": promise.id, "promised_on": promise.promised_on.isoformat(),
                     "amount": str(promise.amount), "paid": str(paid)},
        )
    return report
