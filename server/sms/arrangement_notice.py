"""The written confirmation of an arrangement: once a promise, a plan, a deferral or relief
is agreed, the borrower gets its schedule by SMS, in their language.

It leaves like any text the service sends in the borrower's conversation: through the one
SMS sender (server/sms/sender.py), which asks the compliance gate (an answer, kind REPLY) and
records the message. Amounts are stated only where the account's jurisdiction lets an SMS
state them (`sms_may_state_amount`).

Each arrangement is confirmed once. Before sending, the arrangement is claimed
(`details["confirmation"]` set, its row locked while that is decided), so two turns, a
redelivery or a retry never send it twice; what then happened is written there too
(sent, refused by the gate with its rule, or failed at Twilio) and in the audit trail.
Neither a refusal nor a failure is retried, and a claim whose process died stays `sending`
(in doubt, like a campaign attempt): an agent sees it on the account.

Who sends it: the gateway after each bot turn, by SMS (server/sms/webhook.py,
server/conversation/redelivery.py) and on a call (server/voice/webhook.py), for the arrangements the bot
agreed in that conversation; the console, for what an agent agreed, by calling
`send_confirmation`.
"""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import List, Optional, Sequence

from sqlalchemy import select, update

from language.wording import join_words, money, month_day
from lending.languages import is_chinese
from lending.policy import Policy
from server import services
from server.sms.sender import SendResult
from store.arrangements import instalments_of
from store.db import session_scope
from store.models import (
    Account,
    Arrangement,
    ArrangementInstalment,
    ArrangementKind,
    ArrangementStatus,
    Conversation,
    utcnow,
)
from store.outcomes import audit

log = logging.getLogger(__name__)

Kind = ArrangementKind
PATH = "arrangement_confirmation"
# What a confirmation is sent for: a fee waiver is completed the moment it is recorded.
CONFIRMED_STATUSES = (ArrangementStatus.ACTIVE, ArrangementStatus.COMPLETED)
SENDING, SENT, REFUSED, FAILED = "sending", "sent", "refused", "failed"


def confirmation_text(
    arrangement: Arrangement, schedule: Sequence[ArrangementInstalment], policy: Policy, *,
    language: Optional[str], may_state_amount: bool,
) -> str:
    """The SMS as the borrower reads it: the lender, what was agreed with its dates (and
    amounts where allowed), where to pay, and how to get help or opt out."""
    chinese = is_chinese(language)
    lang = "zh" if chinese else "en"
    currency = arrangement.currency

    def amount(value) -> str:
        return money(Decimal(value), currency, language=lang) if may_state_amount else ""

    agreed = _what_was_agreed(arrangement, schedule, amount, lang)
    link = policy.payment_link(arrangement.account_id)
    lender = policy.lender.name
    if chinese:
        pay = "" if arrangement.kind == Kind.BREATHING_SPACE else f"请通过 {link} 还款。"
        return f"{lender}：{agreed}{pay}回复“帮助”获取帮助，回复TD退订。"
    pay = "" if arrangement.kind == Kind.BREATHING_SPACE else f" Pay at {link}."
    return f"{lender}: {agreed}{pay} Reply HELP for help, STOP to opt out."


def _what_was_agreed(arrangement: Arrangement, schedule, amount, lang: str) -> str:
    chinese = lang == "zh"
    kind = arrangement.kind
    if kind == Kind.PROMISE:
        first = schedule[0]
        day, paid = month_day(first.due_on, language=lang), amount(first.amount)
        if chinese:
            return f"您已承诺在{day}前还款{paid}。"
        return f"you promised to pay{f' {paid}' if paid else ''} by {day}."
    if kind in (Kind.PLAN, Kind.REDUCED_PLAN):
        return _plan_words(kind, schedule, amount, lang)
    if kind == Kind.DEFERRAL:
        day = month_day(arrangement.ends_on, language=lang)
        return f"您的还款日已改为{day}。" if chinese else f"your due date is now {day}."
    if kind == Kind.FEE_WAIVER:
        waived = amount(arrangement.total or (arrangement.details or {}).get("amount") or 0)
        if chinese:
            return f"您的费用{waived}已免除。"
        return f"your fees{f' of {waived}' if waived else ''} are waived."
    if kind == Kind.BREATHING_SPACE:
        day = month_day(arrangement.ends_on, language=lang)
        if chinese:
            return f"暂缓期已确认：{day}及之前我们不会就您的账户联系您，您可随时在此回复。"
        return (f"your breathing space is agreed: we won't contact you about your account "
                f"through {day}. You can still write to us here.")
    raise ValueError(f"no confirmation wording for {kind!r}")


