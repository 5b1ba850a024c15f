"""Outcomes an agent records, checked by the same rules as the bot's (lending/plans.py,
lending/relief.py).

A promise, a plan, a deferral, hardship relief (a reduced plan, a fee waiver, breathing
space), a dispute, a payment the borrower says was made, a callback, or an opt-out the
borrower asked the agent for. What the rules refuse is refused for the agent too, with the
rule's reason; when the policy lists the rule under `exceptions.supervisor_may_approve`, the
agent may ask a supervisor, and the outcome is recorded once the supervisor approves it (a
supervisor holding the conversation approves their own). Outcomes carry who recorded them
and in which handoff; an agreement opens its arrangement (store/arrangements.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import List, Mapping, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from language.wording import join_words, money, month_day, short_date
from lending import relief
from lending.languages import is_chinese
from lending.money import to_money
from lending.plans import PlanOffer, Refusal, deferral, instalment_plan, promise_date
from lending.policy import Policy
from store.arrangements import running_plans
from store.models import (
    Account,
    AccountStatus,
    Arrangement,
    Conversation,
    Handoff,
    Outcome,
    OutcomeKind,
)
from store.outcomes import audit, count_since, record_outcome, set_opt_out

# What the console's form says -> the outcome kind the reports know.
KINDS = {
    "promise": OutcomeKind.PROMISE,
    "plan": OutcomeKind.PLAN,
    "deferral": OutcomeKind.DEFERRAL,
    "relief": OutcomeKind.RELIEF,  # details["relief"]: one of RELIEF_OPTIONS
    "dispute": OutcomeKind.DISPUTE,
    "paid": OutcomeKind.ALREADY_PAID,
    "callback": OutcomeKind.CALLBACK,
    "opt_out": OutcomeKind.OPT_OUT,  # the borrower told the agent to stop (texts, calls, or both)
}
OPT_OUT_CHANNELS = {"sms": ("sms",), "voice": ("voice",), "both": ("sms", "voice")}
RELIEF_OPTIONS = (relief.REDUCED_PLAN, relief.FEE_WAIVER, relief.BREATHING_SPACE)
NEEDS_ACCOUNT = {"promise", "plan", "deferral", "relief", "dispute", "paid"}
NOTE_LIMIT = 500


class OutcomeInputError(ValueError):
    """The form is incomplete or unreadable; the message says what to fix."""


@dataclass(frozen=True)
class Proposal:
    """An outcome as it would be recorded, and the rule that refuses it (if any)."""

    kind: str  # an OutcomeKind
    details: dict
    refusal: Optional[Refusal] = None
    account_status: Optional[str] = None  # where the account moves when it is recorded


def borrower_now(account: Optional[Account], policy: Policy, now: dt.datetime) -> dt.datetime:
    zone = account.timezone if account is not None else policy.lender.agent_hours.timezone
    return now.astimezone(ZoneInfo(zone))


def without_instalment_limits(policy: Policy, months: int) -> Policy:
    """The policy a supervisor approves a plan under: the same arithmetic, without the limits."""
    rules = policy.instalments
    relaxed = rules.copy(update={
        "min_months": 1, "max_months": max(months, rules.max_months),
        "min_instalment": Decimal("0.01"), "max_active_plans": 10**6,
    })
    return policy.copy(update={"instalments": relaxed})


def exception_plan(balance: Decimal, months: int, today: dt.date, policy: Policy) -> PlanOffer:
    """The schedule a supervisor approves beyond the instalment limits."""
    offer = instalment_plan(balance, months, today, without_instalment_limits(policy, months))
    if isinstance(offer, Refusal):  # nothing owed: not something anyone can approve
        raise OutcomeInputError(offer.reason)
    return offer


def plan_limit(session: Session, account_id: str, policy: Policy) -> Optional[Refusal]:
    """"One plan at a time" (instalments.max_active_plans) for a reduced plan, counted as the
    bot counts it for a plan (store.arrangements.running_plans)."""
    if running_plans(session, account_id) >= policy.instalments.max_active_plans:
        return Refusal("plan_limit", "The account already has the most plans the policy allows.")
    return None


def deferrals_last_12_months(session: Session, account_id: str, now: dt.datetime) -> int:
    """Deferrals granted in the last 12 months, as the bot counts them (actions/deferral.py)."""
    since = now - dt.timedelta(days=365)
    return count_since(session, account_id, OutcomeKind.DEFERRAL, since)


def _date(form: Mapping, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(form.get(field) or "").strip())
    except ValueError:
        raise OutcomeInputError(f"{field}: a date like 2026-12-01") from None


def _note(form: Mapping) -> str:
    return str(form.get("note") or "").strip()[:NOTE_LIMIT]


def _whole(form: Mapping, field: str, unit: str, most: int) -> int:
    try:
        value = int(str(form.get(field) or "").strip())
    except ValueError:
        raise OutcomeInputError(f"{field}: a whole number of {unit}") from None
    if not 1 <= value <= most:
        raise OutcomeInputError(f"{field}: between 1 and {most}")
    return value


def _relief(session: Session, account: Account, form: Mapping, policy: Policy, today: dt.date) -> Proposal:
    """A reduced plan, a fee waiver or breathing space, as lending/relief.py allows them."""
    option = str(form.get("relief") or "")
    if option == relief.REDUCED_PLAN:
        months = _whole(form, "months", "months", 60)
        offer = relief.reduced_plan(account.balance, months, today, policy)
        # A reduced plan stands in for a plan: "one plan at a time" applies to it too.
        refusals = [r for r in (plan_limit(session, account.account_id, policy), offer) if isinstance(r, Refusal)]
        approvable = policy.exceptions.supervisor_may_approve
        final = next((r for r in refusals if r.rule not in approvable), None)
        if final is not None:
            return Proposal(OutcomeKind.RELIEF, {"relief": option, "months": months}, final)
        if isinstance(offer, Refusal):  # what a supervisor may approve: the schedule beyond the limits
            offer = relief.reduced_plan(account.balance, months, today, without_instalment_limits(policy, months))
            if isinstance(offer, Refusal):
                raise OutcomeInputError(offer.reason)
        return Proposal(OutcomeKind.RELIEF, {**offer, "currency": account.currency},
                        refusals[0] if refusals else None)
    if option == relief.FEE_WAIVER:
        offer = relief.fee_waiver(account.fees, policy)
    elif option == relief.BREATHING_SPACE:
        days = _whole(form, "days", "days", 365) if str(form.get("days") or "").strip() else 0
        offer = relief.breathing_space(today, policy, days)  # 0: the policy's length
    else:
        raise OutcomeInputError(f"relief: one of {', '.join(RELIEF_OPTIONS)}")
    if isinstance(offer, Refusal):
        return Proposal(OutcomeKind.RELIEF, {"relief": option}, offer)
    return Proposal(OutcomeKind.RELIEF, {**offer, "currency": account.currency})


def propose(
    session: Session, handoff: Handoff, form: Mapping, policy: Policy, now: dt.datetime
) -> Proposal:
    """Reads the agent's form and checks it against the policy."""
    choice = str(form.get("kind") or "")
    if choice not in KINDS:
        raise OutcomeInputError(f"kind: one of {', '.join(KINDS)}")
    account = session.get(Account, handoff.account_id) if handoff.account_id else None
    if choice in NEEDS_ACCOUNT and account is None:
        raise OutcomeInputError("this conversation reaches no account")
    local_now = borrower_now(account, policy, now)
    today = local_now.date()

    if choice == "promise":
        day = _date(form, "date")
        balance = account.balance
        try:
            amount = to_money(form.get("amount")) if form.get("amount") else balance
        except ValueError:
            raise OutcomeInputError("amount: a number like 120.00") from None
        if amount <= 0 or amount > balance:
            raise OutcomeInputError(f"amount: more than 0 and at most the balance {balance}")
        details = {"date": day.isoformat(), "amount": str(amount), "currency": account.currency}
        return Proposal(OutcomeKind.PROMISE, details, promise_date(day, today, policy))

    if choice == "plan":
        months = _whole(form, "months", "months", 60)
        active = running_plans(session, account.account_id)
        offer = instalment_plan(account.balance, months, today, policy, active_plans=active)
        if isinstance(offer, Refusal):
            refusal = offer
            if refusal.rule not in policy.exceptions.supervisor_may_approve:
                return Proposal(OutcomeKind.PLAN, {"months": months}, refusal)
            offer = exception_plan(account.balance, months, today, policy)
        else:
            refusal = None
        return Proposal(OutcomeKind.PLAN, {**offer.as_dict(), "currency": account.currency}, refusal)

    if choice == "deferral":
        day = _date(form, "date")
        base = max(account.due_date, today)  # as the bot counts: from the due date, or today once passed
        if day <= base:
            raise OutcomeInputError(f"date: a new due date after {base.isoformat()}")
        days = (day - base).days
        details = {"new_due_date": day.isoformat(), "previous_due_date": account.due_date.isoformat(),
                   "days": days}
        new_due = deferral(account.due_date, days, today, policy,
                           deferrals_last_12_months(session, account.account_id, now))
        return Proposal(OutcomeKind.DEFERRAL, details, new_due if isinstance(new_due, Refusal) else None)

    if choice == "relief":
        return _relief(session, account, form, policy, today)

    if choice == "opt_out":
        channels = OPT_OUT_CHANNELS.get(str(form.get("channel") or handoff.channel))
        if channels is None:
            raise OutcomeInputError(f"channel: one of {', '.join(OPT_OUT_CHANNELS)}")
        return Proposal(OutcomeKind.OPT_OUT, {"channels": list(channels), "note": _note(form)})

    if choice in ("dispute", "paid"):
        details = {"note": _note(form)}
        if choice == "paid" and form.get("date"):
            details["paid_on"] = _date(form, "date").isoformat()
        # As when the bot records them: collection pauses until a person resolves it.
        return Proposal(KINDS[choice], details, account_status=AccountStatus.DISPUTED)

    # callback: a local date and time in the borrower's time zone, inside contact hours
    raw = str(form.get("at") or "").strip()
    try:
        local = dt.datetime.fromisoformat(raw).replace(tzinfo=local_now.tzinfo)
        at = local.astimezone(dt.timezone.utc)  # 0001-01-01 east of UTC overflows
    except (ValueError, OverflowError):
        raise OutcomeInputError("at: a date and time like 2026-12-01T14:30") from None
    details = {
        "at": at.isoformat(), "local": local.strftime("%Y-%m-%d %H:%M"),
        "timezone": str(local_now.tzinfo), "note": _note(form),
    }
    hours = policy.profile_for(account.jurisdiction if account is not None else None).contact_hours
    if local <= local_now:
        return Proposal(OutcomeKind.CALLBACK, details, Refusal("callback_in_past", "That time has already passed."))
    if not hours.start <= local.time() < hours.end:
        return Proposal(OutcomeKind.CALLBACK, details, Refusal(
            "callback_outside_contact_hours",
            f"Calls are allowed {hours.start:%H:%M}-{hours.end:%H:%M} in the borrower's time zone.",
        ))
    return Proposal(OutcomeKind.CALLBACK, details)


