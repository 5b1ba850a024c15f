"""What the store knows about accounts, read in bulk for a campaign run and one account
at a time for a send. Only the columns a campaign needs are read; identity facts
(birth date, ID digits) never are."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Dict, FrozenSet, Iterable, Iterator, Optional, Sequence

from sqlalchemy import BigInteger, select, type_coerce
from sqlalchemy.orm import Session

from lending.compliance import Borrower
from store.models import Account, AccountTag

CENT = Decimal("0.01")


@dataclass(frozen=True)
class AccountFacts:
    account_id: str
    name: str
    phone: str
    timezone: str
    language: str
    currency: str
    balance: Decimal
    due_date: dt.date
    status: str
    tags: FrozenSet[str] = frozenset()
    jurisdiction: Optional[str] = None  # None: the policy's profile
    vulnerable: bool = False  # the account's flag (store.models.Account.vulnerable)

    @property
    def borrower(self) -> Borrower:
        return Borrower(self.account_id, self.phone, self.timezone, self.status)


_COLUMNS = (
    Account.account_id, Account.name, Account.phone, Account.timezone, Account.language,
    Account.currency, type_coerce(Account.principal, BigInteger), type_coerce(Account.interest, BigInteger),
    type_coerce(Account.fees, BigInteger), Account.due_date, Account.status, Account.jurisdiction,
    Account.vulnerable,
)


def _cents(amount: Decimal) -> int:
    return int((Decimal(amount) * 100).to_integral_value())


def iter_accounts(
    session: Session, *, due_between: Optional[tuple] = None, min_balance: Optional[Decimal] = None,
    max_balance: Optional[Decimal] = None, account_ids: Optional[Sequence[str]] = None,
    tags: Optional[Dict[str, FrozenSet[str]]] = None, chunk: int = 5000,
) -> Iterator[AccountFacts]:
    """Accounts in account_id order, filtered in SQL where it is cheap: due dates
    between two days (inclusive), balance bounds, a list of ids."""
    total = (
        type_coerce(Account.principal, BigInteger) + type_coerce(Account.interest, BigInteger)
        + type_coerce(Account.fees, BigInteger)
    )
    query = select(*_COLUMNS).order_by(Account.account_id)
    if due_between is not None:
        query = query.where(Account.due_date >= due_between[0], Account.due_date <= due_between[1])
    if min_balance is not None:
        query = query.where(total >= _cents(min_balance))
    if max_balance is not None:
        query = query.where(total <= _cents(max_balance))
    if account_ids is not None:
        query = query.where(Account.account_id.in_(list(account_ids)))
    tags = tags or {}
    empty: FrozenSet[str] = frozenset()
    result = session.execute(query.execution_options(yield_per=chunk))
    for row in result:
        (account_id, name, phone, timezone, language, currency, principal, interest, fees,
         due_date, status, jurisdiction, vulnerable) = row
        yield AccountFacts(
            account_id=account_id, name=name, phone=phone, timezone=timezone, language=language,
            currency=currency, balance=(Decimal(principal + interest + fees) * CENT),
            due_date=due_date, status=status, tags=tags.get(account_id, empty),
            jurisdiction=jurisdiction, vulnerable=bool(vulnerable),
        )


def account_facts(session: Session, account_id: str) -> Optional[AccountFacts]:
    found = list(iter_accounts(session, account_ids=[account_id], tags=load_tags(session, [account_id])))
    return found[0] if found else None


def load_tags(session: Session, account_ids: Optional[Iterable[str]] = None) -> Dict[str, FrozenSet[str]]:
    query = select(AccountTag.account_id, AccountTag.tag)
    if account_ids is not None:
        query = query.where(AccountTag.account_id.in_(list(account_ids)))
    found = defaultdict(set)
    for account_id, tag in session.execute(query):
        found[account_id].add(tag)
    return {key: frozenset(value) for key, value in found.items()}
