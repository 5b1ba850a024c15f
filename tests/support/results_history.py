"""A hand-built history whose every result is known in advance (docs/results.md).

Three accounts in three time zones, five conversations, period 2026-11-02..04:
- NY (USD 450.00) is in two campaigns: a reminders SMS (Nov 2) and an overdue call (Nov 3);
  it promises 200.00 by Nov 10 in the reply to the SMS and keeps it with two part
  payments (120.00 on Nov 5, 80.00 on Nov 9); it answers the call at 23:50 its time on
  Nov 3 and opts out at 00:20 on Nov 4.
- SH (CNY 4,000.00, Chinese) gets an undelivered reminder, replies anyway, disputes the
  debt (handed to a person; two NLU fallbacks), pays 500.00 on Nov 4, and its carrier
  reports an opt-out outside any conversation.
- LA (USD 200.00) writes in before any sent attempt (its first was blocked), promises
  100.00 by Nov 6, pays 30.00 and asks for a person; a later SMS reaches someone else.
- The question after an agreement: NY rates its SMS conversation 4 with a comment; LA's is
  asked and passed over; NY's call would have had one, but the sender refused it.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from store.models import (
    Account,
    AttemptState,
    ContactAttempt,
    Conversation,
    FeedbackRequest,
    FeedbackStatus,
    Handoff,
    Message,
    Outcome,
    Payment,
    ReviewItem,
)

START, END = dt.date(2026, 11, 2), dt.date(2026, 11, 4)
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone.utc)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A UTC instant in November 2026."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.timezone.utc)


def _account(account_id, tz, language, currency, principal, phone):
    return Account(
        account_id=account_id, name="Test Borrower", phone=phone, timezone=tz, language=language,
        currency=currency, principal=Decimal(principal), interest=Decimal("0"), fees=Decimal("0"),
        due_date=dt.date(2026, 10, 20), birth_date=dt.date(1980, 1, 1), id_last4="1234",
    )


def _attempt(n, account, campaign, stage, channel, local_date, sent_at, state=AttemptState.SENT,
             delivery=None, answered=None):
    return ContactAttempt(
        idempotency_key=f"k{n}", source="campaign", campaign=campaign, stage=stage,
        account_id=account.account_id, phone=account.phone, channel=channel, language=account.language,
        local_date=local_date, state=state, not_before=sent_at or at(2, 0), sent_at=sent_at,
        delivery=delivery, answered=answered,
    )


def _conversation(cid, account, channel, started_at, inbound):
    rows = [Conversation(id=cid, channel=channel, phone=account.phone, account_id=account.account_id,
                         started_at=started_at, last_activity_at=started_at)]
    rows += [Message(conversation_id=cid, direction="in", channel=channel, phone=account.phone,
                     body="...", status="answered", created_at=started_at) for _ in range(inbound)]
    rows.append(Message(conversation_id=cid, direction="out", channel=channel, phone=account.phone,
                        body="...", status="sent", created_at=started_at))
    return rows


def _outcome(kind, account, cid, created_at, **details):
    return Outcome(kind=kind, account_id=account.account_id, conversation_id=cid, phone=account.phone,
                   details=details, created_at=created_at)


def build(session) -> None:
    ny = _account("ACC-NY", "America/New_York", "en", "USD", "450.00", "+15550000001")
    sh = _account("ACC-SH", "Asia/Shanghai", "zh", "CNY", "4000.00", "+8613800000002")
    la = _account("ACC-LA", "America/Los_Angeles", "en", "USD", "200.00", "+15550000003")
    session.add_all([ny, sh, la])
    session.flush()
    session.add_all([
        _attempt(1, ny, "reminders", "overdue", "sms", dt.date(2026, 11, 2), at(2, 14), delivery="delivered"),
        _attempt(2, ny, "overdue_calls", "early", "voice", dt.date(2026, 11, 3), at(3, 15), delivery="completed",
                 answered=True),
        _attempt(3, sh, "reminders", "due_soon", "sms", dt.date(2026, 11, 3), at(3, 2), delivery="undelivered"),
        _attempt(4, la, "reminders", "overdue", "sms", dt.date(2026, 11, 2), None, state=AttemptState.BLOCKED),
        _attempt(5, la, "reminders", "overdue", "sms", dt.date(2026, 11, 4), at(4, 18), delivery="delivered"),
        # Outside the period: neither counted nor attributed to anything in it.
        _attempt(6, la, "reminders", "overdue", "sms", dt.date(2026, 11, 8), at(8, 18), delivery="delivered"),
    ])
    session.add_all(
        _conversation("c-1", ny, "sms", at(2, 15), 3)
        + _conversation("c-2", ny, "voice", at(4, 4, 50), 2)  # 23:50 on Nov 3 in New York
        + _conversation("c-3", sh, "sms", at(3, 3), 4)
        + _conversation("c-4", la, "sms", at(4, 19), 1)
        + _conversation("c-5", la, "sms", at(2, 17), 5)
    )
    session.flush()
    session.add_all([
        _outcome("verified", ny, "c-1", at(2, 15, 2)),
        _outcome("promise", ny, "c-1", at(2, 15, 5), date="2026-11-10", amount="200.00", currency="USD"),
        _outcome("verified", ny, "c-2", at(4, 4, 52)),
        _outcome("opt_out", ny, "c-2", at(4, 5, 20), channel="voice"),  # 00:20 on Nov 4 in New York
        _outcome("verified", sh, "c-3", at(3, 3, 1)),
        _outcome("dispute", sh, "c-3", at(3, 3, 3)),
        _outcome("escalation", sh, "c-3", at(3, 3, 3), reason="dispute_debt"),
        _outcome("opt_out", sh, None, at(4, 1), channel="sms"),  # 09:00 on Nov 4 in Shanghai
        _outcome("wrong_number", la, "c-4", at(4, 19, 1)),
        _outcome("verified", la, "c-5", at(2, 17, 2)),
        _outcome("promise", la, "c-5", at(2, 17, 10), date="2026-11-06", amount="100.00", currency="USD"),
        _outcome("escalation", la, "c-5", at(2, 17, 12), reason="request_human"),
        Handoff(conversation_id="c-3", account_id=sh.account_id, channel="sms", reason="dispute_debt",
                priority=2, queued_at=at(3, 3, 3)),
        Handoff(conversation_id="c-5", account_id=la.account_id, channel="sms", reason="request_human",
                priority=3, queued_at=at(2, 17, 12)),
        ReviewItem(conversation_id="c-3", channel="sms", language="zh", text="...", normalised="...",
                   intent="nlu_fallback", confidence=0.2, fell_back=True, reason="fallback", seen=2),
        ReviewItem(conversation_id="c-1", channel="sms", language="en", text="ok", normalised="ok",
                   intent="affirm", confidence=0.99, fell_back=False, reason="sample", seen=1),
        Payment(reference="p1", account_id=ny.account_id, amount=Decimal("120.00"), currency="USD",
                paid_on=dt.date(2026, 11, 5), source="api"),
        Payment(reference="p2", account_id=ny.account_id, amount=Decimal("80.00"), currency="USD",
                paid_on=dt.date(2026, 11, 9), source="api"),
        Payment(reference="p3", account_id=sh.account_id, amount=Decimal("500.00"), currency="CNY",
                paid_on=dt.date(2026, 11, 4), source="csv"),
        Payment(reference="p4", account_id=la.account_id, amount=Decimal("30.00"), currency="USD",
                paid_on=dt.date(2026, 11, 5), source="api"),
        FeedbackRequest(conversation_id="c-1", account_id=ny.account_id, campaign="reminders", channel="sms",
                        outcome="promise", status=FeedbackStatus.ANSWERED, score=4, comment="quick and easy",
                        asked_at=at(2, 15, 6), answered_at=at(2, 15, 9)),
        FeedbackRequest(conversation_id="c-5", account_id=la.account_id, channel="sms", outcome="promise",
                        status=FeedbackStatus.PASSED, asked_at=at(2, 17, 11)),
        FeedbackRequest(conversation_id="c-2", account_id=ny.account_id, campaign="overdue_calls",
                        channel="voice", outcome="promise", status=FeedbackStatus.NOT_SENT,
                        reason="opted_out", asked_at=at(4, 5, 21)),
    ])
    session.flush()