def _plan_words(kind: str, schedule, amount, lang: str) -> str:
    """'3 monthly payments of $151.16 on Dec 14, Jan 14 and Feb 14 (last $151.18)': the
    regular amount, and the last one where the remainder makes it differ."""
    chinese = lang == "zh"
    count = len(schedule)
    days = join_words([month_day(i.due_on, language=lang) for i in schedule], language=lang)
    regular, last = amount(schedule[0].amount), amount(schedule[-1].amount)
    differs = count > 1 and schedule[-1].amount != schedule[0].amount and last
    if chinese:
        what = "减额分期方案" if kind == Kind.REDUCED_PLAN else "分期方案"
        each = f"每期{regular}，" if regular else ""
        tail = f"（最后一期{last}）" if differs else ""
        text = f"您的{what}已确认：共{count}期，{each}还款日为{days}{tail}。"
        if kind == Kind.REDUCED_PLAN:
            text += "方案结束后，我们会与您商定余下的款项。"
        return text
    what = "reduced plan" if kind == Kind.REDUCED_PLAN else "plan"
    payments = "1 monthly payment" if count == 1 else f"{count} monthly payments"
    text = f"your {what} is agreed: {payments}{f' of {regular}' if regular else ''} on {days}"
    text += f" (last {last})." if differs else "."
    if kind == Kind.REDUCED_PLAN:
        text += " We'll review the rest with you when it ends."
    return text


def awaiting_confirmation(conversation_id: str, agreed_by: str = "bot") -> List[int]:
    """Arrangements agreed in this conversation (by `agreed_by`) that no confirmation has
    been sent or refused for yet, oldest first."""
    with session_scope() as session:
        rows = session.execute(
            select(Arrangement).where(
                Arrangement.conversation_id == conversation_id, Arrangement.agreed_by == agreed_by,
                Arrangement.status.in_(CONFIRMED_STATUSES),
            ).order_by(Arrangement.id)
        ).scalars().all()
        return [row.id for row in rows if "confirmation" not in (row.details or {})]


def _claim(arrangement_id: int, actor: str) -> Optional[dict]:
    """Marks the arrangement as being confirmed; None when another turn did first, or it
    is not one to confirm. Returns what the text needs."""
    with session_scope() as session:
        # Writing the row first takes its lock (SELECT ... FOR UPDATE does nothing on SQLite):
        # a second claimant waits here, then reads the first one's mark.
        session.execute(update(Arrangement).where(Arrangement.id == arrangement_id)
                        .values(details=Arrangement.details))
        arrangement = session.get(Arrangement, arrangement_id, populate_existing=True)
        if arrangement is None or "confirmation" in (arrangement.details or {}) \
                or arrangement.status not in CONFIRMED_STATUSES:
            return None
        arrangement.details = {**(arrangement.details or {}),
                               "confirmation": {"state": SENDING, "by": actor,
                                                "at": utcnow().strftime("%Y-%m-%dT%H:%M:%S")}}
        account = session.get(Account, arrangement.account_id)
        conversation = session.get(Conversation, arrangement.conversation_id) \
            if arrangement.conversation_id else None
        return {
            "arrangement": arrangement, "schedule": instalments_of(session, arrangement),
            "account": account,
            "phone": conversation.phone if conversation is not None else account.phone,
            "conversation_id": conversation.id if conversation is not None else None,
        }


