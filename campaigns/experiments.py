"""A/B tests of message content: a stage's template variants, and which one each account gets.

A campaign file may give a stage variants with weights (see docs/campaigns.md):

    experiments:
      early_overdue:                    # the stage
        name: early-overdue-wording     # optional; default "<campaign>.<stage>"
        metric: promise_7d              # what the verdict is about
        minimum_effect: 0.01            # optional: the smallest change worth detecting
        variants:
          A: {weight: 50}               # no templates: the stage's own (the control)
          B: {weight: 50, templates: {en: "...", zh: "..."}}

The first variant is the control the others are compared with. An account's variant is a
hash of the experiment's name and the account id placed into the weights, so it is the
same in every run and every process; the first run that schedules the account stores it
(experiment_assignments), and the stored one wins from then on.
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lending.pydantic_v1 import BaseModel, Extra, confloat, conint, constr, validator
from store.models import ExperimentAssignment, utcnow

if TYPE_CHECKING:
    from campaigns.config import Campaign

# The results an experiment reports (campaigns/experiment_results.py), and their words.
METRICS = {
    "reply_48h": "replies within 48 h",
    "right_party": "right-party contacts within 7 days",
    "promise_7d": "promises or payments within 7 days",
    "opt_out": "opt-outs within 7 days",
}
EXPERIMENT_NAME = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


class Variant(_Strict):
    weight: conint(ge=1, le=10000)
    templates: Optional[Dict[str, constr(min_length=1)]] = None  # None: the stage's templates


class Experiment(_Strict):
    name: Optional[constr(regex=EXPERIMENT_NAME)] = None
    metric: str = "promise_7d"
    minimum_effect: Optional[confloat(gt=0, lt=1)] = None  # absolute, e.g. 0.01 = 1 point
    variants: Dict[constr(regex=r"^[A-Za-z0-9_-]{1,20}$"), Variant]

    @validator("metric")
    def _known_metric(cls, value):
        if value not in METRICS:
            raise ValueError(f"{value!r} is not one of {', '.join(METRICS)}")
        return value

    @validator("variants")
    def _two_or_more(cls, value):
        if len(value) < 2:
            raise ValueError("an experiment needs at least two variants")
        return value

    @property
    def control(self) -> str:
        return next(iter(self.variants))

    @property
    def weights(self) -> Tuple[Tuple[str, int], ...]:
        return tuple((name, variant.weight) for name, variant in self.variants.items())


def pick_variant(experiment: str, account_id: str, weights: Sequence[Tuple[str, int]]) -> str:
    """The variant the hash places this account in: deterministic across runs, processes
    and machines (sha256, never Python's salted hash()), in proportion to the weights."""
    total = sum(weight for _, weight in weights)
    digest = hashlib.sha256(f"{experiment}\x00{account_id}".encode("utf-8")).digest()
    point = int.from_bytes(digest[:8], "big") % total  # 2**64 buckets: no visible bias
    for name, weight in weights:
        if point < weight:
            return name
        point -= weight
    raise AssertionError("unreachable: the point lies inside the total weight")


def stored_variants(session: Session, experiment: str, account_ids: Iterable[str]) -> Dict[str, str]:
    ids = list(dict.fromkeys(account_ids))
    found: Dict[str, str] = {}
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            select(ExperimentAssignment.account_id, ExperimentAssignment.variant).where(
                ExperimentAssignment.experiment == experiment,
                ExperimentAssignment.account_id.in_(ids[start:start + 1000]),
            )
        )
        found.update(dict(rows.all()))
    return found


def variants_for(
    session: Session, campaign: "Campaign", stage: str, account_ids: Iterable[str], store: bool
) -> Dict[str, str]:
    """Each account's variant in the stage's experiment: the stored one, else the hash's
    (stored when `store`, as a run does; a preview only looks)."""
    experiment = campaign.experiments[stage]
    name = campaign.experiment_name(stage)
    ids = list(dict.fromkeys(account_ids))
    variants = stored_variants(session, name, ids)
    known = set(experiment.variants)
    new = {}
    for account_id in ids:
        if variants.get(account_id) not in known:  # unknown: a variant since removed
            new[account_id] = variants[account_id] = pick_variant(name, account_id, experiment.weights)
    if store and new:
        now = utcnow()
        _write(session, [
            {"experiment": name, "account_id": account_id, "variant": variant,
             "campaign": campaign.id, "stage": stage, "assigned_at": now}
            for account_id, variant in new.items()
        ])
    return variants


def _write(session: Session, rows: List[dict]) -> None:
    """Insert, or move an account whose stored variant no longer exists; a run racing
    this one writes the same rows (the same hash), so a conflict changes nothing else."""
    dialect = session.get_bind().dialect.name
    module = {"postgresql": postgresql, "sqlite": sqlite}[dialect]
    statement = module.insert(ExperimentAssignment.__table__)
    statement = statement.on_conflict_do_update(
        index_elements=["experiment", "account_id"],
        set_={"variant": statement.excluded.variant, "assigned_at": statement.excluded.assigned_at},
    )
    for start in range(0, len(rows), 1000):
        session.execute(statement, rows[start:start + 1000])


def variant_for(session: Session, campaign: Optional["Campaign"], stage: str, account_id: str) -> Optional[str]:
    """The variant an account's message in this stage uses (None: no experiment)."""
    if campaign is None or stage not in campaign.experiments:
        return None
    return variants_for(session, campaign, stage, [account_id], store=True)[account_id]