@dataclass(frozen=True)
class Recorded:
    outcome: Outcome
    arrangement: Optional[Arrangement]  # what an agreement opened; None for other outcomes


def record(
    session: Session, handoff: Handoff, proposal: Proposal, actor: str, **extra: str
) -> Recorded:
    """Records the outcome (and the account's new status) with who recorded it; an agreement
    opens its arrangement, agreed by `actor` and approved by `extra["approved_by"]`."""
    conversation = session.get(Conversation, handoff.conversation_id)
    details = {**proposal.details, "by": actor, "handoff_id": handoff.id, **extra}
    outcome = record_outcome(
        session, proposal.kind, account_id=handoff.account_id,
        conversation_id=handoff.conversation_id, phone=conversation.phone, details=details,
    )
    if proposal.kind == OutcomeKind.OPT_OUT:
        # Stops the channels at once and revokes consent in the ledger ("agent").
        for channel in proposal.details["channels"]:
            set_opt_out(session, conversation.phone, channel, True, how="agent", recorded_by=actor,
                        account_id=handoff.account_id)
    account = session.get(Account, handoff.account_id) if handoff.account_id else None
    if proposal.account_status and account is not None and account.status != proposal.account_status:
        previous, account.status = account.status, proposal.account_status
        audit(
            session, actor, "account_status", account_id=account.account_id,
            conversation_id=handoff.conversation_id,
            details={"from": previous, "to": proposal.account_status, "because": proposal.kind},
        )
    session.flush()
    arrangement = session.execute(
        select(Arrangement).where(Arrangement.outcome_id == outcome.id)
    ).scalar_one_or_none()
    return Recorded(outcome, arrangement)


