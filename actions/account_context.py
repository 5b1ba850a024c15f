"""What an action knows about the conversation it answers: the Conversation row whose id is
the Rasa sender id, the account bound to it, the lender's policy and the current time.

The store is connected lazily, once per process, on first use (never at import time).
An account whose collection is paused (disputed, attorney or bankruptcy, wrong number, paid)
is not `reachable`: a conversation with it is treated as if it reached no account, so the
bot never collects on it and says only what it says to anyone (call the support line).
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional
from zoneinfo import ZoneInfo

import store.db
from actions import config
from language.wording import addressed_name  # noqa: F401  (re-exported for the actions)
from lending.identity import date_order
from lending.policy import Jurisdiction, Policy, current_policy
from store.accounts import get_account
from store.conversations import get_conversation
from store.models import Account, AccountStatus

_connect_lock = threading.Lock()
_store_ready = False


def ensure_store() -> None:
    """Binds this process to the store (DATABASE_URL) the first time an action needs it."""
    global _store_ready
    if _store_ready:
        return
    with _connect_lock:
        if not _store_ready:
            store.db.connect(config.database_url())
            _store_ready = True


def now_utc() -> dt.datetime:
    return config.frozen_now() or dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class AccountFacts:
    """A copy of the account taken when the action started (the session is closed after)."""

    account_id: str
    first_name: str
    timezone: str
    language: str
    currency: str
    principal: Decimal
    interest: Decimal
    fees: Decimal
    due_date: dt.date
    birth_date: dt.date
    id_last4: str
    status: str
    jurisdiction: Optional[str] = None  # the profile it is contacted under; None: the policy's

    @classmethod
    def of(cls, account: Account) -> "AccountFacts":
        return cls(
            account_id=account.account_id,
            first_name=addressed_name(account.name, account.language),
            timezone=account.timezone,
            language=account.language,
            currency=account.currency,
            principal=Decimal(account.principal),
            interest=Decimal(account.interest),
            fees=Decimal(account.fees),
            due_date=account.due_date,
            birth_date=account.birth_date,
            id_last4=account.id_last4,
            status=account.status,
            jurisdiction=account.jurisdiction,
        )

    @property
    def balance(self) -> Decimal:
        return self.principal + self.interest + self.fees


@dataclass(frozen=True)
class AccountContext:
    conversation_id: Optional[str]  # None when the store has no such conversation (e.g. `rasa shell`)
    phone: Optional[str]
    channel: Optional[str]
    account: Optional[AccountFacts]
    policy: Policy
    now: dt.datetime  # aware, UTC

    @property
    def reachable(self) -> bool:
        """Whether the bot may verify this borrower and talk about the debt at all."""
        return self.account is not None and self.account.status not in AccountStatus.PAUSED

    @property
    def account_id(self) -> Optional[str]:
        return self.account.account_id if self.account else None

    @property
    def timezone(self) -> str:
        """The borrower's time zone; the lender's agents' zone when no account is known."""
        return self.account.timezone if self.account else self.policy.lender.agent_hours.timezone

    @property
    def local_now(self) -> dt.datetime:
        return self.now.astimezone(ZoneInfo(self.timezone))

    @property
    def today(self) -> dt.date:
        """Today where the borrower is: due dates and promised days are their calendar days."""
        return self.local_now.date()

    @property
    def jurisdiction(self) -> str:
        """The account's jurisdiction profile name (the policy's when it names none)."""
        return (self.account.jurisdiction if self.account else None) or self.policy.jurisdiction

    @property
    def profile(self) -> Jurisdiction:
        """The rules this borrower is contacted under: statements, hours, SMS amounts."""
        return self.policy.profile_for(self.jurisdiction)

    @property
    def date_order(self) -> str:
        """How the borrower writes "3/4": month first in the US, day first elsewhere."""
        return date_order(self.jurisdiction)

    @property
    def language(self) -> str:
        return self.account.language if self.account else "en"


def load_context(sender_id: str) -> AccountContext:
    ensure_store()
    with store.db.session_scope() as session:
        conversation = get_conversation(session, sender_id)
        account = None
        if conversation is not None and conversation.account_id:
            found = get_account(session, conversation.account_id)
            if found is not None:
                account = AccountFacts.of(found)
        return AccountContext(
            conversation_id=conversation.id if conversation else None,
            phone=conversation.phone if conversation else None,
            channel=conversation.channel if conversation else None,
            account=account,
            policy=current_policy(),
            now=now_utc(),
        )
