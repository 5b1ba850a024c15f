"""Loading borrowers' accounts from CSV or JSON, one clear error per bad row."""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Iterable, List, Mapping, Optional
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Extra, ValidationError, condecimal, constr, validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.models import Account, AccountStatus, AccountTag

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
FIELDS = [
    "account_id", "name", "phone", "timezone", "language", "currency",
    "principal", "interest", "fees", "due_date", "birth_date", "id_last4",
]


class AccountRecord(BaseModel):
    """One account as a lender supplies it."""

    account_id: constr(strip_whitespace=True, min_length=1, max_length=64)
    name: constr(strip_whitespace=True, min_length=1, max_length=200)
    phone: str
    timezone: str
    language: constr(strip_whitespace=True, regex=r"^[a-z]{2}(-[A-Za-z]{2,4})?$")
    currency: constr(strip_whitespace=True, regex=r"^[A-Z]{3}$")
    principal: condecimal(ge=0, max_digits=14, decimal_places=2)
    interest: condecimal(ge=0, max_digits=14, decimal_places=2)
    fees: condecimal(ge=0, max_digits=14, decimal_places=2)
    due_date: dt.date
    birth_date: dt.date
    # Four digits; a Chinese ID number may end in the check character X (kept upper case).
    id_last4: constr(strip_whitespace=True, regex=r"^\d{3}[\dX]$")
    # Optional labels for campaign segments: "vip;new" in a CSV cell, or a JSON list.
    # Left out, an account keeps the tags it has.
    tags: Optional[List[constr(strip_whitespace=True, regex=r"^[a-z0-9_-]{1,40}$")]] = None

    class Config:
        extra = Extra.forbid

    @validator("tags", pre=True)
    def _split_tags(cls, value):
        if isinstance(value, str):
            return [tag.strip().lower() for tag in re.split(r"[;|,]", value) if tag.strip()]
        return value

    @validator("phone", pre=True)
    def _e164(cls, value):
        value = str(value).strip()
        if not E164.match(value):
            raise ValueError("must be in E.164 form, e.g. +15551234567")
        return value

    @validator("id_last4", pre=True)
    def _upper_x(cls, value):
        return str(value).strip().upper() if value is not None else value

    @validator("timezone")
    def _zone(cls, value):
        try:
            ZoneInfo(value.strip())
        except Exception:
            raise ValueError(f"{value!r} is not an IANA time zone, e.g. America/New_York") from None
        return value.strip()

    @validator("birth_date")
    def _past(cls, value):
        if value >= dt.date.today():
            raise ValueError("must be in the past")
        return value


@dataclass
class RowError:
    row: int  # 1-based data row (CSV: the header is row 0)
    account_id: Optional[str]
    errors: List[str]

    def __str__(self) -> str:
        who = f" ({self.account_id})" if self.account_id else ""
        return f"row {self.row}{who}: " + "; ".join(self.errors)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: List[RowError] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "errors": [
                {"row": e.row, "account_id": e.account_id, "errors": e.errors}
                for e in self.errors
            ],
        }


def _describe(error: ValidationError) -> List[str]:
    return [f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in error.errors()]


def import_records(session: Session, rows: Iterable[Mapping]) -> ImportReport:
    """Creates or updates each valid row; bad rows are reported and skipped."""
    report = ImportReport()
    seen = set()
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            report.errors.append(RowError(number, None, ["expected an object with account fields"]))
            continue
        clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
        account_id = str(clean.get("account_id") or "") or None
        try:
            record = AccountRecord(**clean)
        except ValidationError as exc:
            report.errors.append(RowError(number, account_id, _describe(exc)))
            continue
        if record.account_id in seen:
            report.errors.append(RowError(number, account_id, ["account_id: repeated in this file"]))
            continue
        seen.add(record.account_id)
        fields = record.dict(exclude={"tags"})
        existing = session.get(Account, record.account_id)
        if existing is None:
            session.add(Account(**fields, status=AccountStatus.ACTIVE))
            report.created += 1
        else:
            for name, value in fields.items():
                setattr(existing, name, value)
            report.updated += 1
        if record.tags is not None:
            set_tags(session, record.account_id, record.tags)
    return report


def set_tags(session: Session, account_id: str, tags: Iterable[str]) -> None:
    session.flush()  # the account row first: tags point at it
    session.execute(delete(AccountTag).where(AccountTag.account_id == account_id))
    session.add_all(AccountTag(account_id=account_id, tag=tag) for tag in sorted(set(tags)))


def import_csv(session: Session, stream: IO[str]) -> ImportReport:
    reader = csv.DictReader(stream)
    missing = [f for f in FIELDS if f not in (reader.fieldnames or [])]
    if missing:
        report = ImportReport()
        report.errors.append(RowError(0, None, [f"missing columns: {', '.join(missing)}"]))
        return report
    return import_records(session, reader)


def get_account(session: Session, account_id: str) -> Optional[Account]:
    return session.get(Account, account_id)


def find_by_phone(session: Session, phone: str) -> Optional[Account]:
    """The account a phone reaches; the earliest due when one phone has several."""
    query = select(Account).where(Account.phone == phone).order_by(Account.due_date)
    return session.execute(query).scalars().first()


def balance_breakdown(account: Account) -> dict:
    return {
        "principal": Decimal(account.principal),
        "interest": Decimal(account.interest),
        "fees": Decimal(account.fees),
        "total": Decimal(account.balance),
    }
