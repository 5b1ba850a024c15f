"""An experiment's results per variant, with the significance test and a verdict.

An account counts from its first message sent in the experiment's stage (its exposure),
and only once the metric's window has closed for it (48 h for a reply, 7 days for the
others), so a variant sent more recently is never penalised for outcomes still to come.

    reply_48h    an inbound message from the number within 48 h
    right_party  the identity confirmed (an outcome "verified") within 7 days
    promise_7d   a promise or a plan recorded, or a payment made, within 7 days
    opt_out      an opt-out within 7 days
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Dict, List, Optional

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from campaigns.config import Campaign
from campaigns.experiments import METRICS
from campaigns.significance import ALPHA, POWER, compare, verdict
from store.models import (
    ContactAttempt,
    ExperimentAssignment,
    Message,
    Outcome,
    OutcomeKind,
    Payment,
)

WINDOWS = {
    "reply_48h": dt.timedelta(hours=48), "right_party": dt.timedelta(days=7),
    "promise_7d": dt.timedelta(days=7), "opt_out": dt.timedelta(days=7),
}
KINDS = {
    "right_party": {OutcomeKind.VERIFIED},
    "promise_7d": {OutcomeKind.PROMISE, OutcomeKind.PLAN},
    "opt_out": {OutcomeKind.OPT_OUT},
}


def _exposures(session: Session, campaign: Campaign, stage: str) -> Dict[str, tuple]:
    """account -> (variant, first sent_at, phone) for the accounts a message reached."""
    first = (
        select(ContactAttempt.account_id, func.min(ContactAttempt.sent_at).label("sent_at"))
        .where(ContactAttempt.campaign == campaign.id, ContactAttempt.stage == stage,
               ContactAttempt.sent_at.is_not(None))
        .group_by(ContactAttempt.account_id).subquery()
    )
    rows = session.execute(
        select(ExperimentAssignment.account_id, ExperimentAssignment.variant, first.c.sent_at,
               ContactAttempt.phone)
        .join(first, first.c.account_id == ExperimentAssignment.account_id)
        .join(ContactAttempt, and_(ContactAttempt.account_id == first.c.account_id,
                                   ContactAttempt.campaign == campaign.id,
                                   ContactAttempt.stage == stage,
                                   ContactAttempt.sent_at == first.c.sent_at))
        .where(ExperimentAssignment.experiment == campaign.experiment_name(stage))
    )
    return {account: (variant, sent, phone) for account, variant, sent, phone in rows}


def _events(session: Session, exposures: Dict[str, tuple], since: dt.datetime) -> Dict[str, Dict[str, List]]:
    """account -> metric -> the instants (or days) its events happened, after `since`."""
    events: Dict[str, Dict[str, List]] = defaultdict(lambda: defaultdict(list))
    ids = list(exposures)
    by_phone = {phone: account for account, (_, _, phone) in exposures.items()}
    phones = list(by_phone)
    kinds = {kind: metric for metric, group in KINDS.items() for kind in group}
    for start in range(0, len(ids), 1000):
        chunk, phone_chunk = ids[start:start + 1000], phones[start:start + 1000]
        for account, phone, kind, at in session.execute(
            select(Outcome.account_id, Outcome.phone, Outcome.kind, Outcome.created_at).where(
                Outcome.kind.in_(kinds), Outcome.created_at >= since,
                or_(Outcome.account_id.in_(chunk), Outcome.phone.in_(phone_chunk)))
        ):
            account = account if account in exposures else by_phone.get(phone)
            if account is not None:
                events[account][kinds[kind]].append(at)
        for account, day in session.execute(
            select(Payment.account_id, Payment.paid_on).where(
                Payment.account_id.in_(chunk), Payment.paid_on >= since.date())
        ):
            events[account]["payment"].append(day)
        for phone, at in session.execute(
            select(Message.phone, Message.created_at).where(
                Message.direction == "in", Message.phone.in_(phone_chunk),
                Message.created_at >= since)
        ):
            events[by_phone[phone]]["reply_48h"].append(at)
    return events


def _hit(metric: str, sent: dt.datetime, found: Dict[str, List]) -> bool:
    end = sent + WINDOWS[metric]
    if any(sent <= at <= end for at in found.get(metric, ())):
        return True
    if metric == "promise_7d":
        return any(sent.date() <= day <= end.date() for day in found.get("payment", ()))
    return False


def stage_results(session: Session, campaign: Campaign, stage: str, now: dt.datetime) -> dict:
    experiment = campaign.experiments[stage]
    exposures = _exposures(session, campaign, stage)
    since = min((sent for _, sent, _ in exposures.values()), default=now)
    events = _events(session, exposures, since) if exposures else {}
    counts = {name: {metric: [0, 0] for metric in METRICS} for name in experiment.variants}
    exposed = {name: 0 for name in experiment.variants}
    for account, (variant, sent, _) in exposures.items():
        if variant not in counts:
            continue  # a variant since removed from the file
        exposed[variant] += 1
        for metric in METRICS:
            if sent + WINDOWS[metric] <= now:  # the window has closed
                counts[variant][metric][1] += 1
                counts[variant][metric][0] += _hit(metric, sent, events.get(account, {}))
    control = experiment.control
    metrics = {}
    for metric, label in METRICS.items():
        hits, n = counts[control][metric]
        rows = {control: {"accounts": n, "hits": hits, "rate": hits / n if n else None}}
        for name in list(experiment.variants)[1:]:
            v_hits, v_n = counts[name][metric]
            comparison = compare(hits, n, v_hits, v_n)
            rows[name] = {
                "accounts": v_n, "hits": v_hits, "rate": v_hits / v_n if v_n else None,
                "p_value": comparison.p_value, "test": comparison.test,
                "significant": comparison.significant(),
                **verdict(comparison, name, control, label,
                          experiment.minimum_effect if metric == experiment.metric else None),
            }
        metrics[metric] = {"label": label, "window_hours": WINDOWS[metric] / dt.timedelta(hours=1),
                           "variants": rows}
    primary = metrics[experiment.metric]["variants"]
    return {
        "experiment": campaign.experiment_name(stage), "campaign": campaign.id, "stage": stage,
        "control": control, "weights": dict(experiment.weights), "metric": experiment.metric,
        "minimum_effect": experiment.minimum_effect, "alpha": ALPHA, "power": POWER,
        "exposed": exposed, "metrics": metrics,
        "verdicts": [row["text"] for name, row in primary.items() if name != control],
    }


def campaign_results(session: Session, campaign: Campaign, now: dt.datetime,
                     stage: Optional[str] = None) -> List[dict]:
    stages = [stage] if stage else list(campaign.experiments)
    return [stage_results(session, campaign, name, now) for name in stages]


def result_lines(result: dict) -> List[str]:
    """One experiment's results as the CLI prints them."""
    out = [f"experiment {result['experiment']} (campaign {result['campaign']}, stage {result['stage']})",
           "  exposed: " + ", ".join(f"{name} {n}" for name, n in result["exposed"].items())]
    for metric, data in result["metrics"].items():
        marker = "*" if metric == result["metric"] else " "
        cells = []
        for name, row in data["variants"].items():
            rate = "-" if row["rate"] is None else f"{row['rate'] * 100:.1f}%"
            cells.append(f"{name} {row['hits']}/{row['accounts']} {rate}")
        out.append(f" {marker}{data['label']:<40} " + "  ".join(cells))
    out += [f"  verdict: {text}" for text in result["verdicts"]]
    return out
