"""What a run would do, without doing it: accounts per stage, how many the gate would
let through, defer or block (per rule), and sample messages; or, for one account, its
stage, what would happen and why, and where its arrangements leave it. Nothing is
written: arrangements are read as of the preview's instant, so a preview of a later day
sees a plan broken once its grace has passed even before a review has written it down."""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from sqlalchemy.orm import Session

from campaigns.config import Campaign
from campaigns.experiments import variants_for
from campaigns.messages import render_message
from campaigns.planning import ALREADY, BLOCKED, DEFERRED, ELIGIBLE, SKIPPED, Plan, Planner
from lending.arrangements import ArrangementFacts, Instalment, Standing, broke_on
from lending.money import to_money
from lending.policy import Policy


@dataclass
class Sample:
    stage: str
    language: str
    account_id: str
    text: str
    variant: Optional[str] = None  # in a stage with an experiment


@dataclass
class PreviewReport:
    campaign: str
    name: str
    channel: str
    at: dt.datetime
    stages: Dict[str, int] = field(default_factory=dict)  # accounts per stage today
    eligible: int = 0
    deferred: Counter = field(default_factory=Counter)  # per rule
    blocked: Counter = field(default_factory=Counter)  # per rule
    skipped: Counter = field(default_factory=Counter)  # per reason
    already_scheduled: int = 0
    samples: List[Sample] = field(default_factory=list)
    # Stages with an experiment: the accounts that would get a message, per variant.
    variants: Dict[str, Counter] = field(default_factory=dict)
    checks: int = 0  # compliance checks made
    seconds: float = 0.0

    @property
    def in_segment(self) -> int:
        return sum(self.stages.values())

    def as_dict(self) -> dict:
        return {
            "campaign": self.campaign, "name": self.name, "channel": self.channel,
            "at": self.at.isoformat(), "in_segment": self.in_segment, "stages": dict(self.stages),
            "eligible": self.eligible, "deferred": dict(self.deferred),
            "blocked": dict(self.blocked), "skipped": dict(self.skipped),
            "already_scheduled": self.already_scheduled,
            "samples": [vars(sample) for sample in self.samples],
            "variants": {stage: dict(counts) for stage, counts in self.variants.items()},
            "compliance_checks": self.checks, "seconds": round(self.seconds, 3),
        }

    def lines(self) -> List[str]:
        """The report as the CLI prints it."""
        out = [
            f"campaign {self.campaign} ({self.name}, {self.channel}) at {self.at:%Y-%m-%d %H:%M} UTC",
            f"  in segment today      {self.in_segment:>7}",
        ]
        out += [f"    {stage:<20}{count:>7}" for stage, count in self.stages.items()]
        out.append(f"  eligible now          {self.eligible:>7}")
        for title, counts in (("deferred", self.deferred), ("blocked", self.blocked),
                              ("skipped", self.skipped)):
            out.append(f"  {title:<22}{sum(counts.values()):>7}")
            out += [f"    {rule:<20}{count:>7}" for rule, count in sorted(counts.items())]
        out.append(f"  already scheduled     {self.already_scheduled:>7}")
        for stage, counts in self.variants.items():
            total = sum(counts.values())
            split = ", ".join(
                f"{name} {count} ({count / total:.0%})" if total else f"{name} 0"
                for name, count in counts.items()
            )
            out.append(f"  experiment in {stage}: {split}")
        out.append(f"  ({self.checks} compliance checks in {self.seconds:.2f} s)")
        if self.samples:
            out.append("sample messages")
            for sample in self.samples:
                variant = f" / variant {sample.variant}" if sample.variant else ""
                out.append(f"  [{sample.stage} / {sample.language}{variant}] {sample.account_id}")
                out.append(f"    {sample.text}")
        return out


def preview(
    session: Session, campaign: Campaign, policy: Policy, now: dt.datetime, samples: int = 1,
    only_accounts: Optional[Sequence[str]] = None,
) -> PreviewReport:
    """`samples`: messages shown per stage and language."""
    started = time.perf_counter()
    planner = Planner(session, campaign, policy, now, only_accounts)
    report = PreviewReport(campaign.id, campaign.name, campaign.channel, planner.now)
    report.stages = {name: 0 for name in campaign.stages}
    report.variants = {stage: Counter({name: 0 for name in experiment.variants})
                       for stage, experiment in campaign.experiments.items()}
    shown: Counter = Counter()
    for plan, variant in _with_variants(session, campaign, planner.plans()):
        report.stages[plan.stage] += 1
        if plan.outcome == ELIGIBLE:
            report.eligible += 1
        elif plan.outcome == DEFERRED:
            report.deferred[plan.rule] += 1
        elif plan.outcome == BLOCKED:
            report.blocked[plan.rule] += 1
        elif plan.outcome == SKIPPED:
            report.skipped[plan.rule] += 1
        elif plan.outcome == ALREADY:
            report.already_scheduled += 1
        if plan.outcome not in (ELIGIBLE, DEFERRED):
            continue
        if variant is not None:
            report.variants[plan.stage][variant] += 1
        sample_key = (plan.stage, plan.facts.language, variant)
        if shown[sample_key] < samples:
            shown[sample_key] += 1
            text = render_message(campaign, plan.stage, plan.facts, policy, plan.local_date,
                                  plan.subject, variant)
            report.samples.append(
                Sample(plan.stage, plan.facts.language, plan.facts.account_id, text, variant))
    report.checks = planner.checks
    report.seconds = time.perf_counter() - started
    return report