def describe(outcome: Outcome, policy: Policy, *, language: Optional[str] = "en",
             jurisdiction: Optional[str] = None) -> List[str]:
    """The borrower's words for what was agreed, for the SMS sent on handing back, in the
    account's language. Amounts only where the account's jurisdiction lets an SMS state them."""
    details = outcome.details or {}
    amounts = policy.profile_for(jurisdiction).sms_may_state_amount
    currency = details.get("currency", "USD")
    chinese = is_chinese(language)
    if outcome.kind == OutcomeKind.PROMISE:
        day = short_date(dt.date.fromisoformat(details["date"]), language=language)
        amount = money(Decimal(details["amount"]), currency, language=language) if amounts else ""
        if chinese:
            return [f"{day}前还款{amount}"]
        return [f"a payment{f' of {amount}' if amount else ''} by {day}"]
    if outcome.kind == OutcomeKind.PLAN:
        first = details["instalments"][0]
        day = month_day(dt.date.fromisoformat(first["due"]), language=language)
        amount = money(Decimal(first["amount"]), currency, language=language) if amounts else ""
        months = details["months"]
        if chinese:
            return [f"{months}期分期，{f'每期{amount}，' if amount else ''}自{day}起"]
        return [f"{months} monthly payments{f' of {amount}' if amount else ''} from {day}"]
    if outcome.kind == OutcomeKind.DEFERRAL:
        day = short_date(dt.date.fromisoformat(details["new_due_date"]), language=language)
        if chinese:
            return [f"还款日延至{day}"]
        return [f"a new due date of {day}"]
    if outcome.kind == OutcomeKind.RELIEF:
        return _describe_relief(details, amounts, currency, language)
    if outcome.kind == OutcomeKind.CALLBACK:
        local = dt.datetime.strptime(details["local"], "%Y-%m-%d %H:%M")
        day = short_date(local.date(), language=language)
        if chinese:  # 24-hour clock, no leading zero, as wording.reply_when writes it
            return [f"{day}{local.hour}:{local.minute:02d}给您回电"]
        clock = f"{local:%I:%M %p}".lstrip("0")
        return [f"a call on {day} at {clock}"]
    return []


