"""What the actions write to the store: outcomes and account status changes.

Details carry what was agreed (dates, amounts, schedules) for the lender; identity answers
and message text never go in here, and nothing here is logged.
"""
from __future__ import annotations

from typing import Optional

import store.db
from actions.account_context import AccountContext, ensure_store
from store.models import Account
from store.outcomes import audit, record_outcome


def record(ctx: AccountContext, kind: str, details: Optional[dict] = None) -> None:
    ensure_store()
    with store.db.session_scope() as session:
        record_outcome(
            session, kind, account_id=ctx.account_id, conversation_id=ctx.conversation_id,
            phone=ctx.phone, details=details or {},
        )


def set_account_status(ctx: AccountContext, status: str, kind: str, details: Optional[dict] = None) -> None:
    """Records the outcome `kind` and, when the conversation reaches an account, moves the
    account to `status` in the same transaction (with an audit event saying why)."""
    ensure_store()
    with store.db.session_scope() as session:
        record_outcome(
            session, kind, account_id=ctx.account_id, conversation_id=ctx.conversation_id,
            phone=ctx.phone, details=details or {},
        )
        account = session.get(Account, ctx.account_id) if ctx.account_id else None
        if account is not None and account.status != status:
            previous, account.status = account.status, status
            audit(
                session, "bot", "account_status", account_id=account.account_id,
                conversation_id=ctx.conversation_id,
                details={"from": previous, "to": status, "because": kind},
            )