def _record(arrangement_id: int, actor: str, result: Optional[SendResult] = None,
            error: Optional[str] = None) -> None:
    """What became of the confirmation: sent, refused by the gate, or failed in sending."""
    with session_scope() as session:
        arrangement = session.get(Arrangement, arrangement_id)
        mark = dict((arrangement.details or {}).get("confirmation") or {})
        if result is None:
            mark.update(state=FAILED, error=error)
            details = {"error": error}
        elif result.sent:
            mark.update(state=SENT, message_id=result.message_id)
            details = {"message_id": result.message_id, "via": result.via}
        else:
            refusal = result.refusal or {}
            mark.update(state=REFUSED, rule=result.reason, retry_at=refusal.get("retry_at"))
            details = {"rule": result.reason, "retry_at": refusal.get("retry_at")}
        arrangement.details = {**(arrangement.details or {}), "confirmation": mark}
        audit(session, actor, f"confirmation_{mark['state']}", account_id=arrangement.account_id,
              conversation_id=arrangement.conversation_id,
              details={"arrangement_id": arrangement.id, "kind": arrangement.kind, **details})


def send_confirmation(
    arrangement_id: int, *, actor: str, policy: Optional[Policy] = None,
    now: Optional[dt.datetime] = None, path: str = PATH,
) -> Optional[SendResult]:
    """Sends the borrower the written confirmation of arrangement `arrangement_id`, once.

    Call it inside an app context, after the transaction that recorded the agreement has
    committed (the claim, the gate and the message each use a transaction of their own), e.g.
    in the console, for the arrangement an agent's outcome opened:

        arrangement_id = db.execute(select(Arrangement.id)
                                    .where(Arrangement.outcome_id == outcome.id)).scalar()
        ...  # the transaction commits
        send_confirmation(arrangement_id, actor=current_user.actor)

    `actor` is who sends it as the audit trail names them ("gateway" after the bot's turns,
    `agent:<name>` from the console); `path` names the sender in the gate's audit entry. The
    text goes to the phone of the arrangement's conversation (the account's phone without
    one), as an answer in that conversation (the gate's REPLY: opt-outs, the account's
    state, contact hours with the reply window; without a message from the borrower in it,
    an agent's contact).

    Returns None when there is nothing to send (already sent, refused or failed before, the
    arrangement was cancelled, or another process is sending it), else the sender's
    SendResult: `sent`, or the gate's `reason` and `refusal`, written to
    `details["confirmation"]` and the audit trail (confirmation_sent, confirmation_refused).
    An error from Twilio is recorded (confirmation_failed) and raised."""
    svc = services()
    policy = policy or svc.policy
    claimed = _claim(arrangement_id, actor)
    if claimed is None:
        return None
    arrangement, account = claimed["arrangement"], claimed["account"]
    body = confirmation_text(
        arrangement, claimed["schedule"], policy, language=account.language,
        may_state_amount=policy.profile_for(account.jurisdiction).sms_may_state_amount,
    )
    try:
        result = svc.sender.send_sms(claimed["phone"], body, claimed["conversation_id"], actor=actor,
                                     path=path, now=now)
    except Exception as exc:
        # Twilio may or may not have taken it: recorded as failed, never tried again.
        _record(arrangement_id, actor, error=type(exc).__name__)
        log.exception("arrangement %s: the confirmation could not be sent", arrangement_id)
        raise
    _record(arrangement_id, actor, result)
    log.info("arrangement %s: confirmation %s", arrangement_id,
             "sent" if result.sent else f"refused ({result.reason})")
    return result


def confirm_agreed(conversation_id: Optional[str], *, path: str = PATH) -> List[SendResult]:
    """After a bot turn: confirms what the bot agreed in this conversation and has not yet
    confirmed. A failure is logged, never raised: the borrower's answer has gone already."""
    if not conversation_id:
        return []
    try:
        waiting = awaiting_confirmation(conversation_id)
    except Exception:  # the next turn looks again
        log.exception("conversation %s: confirmations not read", conversation_id)
        return []
    results = []
    for arrangement_id in waiting:
        try:
            result = send_confirmation(arrangement_id, actor="gateway", path=path)
        except Exception:
            continue  # logged by send_confirmation; the claim keeps it from going twice
        if result is not None:
            results.append(result)
    return results
