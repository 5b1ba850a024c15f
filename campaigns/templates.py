"""Message templates: `{variable}` placeholders, checked when a campaign loads and
filled in at send time.

Every SMS carries the lender's identity and the opt-out wording whatever the template
says: `sms_text()` adds the lender's name in front when the template does not name it,
and the opt-out wording at the end when it has none. Whether an SMS may state an amount
is the jurisdiction's call (`sms_may_state_amount`). A call may be answered by anyone,
or by voicemail, so a voice template holds limited content only: who is calling, for
whom, and a number to call back.
"""
from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from decimal import Decimal
from typing import Dict, List, Mapping, Optional

from lending.arrangements import Instalment
from lending.money import format_money
from messaging.sms_text import OPT_OUT_WORDING, tells_how_to_opt_out

# Variables any template may use.
COMMON = {
    "first_name": "the borrower's first name",
    "lender": "the lender's name",
    "assistant": "the assistant's name",
    "support_phone": "the lender's support number",
}
# Only in SMS (a call may reach a third party or a voicemail).
SMS_ONLY = {
    "due_date": "the due date, e.g. Nov 10",
    "days_past_due": "whole days since the due date",
    "link": "the account's payment link",
    "amount": "the balance, e.g. $453.50 (only where the jurisdiction allows amounts in SMS)",
}
# Only in stages about a promise to pay.
PROMISE_ONLY = {
    "promise_date": "the promised date",
    "promise_amount": "the promised amount (only where amounts are allowed in SMS)",
}
# Only in stages about an instalment plan: the instalment the stage speaks of (the next
# one before it is due, the missed one after the plan broke).
PLAN_ONLY = {
    "instalment_amount": "what is still to pay of the instalment (only where amounts are allowed in SMS)",
    "instalment_date": "the instalment's due date",
    "instalment_number": "the instalment's number, e.g. 2",
    "instalment_count": "how many instalments the plan has",
}
# What a stage is about (campaigns.config.Stage.about) -> the variables it adds.
STAGE_ONLY = {"promise": PROMISE_ONLY, "plan": PLAN_ONLY}
AMOUNTS = {"amount", "promise_amount", "instalment_amount"}

VOICE_LANGUAGES = {"en": "en-US", "zh": "cmn-CN"}


def base_language(language: str) -> str:
    return (language or "en").split("-")[0].lower()


def variables_in(template: str) -> List[str]:
    """The placeholders of a template; raises ValueError on broken braces."""
    names = []
    for _, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise ValueError(f"{{{field}}}: placeholders are plain names like {{first_name}}")
        names.append(field)
    return names


def allowed_variables(channel: str, about: str, may_state_amount: bool) -> Dict[str, str]:
    """`about`: what the stage is about (due, promise or plan)."""
    allowed = dict(COMMON)
    if channel == "sms":
        allowed.update(SMS_ONLY)
        allowed.update(STAGE_ONLY.get(about, {}))
        if not may_state_amount:
            for name in AMOUNTS:
                allowed.pop(name, None)
    return allowed


def template_problems(
    template: str, channel: str, about: str, may_state_amount: bool, jurisdiction: str
) -> List[str]:
    """What is wrong with a template, one sentence each (empty: nothing)."""
    if not template.strip():
        return ["is empty"]
    try:
        names = variables_in(template)
    except ValueError as exc:
        return [str(exc)]
    allowed = allowed_variables(channel, about, may_state_amount)
    problems = []
    for name in dict.fromkeys(names):
        if name in allowed:
            continue
        if name in AMOUNTS and channel == "sms" and not may_state_amount:
            problems.append(
                f"{{{name}}}: the {jurisdiction} profile does not allow amounts in SMS "
                "(sms_may_state_amount: false)"
            )
        elif channel == "voice" and (name in SMS_ONLY or name in PROMISE_ONLY or name in PLAN_ONLY):
            problems.append(
                f"{{{name}}}: a call may reach someone else or a voicemail, so a voice "
                f"message holds only {', '.join('{' + n + '}' for n in COMMON)}"
            )
        elif name in PROMISE_ONLY:
            problems.append(f"{{{name}}}: only stages about a promise know a promise")
        elif name in PLAN_ONLY:
            problems.append(f"{{{name}}}: only stages about a plan know its instalments")
        else:
            problems.append(f"{{{name}}}: unknown variable; known: {', '.join(sorted(allowed))}")
    return problems


@dataclass(frozen=True)
class Lender:
    name: str
    assistant: str
    support_phone: str


def format_day(day: dt.date, language: str) -> str:
    if base_language(language) == "zh":
        return f"{day.month}月{day.day}日"
    return f"{day:%b} {day.day}"


def values_for(
    *, name: str, language: str, lender: Lender, due_date: Optional[dt.date] = None,
    days_past_due: int = 0, link: Optional[str] = None, balance: Optional[Decimal] = None,
    currency: str = "USD", promise_date: Optional[dt.date] = None,
    promise_amount: Optional[Decimal] = None, instalment: Optional[Instalment] = None,
    instalment_count: int = 0,
) -> Dict[str, str]:
    """Every variable's value for one borrower (templates use what they may)."""
    parts = name.split()
    values = {
        "first_name": parts[0] if parts else name,
        "lender": lender.name,
        "assistant": lender.assistant,
        "support_phone": lender.support_phone,
        "days_past_due": str(max(0, days_past_due)),
        "link": link or "",
    }
    if due_date is not None:
        values["due_date"] = format_day(due_date, language)
    if balance is not None:
        values["amount"] = format_money(balance, currency)
    if promise_date is not None:
        values["promise_date"] = format_day(promise_date, language)
    if promise_amount is not None:
        values["promise_amount"] = format_money(promise_amount, currency)
    if instalment is not None:
        values.update(
            instalment_amount=format_money(instalment.outstanding, currency),
            instalment_date=format_day(instalment.due_on, language),
            instalment_number=str(instalment.number), instalment_count=str(instalment_count),
        )
    return values


def fill(template: str, values: Mapping[str, str]) -> str:
    return template.format_map(values)


def sms_text(body: str, lender_name: str, opt_out: str) -> str:
    """The SMS as sent: the lender's identity first unless the text names the lender,
    the opt-out wording last unless the text already tells how to opt out."""
    text = " ".join(body.split())
    if lender_name.lower() not in text.lower():
        text = f"{lender_name}: {text}"
    if not tells_how_to_opt_out(text):
        text = f"{text} {opt_out}"
    return text


def opt_out_wording(language: str, overrides: Optional[Mapping[str, str]] = None) -> str:
    base = base_language(language)
    overrides = overrides or {}
    return overrides.get(base) or OPT_OUT_WORDING.get(base) or overrides.get("en") or OPT_OUT_WORDING["en"]