def _with_variants(session: Session, campaign: Campaign, plans, batch: int = 1000):
    """(plan, the account's variant or None): the stored variant, else the hash's;
    nothing is written."""
    if not campaign.experiments:
        yield from ((plan, None) for plan in plans)
        return
    pending = []

    def flush():
        for stage in campaign.experiments:
            ids = [plan.facts.account_id for plan in pending if plan.stage == stage]
            found = variants_for(session, campaign, stage, ids, store=False) if ids else {}
            for plan in pending:
                if plan.stage == stage:
                    yield plan, found[plan.facts.account_id]
        yield from ((plan, None) for plan in pending if plan.stage not in campaign.experiments)
        pending.clear()

    for plan in plans:
        pending.append(plan)
        if len(pending) >= batch:
            yield from flush()
    yield from flush()


# -- one account ------------------------------------------------------------------------

def _instalment(instalment: Instalment) -> dict:
    return {"number": instalment.number, "due_on": instalment.due_on.isoformat(),
            "amount": str(to_money(instalment.amount)), "amount_paid": str(to_money(instalment.paid))}


def _arrangement(arrangement: ArrangementFacts, today: dt.date) -> dict:
    return {"id": arrangement.id, "kind": arrangement.kind, "status": arrangement.status_on(today),
            "instalments_paid": arrangement.paid_count(), "instalment_count": len(arrangement.instalments)}


def standing_json(plan: Plan) -> dict:
    """Where the account's arrangements leave it on the borrower's day."""
    found: Standing = plan.standing
    today = plan.local_date
    good, broken = found.good_standing, found.broken
    result = {
        "due_date": plan.facts.due_date.isoformat(), "effective_due_date": found.due_date.isoformat(),
        "good_standing": None, "broken": None,
        "breathing_space_until": found.breathing_space_until.isoformat() if found.breathing_space_until else None,
        "vulnerable": plan.facts.vulnerable,
    }
    if good is not None:
        following = good.next_instalment(today)
        result["good_standing"] = {**_arrangement(good, today),
                                   "next_instalment": _instalment(following) if following else None}
    if broken is not None:
        missed = broken.missed(today)
        result["broken"] = {**_arrangement(broken, today),
                            "missed_instalment": _instalment(missed) if missed else None,
                            "broke_on": broke_on(missed.due_on, broken.grace_days).isoformat() if missed else None}
    return result


@dataclass
class AccountPreview:
    campaign: str
    at: dt.datetime
    plan: Plan
    message: Optional[str] = None  # what would be sent (eligible, deferred)

    def as_dict(self) -> dict:
        plan = self.plan
        return {
            "campaign": self.campaign, "account_id": plan.facts.account_id, "at": self.at.isoformat(),
            "local_date": plan.local_date.isoformat(), "stage": plan.stage, "outcome": plan.outcome,
            "rule": plan.rule, "reason": plan.reason,
            "send_at": plan.send_at.isoformat() if plan.send_at else None,
            "message": self.message, "standing": standing_json(plan),
        }

    def lines(self) -> List[str]:
        """The preview as the CLI prints it."""
        data = self.as_dict()
        found = data["standing"]
        out = [
            f"campaign {self.campaign}, account {data['account_id']} at {self.at:%Y-%m-%d %H:%M} UTC "
            f"(borrower's day {data['local_date']})",
            f"  {'stage':<15}{data['stage'] or '-'}",
            f"  {'outcome':<15}{data['outcome']}" + (f": {data['rule']}" if data["rule"] else ""),
        ]
        if data["reason"]:
            out.append(f"  {'reason':<15}{data['reason']}")
        if data["send_at"]:
            out.append(f"  {'send at':<15}{data['send_at']}")
        out.append(f"  {'due date':<15}{found['effective_due_date']}"
                   + (f" (moved from {found['due_date']})" if found["effective_due_date"] != found["due_date"] else ""))
        for title, key, detail in (("good standing", "good_standing", "next_instalment"),
                                   ("broken", "broken", "missed_instalment")):
            arrangement = found[key]
            if arrangement is None:
                continue
            line = (f"  {title:<15}{arrangement['kind']} {arrangement['id']}, "
                    f"{arrangement['instalments_paid']} of {arrangement['instalment_count']} paid")
            instalment = arrangement[detail]
            if instalment is not None:
                line += (f"; {detail.replace('_', ' ')} {instalment['number']}: {instalment['amount']} "
                         f"due {instalment['due_on']}")
            out.append(line)
        if self.message:
            out.append(f"  {'message':<15}{self.message}")
        return out


def preview_account(session: Session, campaign: Campaign, policy: Policy, now: dt.datetime,
                    account_id: str) -> Optional[AccountPreview]:
    """None: no such account."""
    planner = Planner(session, campaign, policy, now)
    plan = planner.explain(account_id)
    if plan is None:
        return None
    message = None
    if plan.outcome in (ELIGIBLE, DEFERRED):
        variant = (variants_for(session, campaign, plan.stage, [account_id], store=False)[account_id]
                   if plan.stage in campaign.experiments else None)
        message = render_message(campaign, plan.stage, plan.facts, policy, plan.local_date, plan.subject, variant)
    return AccountPreview(campaign.id, planner.now, plan, message)
