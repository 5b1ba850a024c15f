"""Payments the lender reports, through `POST /api/payments` (JSON) or
`flask --app server payments load FILE.csv`.

Columns: account_id, amount, paid_on (ISO date), reference (the lender's unique id of the
payment), currency (optional; must be the account's). A reference seen before is counted
as a duplicate and skipped, so importing the same file twice changes nothing.

A payment lowers the account's balance (fees first, then interest, then principal); an
account paid in full moves to `paid`, which stops every campaign. It then meets the
schedule of the account's active promise or plan (store.arrangements.allocate_payment):
earliest unpaid instalment first, as the schedule stood on `paid_on` (the borrower's day
it was paid, so a payment made in time and reported late still counts in time, and one
made after a plan broke does not mend it). An instalment covered is paid, one partly
covered part-paid; a schedule paid in full, or an account paid in full, completes its
arrangement. Whatever is beyond the schedule stays applied to the balance. The next
accounts load sets balances to the lender's own figures.
"""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Iterable, List, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from lending.policy import Policy
from lending.pydantic_v1 import BaseModel, Extra, ValidationError, condecimal, constr
from store.accounts import RowError
from store.arrangements import allocate_payment
from store.models import Account, AccountStatus, Arrangement, ArrangementKind, Payment
from store.outcomes import audit

FIELDS = ["account_id", "amount", "paid_on", "reference"]


class PaymentRecord(BaseModel):
    account_id: constr(strip_whitespace=True, min_length=1, max_length=64)
    amount: condecimal(gt=0, max_digits=14, decimal_places=2)
    paid_on: dt.date
    reference: constr(strip_whitespace=True, min_length=1, max_length=64)
    currency: Optional[constr(strip_whitespace=True, regex=r"^[A-Z]{3}$")] = None

    class Config:
        extra = Extra.forbid


@dataclass
class PaymentReport:
    created: int = 0
    duplicates: int = 0
    errors: List[RowError] = field(default_factory=list)
    accounts_paid: int = 0
    instalments_paid: int = 0  # instalments these payments finished paying
    arrangements_completed: int = 0  # promises and plans now paid as agreed
    promises_kept: int = 0  # of which promises

    def as_dict(self) -> dict:
        return {
            "created": self.created, "duplicates": self.duplicates,
            "accounts_paid": self.accounts_paid, "instalments_paid": self.instalments_paid,
            "arrangements_completed": self.arrangements_completed, "promises_kept": self.promises_kept,
            "errors": [{"row": e.row, "account_id": e.account_id, "errors": e.errors}
                       for e in self.errors],
        }


def apply_payment(account: Account, amount: Decimal) -> None:
    """Fees first, then interest, then principal; never below zero."""
    left = Decimal(amount)
    for name in ("fees", "interest", "principal"):
        owed = Decimal(getattr(account, name))
        taken = min(owed, left)
        setattr(account, name, owed - taken)
        left -= taken


def import_payments(
    session: Session, rows: Iterable[Mapping], source: str, now: dt.datetime, policy: Policy
) -> PaymentReport:
    report = PaymentReport()
    seen = set()
    rows = list(rows)
    references = [str(r.get("reference", "")).strip() for r in rows if isinstance(r, Mapping)]
    known = set(session.execute(
        select(Payment.reference).where(Payment.reference.in_(references))
    ).scalars()) if references else set()
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            report.errors.append(RowError(number, None, ["expected an object with payment fields"]))
            continue
        clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
        if clean.get("currency") == "":
            clean.pop("currency")
        account_id = str(clean.get("account_id") or "") or None
        try:
            record = PaymentRecord(**clean)
        except ValidationError as exc:
            report.errors.append(RowError(
                number, account_id, [f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in exc.errors()]
            ))
            continue
        if record.reference in known or record.reference in seen:
            report.duplicates += 1
            continue
        account = session.get(Account, record.account_id)
        problems = []
        if account is None:
            problems.append("account_id: no such account")
        elif record.currency and record.currency != account.currency:
            problems.append(f"currency: the account is in {account.currency}")
        if record.paid_on > now.date() + dt.timedelta(days=1):
            problems.append("paid_on: in the future")
        if problems:
            report.errors.append(RowError(number, record.account_id, problems))
            continue
        seen.add(record.reference)
        payment = Payment(
            reference=record.reference, account_id=account.account_id, amount=record.amount,
            currency=account.currency, paid_on=record.paid_on, source=source,
        )
        session.add(payment)
        apply_payment(account, record.amount)
        audit(session, source, "payment", account_id=account.account_id,
              details={"reference": record.reference, "amount": str(record.amount),
                       "paid_on": record.paid_on.isoformat()})
        if account.balance <= 0 and account.status == AccountStatus.ACTIVE:
            account.status = AccountStatus.PAID
            audit(session, source, "account_status", account_id=account.account_id,
                  details={"from": AccountStatus.ACTIVE, "to": AccountStatus.PAID, "because": "payment"})
            report.accounts_paid += 1
        session.flush()
        allocated = allocate_payment(session, payment, actor=source, today=record.paid_on,
                                     grace_days=policy.grace_days)
        report.instalments_paid += allocated.instalments_paid
        for arrangement_id in allocated.completed:
            report.arrangements_completed += 1
            if session.get(Arrangement, arrangement_id).kind == ArrangementKind.PROMISE:
                report.promises_kept += 1
        report.created += 1
    return report


def import_payments_csv(
    session: Session, stream: IO[str], source: str, now: dt.datetime, policy: Policy
) -> PaymentReport:
    reader = csv.DictReader(stream)
    missing = [name for name in FIELDS if name not in (reader.fieldnames or [])]
    if missing:
        report = PaymentReport()
        report.errors.append(RowError(0, None, [f"missing columns: {', '.join(missing)}"]))
        return report
    return import_payments(session, reader, source, now, policy)
