"""The text an attempt sends, rendered from the campaign's template for one account."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from campaigns.config import Campaign
from campaigns.facts import AccountFacts
from campaigns.stages import Subject
from campaigns.templates import Lender, fill, opt_out_wording, sms_text, values_for
from lending.policy import Policy
from store.models import ArrangementKind


def lender_of(policy: Policy) -> Lender:
    return Lender(policy.lender.name, policy.lender.assistant_name, policy.lender.support_phone)


def render_message(
    campaign: Campaign, stage: str, facts: AccountFacts, policy: Policy, local_date: dt.date,
    subject: Optional[Subject] = None, variant: Optional[str] = None,
) -> str:
    """`subject`: what the stage speaks of (campaigns/stages.py; the due date is the
    effective one); `variant`: the account's variant where the stage runs an experiment."""
    subject = subject or Subject(facts.due_date)
    arrangement, instalment = subject.arrangement, subject.instalment
    promise = arrangement is not None and arrangement.kind == ArrangementKind.PROMISE
    values = values_for(
        name=facts.name, language=facts.language, lender=lender_of(policy), due_date=subject.due_date,
        days_past_due=(local_date - subject.due_date).days, link=policy.payment_link(facts.account_id),
        balance=facts.balance, currency=facts.currency,
        promise_date=instalment.due_on if promise else None,
        promise_amount=instalment.amount if promise else None,
        instalment=None if promise else instalment,
        instalment_count=len(arrangement.instalments) if arrangement is not None else 0,
    )
    body = fill(campaign.template(stage, facts.language, variant), values)
    if campaign.channel == "sms":
        return sms_text(body, policy.lender.name, opt_out_wording(facts.language, campaign.opt_out_wording))
    return " ".join(body.split())


def one_off_sms(body: str, policy: Policy, language: str) -> str:
    """An agent's own text, with the lender's identity and the opt-out wording."""
    return sms_text(body, policy.lender.name, opt_out_wording(language))
