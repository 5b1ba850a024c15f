"""Loading borrowers' accounts from CSV or JSON, one clear error per bad row."""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Collection, Iterable, List, Mapping, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lending.pydantic_v1 import BaseModel, Extra, ValidationError, condecimal, constr, validator
from store.consents import latest, record_consent
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
    # The jurisdiction profile (lender/jurisdictions/<name>.yml); left out, a new account
    # gets the policy's and an existing one keeps its own.
    jurisdiction: Optional[constr(strip_whitespace=True, regex=r"^[a-z][a-z0-9_]{0,15}$")] = None
    # When the borrower consented to automated texts / automated or AI-voice calls (ISO
    # time; without a zone, UTC). Left out or empty: nothing is recorded.
    consent_sms: Optional[dt.datetime] = None
    consent_voice: Optional[dt.datetime] = None
    # The lender's vulnerability flag (true/false); left out or empty, the account keeps its own.
    vulnerable: Optional[bool] = None

    class Config:
        extra = Extra.forbid

    @validator("tags", pre=True)
    def _split_tags(cls, value):
        if isinstance(value, str):
            return [tag.strip().lower() for tag in re.split(r"[;|,]", value) if tag.strip()]
        return value

    @validator("jurisdiction", "consent_sms", "consent_voice", pre=True)
    def _blank_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @validator("consent_sms", "consent_voice")
    def _consent_in_past(cls, value):
        if value is None:
            return value
        at = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        if at > dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5):
            raise ValueError("consent cannot be given in the future")
        return at.astimezone(dt.timezone.utc)

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


def import_records(
    session: Session, rows: Iterable[Mapping], *, jurisdictions: Optional[Collection[str]] = None,
    default_jurisdiction: Optional[str] = None, recorded_by: str = "accounts_file",
) -> ImportReport:
    """Creates or updates each valid row; bad rows are reported and skipped.
    `jurisdictions`: the profile names a row may give (None: any)."""
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
        if record.jurisdiction and jurisdictions is not None and record.jurisdiction not in jurisdictions:
            report.errors.append(RowError(number, account_id, [
                f"jurisdiction: no profile {record.jurisdiction!r} (one of {', '.join(sorted(jurisdictions))})"
            ]))
            continue
        seen.add(record.account_id)
        fields = record.dict(exclude={"tags", "consent_sms", "consent_voice", "jurisdiction", "vulnerable"})
        existing = session.get(Account, record.account_id)
        if existing is None:
            session.add(Account(**fields, status=AccountStatus.ACTIVE,
                                jurisdiction=record.jurisdiction or default_jurisdiction))
            report.created += 1
        else:
            for name, value in fields.items():
                setattr(existing, name, value)
            if record.jurisdiction:
                existing.jurisdiction = record.jurisdiction
            report.updated += 1
        if record.vulnerable is not None:
            session.flush()
            session.get(Account, record.account_id).vulnerable = record.vulnerable
        if record.tags is not None:
            set_tags(session, record.account_id, record.tags)
        for channel, at in (("sms", record.consent_sms), ("voice", record.consent_voice)):
            if at is not None:
                grant_once(session, record.phone, channel, at, record.account_id, recorded_by)
    return report


def grant_once(session: Session, phone: str, channel: str, at: dt.datetime, account_id: str,
               recorded_by: str) -> bool:
    """Records consent given at `at`, unless the ledger already holds anything as recent:
    loading the same file again neither repeats it nor undoes a later revocation."""
    session.flush()
    known = latest(session, phone, channel)
    if known is not None and known.at >= at:
        return False
    record_consent(session, phone, channel, True, source=recorded_by, recorded_by=recorded_by,
                   at=at, account_id=account_id)
    return True


def set_tags(session: Session, account_id: str, tags: Iterable[str]) -> None:
    session.flush()  # the account row first: tags point at it
    session.execute(delete(AccountTag).where(AccountTag.account_id == account_id))
    session.add_all(AccountTag(account_id=account_id, tag=tag) for tag in sorted(set(tags)))


def import_csv(session: Session, stream: IO[str], **options) -> ImportReport:
    reader = csv.DictReader(stream)
    missing = [f for f in FIELDS if f not in (reader.fieldnames or [])]
    if missing:
        report = ImportReport()
        report.errors.append(RowError(0, None, [f"missing columns: {', '.join(missing)}"]))
        return report
    return import_records(session, reader, **options)


def get_account(session: Session, account_id: str) -> Optional[Account]:
    return session.get(Account, account_id)


def account_language(session: Session, account_id: Optional[str]) -> Optional[str]:
    """The account's language tag (None: no such account). A conversation's:
    store.conversations.conversation_language."""
    if not account_id:
        return None
    return session.execute(select(Account.language).where(Account.account_id == account_id)).scalar_one_or_none()


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