def _describe_relief(details: dict, amounts: bool, currency: str, language: Optional[str]) -> List[str]:
    chinese = is_chinese(language)
    option = details.get("relief")
    if option == relief.REDUCED_PLAN:
        first = details["instalments"][0]
        day = month_day(dt.date.fromisoformat(first["due"]), language=language)
        amount = money(Decimal(first["amount"]), currency, language=language) if amounts else ""
        months = details["months"]
        if chinese:
            return [f"{months}期减额分期，{f'每期{amount}，' if amount else ''}自{day}起"]
        return [f"{months} reduced monthly payments{f' of {amount}' if amount else ''} from {day}"]
    if option == relief.FEE_WAIVER:
        amount = money(Decimal(details["amount"]), currency, language=language) if amounts else ""
        if chinese:
            return [f"免除费用{amount}"]
        return [f"the fees{f' of {amount}' if amount else ''} waived"]
    if option == relief.BREATHING_SPACE:
        day = short_date(dt.date.fromisoformat(details["until"]), language=language)
        if chinese:
            return [f"暂停还款提醒至{day}"]
        return [f"a pause in reminders through {day}"]
    return []


def pause_note(outcomes: List[Outcome], *, language: Optional[str] = "en") -> Optional[str]:
    kinds = {o.kind for o in outcomes}
    chinese = is_chinese(language)
    if OutcomeKind.DISPUTE in kinds:
        if chinese:
            return "我们已暂停催收，正在核实您反映的情况。"
        return "We have paused collection while we review what you told us."
    if OutcomeKind.ALREADY_PAID in kinds:
        if chinese:
            return "我们已暂停催收，正在核实您的还款。"
        return "We have paused collection while we check your payment."
    return None


def handback_notice(outcomes: List[Outcome], policy: Policy, *, language: Optional[str] = "en",
                    jurisdiction: Optional[str] = None) -> str:
    """The SMS the borrower gets when a person hands the conversation back to the bot: who
    answers from now on (an automated assistant, said plainly) and what was agreed, in the
    account's `language` ("en", "zh", "zh-CN"; anything else reads English)."""
    lender = policy.lender
    agreed = [text for outcome in outcomes
              for text in describe(outcome, policy, language=language, jurisdiction=jurisdiction)]
    note = pause_note(outcomes, language=language)
    if is_chinese(language):
        parts = [f"您好，接下来由{lender.name}的智能客服机器人{lender.assistant_name}为您服务。"]
        if agreed:
            # A plan's words carry their own commas, so the items are set apart by "；"
            # (join_words' "、"/"和" would run them together).
            parts.append(f"已与我们的工作人员约定：{'；'.join(agreed)}。")
        if note:
            parts.append(note)
        parts.append("如有需要，请随时回复本短信。")
        return "".join(parts)  # Chinese sentences follow one another without spaces
    parts = [f"You're back with {lender.assistant_name}, {lender.name}'s automated assistant."]
    if agreed:
        parts.append(f"Agreed with our team: {join_words(agreed)}.")
    if note:
        parts.append(note)
    parts.append("Reply here any time.")
    return " ".join(parts)
