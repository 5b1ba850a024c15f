"""Campaign files: lender/campaigns/<id>.yml, validated with every problem listed.

A campaign is configuration: who it reaches (a segment and stages by days from the
effective due date, from a promise or from a plan's instalments), how (SMS or voice), what
it says (a template per stage and language) and when (sending days and a window in the
borrower's local time). The file name is the campaign's id. See
lender/campaigns/reminders.yml for a commented example, campaigns/stages.py for how an
account's arrangements place it in a stage.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from campaigns.experiments import Experiment
from campaigns.templates import base_language, template_problems
from lending.policy import WEEKDAYS, Hours, Policy
from lending.pydantic_v1 import (
    BaseModel,
    Extra,
    ValidationError,
    conint,
    constr,
    root_validator,
    validator,
)
from messaging.sms_text import tells_how_to_opt_out

CAMPAIGN_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DUE_KINDS = ("days_before_due", "days_after_due", "days_past_due")
PROMISE_KINDS = ("days_before_promise", "days_after_broken_promise")
PLAN_KINDS = ("days_before_instalment", "days_after_broken_plan")
STAGE_KINDS = DUE_KINDS + PROMISE_KINDS + PLAN_KINDS
# What a stage is about: the due date, a promise to pay, or an instalment plan.
DUE, PROMISE, PLAN = "due", "promise", "plan"
# Stages that follow up an arrangement the borrower broke.
BROKEN_KINDS = ("days_after_broken_promise", "days_after_broken_plan")


class CampaignError(ValueError):
    """A campaign file cannot be used; the message lists every problem."""


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


class DayRange(_Strict):
    min: conint(ge=0, le=3650)
    max: conint(ge=0, le=3650)

    @root_validator(skip_on_failure=True)
    def _ordered(cls, values):
        if values["min"] > values["max"]:
            raise ValueError("min must not exceed max")
        return values


class Stage(_Strict):
    """Exactly one way of picking the day an account gets this stage's message.
    Days are counted in the borrower's own time zone; the due date is the effective one
    (a deferral moves it)."""

    days_before_due: Optional[List[conint(ge=0, le=60)]]  # 0 is the due date itself
    days_after_due: Optional[List[conint(ge=1, le=3650)]]
    days_past_due: Optional[DayRange]  # every day in the range
    days_before_promise: Optional[List[conint(ge=0, le=60)]]  # 0 is the promised date
    days_after_broken_promise: Optional[List[conint(ge=1, le=60)]]  # 1 is the day it broke
    days_before_instalment: Optional[List[conint(ge=0, le=60)]]  # 0 is the instalment's date
    days_after_broken_plan: Optional[List[conint(ge=0, le=60)]]  # 0 is the day it broke

    @root_validator(skip_on_failure=True)
    def _exactly_one(cls, values):
        chosen = [name for name in STAGE_KINDS if values.get(name) is not None]
        if len(chosen) != 1:
            raise ValueError(
                f"give exactly one of {', '.join(STAGE_KINDS)}"
                + (f" (got {', '.join(chosen)})" if chosen else "")
            )
        return values

    @property
    def kind(self) -> str:
        return next(n for n in STAGE_KINDS if getattr(self, n) is not None)

    @property
    def about(self) -> str:
        kind = self.kind
        return DUE if kind in DUE_KINDS else PROMISE if kind in PROMISE_KINDS else PLAN

    @property
    def days(self) -> List[int]:
        """The days of a promise or plan stage."""
        return getattr(self, self.kind)

    def matches_due(self, days_from_due: int) -> bool:
        """days_from_due: today minus the due date (negative before it)."""
        if self.days_before_due is not None:
            return days_from_due <= 0 and -days_from_due in self.days_before_due
        if self.days_after_due is not None:
            return days_from_due in self.days_after_due
        if self.days_past_due is not None:
            return self.days_past_due.min <= days_from_due <= self.days_past_due.max
        return False

    def span(self) -> Optional[tuple]:
        """(earliest, latest) days from the due date this stage can match."""
        if self.days_before_due is not None:
            return -max(self.days_before_due), -min(self.days_before_due)
        if self.days_after_due is not None:
            return min(self.days_after_due), max(self.days_after_due)
        if self.days_past_due is not None:
            return self.days_past_due.min, self.days_past_due.max
        return None


class BalanceRange(_Strict):
    min: Optional[Decimal] = None
    max: Optional[Decimal] = None

    @root_validator(skip_on_failure=True)
    def _ordered(cls, values):
        low, high = values.get("min"), values.get("max")
        if low is not None and high is not None and low > high:
            raise ValueError("min must not exceed max")
        return values


Tag = constr(regex=r"^[a-z0-9_-]{1,40}$")


class TagFilter(_Strict):
    include: List[Tag] = []  # at least one of these (empty: any account)
    exclude: List[Tag] = []  # none of these


class Segment(_Strict):
    balance: BalanceRange = BalanceRange()
    languages: Optional[List[constr(regex=r"^[a-z]{2}$")]] = None  # None: every language
    tags: TagFilter = TagFilter()

    @root_validator(pre=True)
    def _no_longer_a_setting(cls, values):
        if "skip_open_promises" in values:
            raise ValueError(
                "skip_open_promises is no longer a setting: an account whose promise or plan is "
                "in good standing never gets due-date stages (rule arrangement_in_good_standing); "
                "remove the line"
            )
        return values


class Schedule(_Strict):
    weekdays: List[str] = list(WEEKDAYS)
    send_window: Hours  # the borrower's local time, inside the jurisdiction's hours
    start_date: Optional[dt.date] = None
    end_date: Optional[dt.date] = None
    # How many days past its planned day an attempt the gate deferred may still go
    # (0: the same day only). Beyond that it is recorded as blocked.
    reschedule_days: conint(ge=0, le=7) = 1

    @validator("weekdays", each_item=True)
    def _weekday(cls, value):
        if value not in WEEKDAYS:
            raise ValueError(f"{value!r} is not one of {WEEKDAYS}")
        return value

    @property
    def weekday_numbers(self) -> frozenset:
        return _weekday_numbers(tuple(self.weekdays))


@lru_cache(maxsize=64)
def _weekday_numbers(weekdays: tuple) -> frozenset:
    return frozenset(WEEKDAYS.index(day) for day in weekdays)


class Campaign(_Strict):
    id: constr(regex=CAMPAIGN_ID.pattern)
    name: constr(min_length=1, max_length=200)
    channel: str
    default_language: constr(regex=r"^[a-z]{2}$") = "en"
    segment: Segment = Segment()
    stages: Dict[constr(regex=r"^[a-z0-9_]{1,64}$"), Stage]
    templates: Dict[str, Dict[str, constr(min_length=1)]]
    opt_out_wording: Dict[str, str] = {}  # per language; the built-in wording otherwise
    schedule: Schedule
    experiments: Dict[str, Experiment] = {}  # per stage: template variants (campaigns/experiments.py)

    @validator("channel")
    def _channel(cls, value):
        if value not in ("sms", "voice"):
            raise ValueError("must be sms or voice")
        return value

    @validator("stages")
    def _some_stages(cls, value):
        if not value:
            raise ValueError("at least one stage")
        return value

    @validator("opt_out_wording", each_item=True)
    def _mentions_stop(cls, value):
        if not tells_how_to_opt_out(value):
            raise ValueError("must tell the borrower to reply STOP (in Chinese: 回复TD退订)")
        return value

    @root_validator(skip_on_failure=True)
    def _templates_match_stages(cls, values):
        stages, templates = values["stages"], values["templates"]
        problems = [f"no stage named {name!r}" for name in templates if name not in stages]
        for name in stages:
            if values["default_language"] not in templates.get(name, {}):
                problems.append(
                    f"stage {name!r} has no template in the default language "
                    f"{values['default_language']!r}"
                )
        if problems:
            raise ValueError("templates: " + "; ".join(problems))
        return values

    @root_validator(skip_on_failure=True)
    def _experiments_match_stages(cls, values):
        problems = []
        for stage, experiment in values.get("experiments", {}).items():
            if stage not in values["stages"]:
                problems.append(f"no stage named {stage!r}")
                continue
            # A variant speaks every language the stage speaks, so no borrower falls
            # back to another language because of the variant drawn.
            languages = set(values["templates"].get(stage, {}))
            for name, variant in experiment.variants.items():
                if variant.templates is None:
                    continue
                missing, extra = languages - set(variant.templates), set(variant.templates) - languages
                if missing:
                    problems.append(f"{stage}.variants.{name}: no template in {', '.join(sorted(missing))}")
                if extra:
                    problems.append(
                        f"{stage}.variants.{name}: {', '.join(sorted(extra))} has no template "
                        "in the stage itself"
                    )
        if problems:
            raise ValueError("experiments: " + "; ".join(problems))
        return values

    @property
    def about_arrangements(self) -> bool:
        """Follows up what borrowers agreed (its attempts are follow-ups)."""
        return any(stage.about != DUE for stage in self.stages.values())

    def experiment_name(self, stage: str) -> str:
        return self.experiments[stage].name or f"{self.id}.{stage}"

    def template(self, stage: str, language: str, variant: Optional[str] = None) -> str:
        texts = self.templates[stage]
        if variant is not None and stage in self.experiments:
            chosen = self.experiments[stage].variants.get(variant)
            if chosen is not None and chosen.templates is not None:
                texts = chosen.templates
        return texts.get(base_language(language)) or texts[self.default_language]

    def all_templates(self):
        """(where, stage, language, text) for every text the campaign can send."""
        for stage, texts in self.templates.items():
            for language, text in texts.items():
                yield f"templates.{stage}.{language}", stage, language, text
        for stage, experiment in self.experiments.items():
            for name, variant in experiment.variants.items():
                for language, text in (variant.templates or {}).items():
                    yield f"experiments.{stage}.variants.{name}.templates.{language}", stage, language, text


def _explain(error: ValidationError) -> List[str]:
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"] if part != "__root__")
        lines.append(f"  - {where or '(top level)'}: {problem['msg']}")
    return lines


def _policy_problems(campaign: Campaign, policy: Policy) -> List[str]:
    """What a jurisdiction profile forbids in an otherwise valid campaign. A campaign may
    reach accounts of every profile the lender ships, so each of them must allow it; every
    variant of an experiment passes the same checks as the stage's own text."""
    problems: List[str] = []
    for name, profile in sorted(policy.all_profiles().items()):
        window, hours = campaign.schedule.send_window, profile.contact_hours
        if window.start < hours.start or window.end > hours.end:
            problems.append(
                f"  - schedule.send_window: {window.start:%H:%M}-{window.end:%H:%M} is outside the "
                f"{name} contact hours {hours.start:%H:%M}-{hours.end:%H:%M}"
            )
        for where, stage_name, _language, text in campaign.all_templates():
            about = campaign.stages[stage_name].about
            for problem in template_problems(
                text, campaign.channel, about, profile.sms_may_state_amount, name,
            ):
                line = f"  - {where}: {problem}"
                if line not in problems:
                    problems.append(line)
    return problems


def load_campaign(path: Path, policy: Policy) -> Campaign:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CampaignError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise CampaignError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CampaignError(f"{path}: expected a mapping at the top level")
    if "id" in data:
        raise CampaignError(f"{path}: the file name is the campaign's id; remove 'id'")
    try:
        campaign = Campaign(id=path.stem, **data)
    except ValidationError as exc:
        raise CampaignError("\n".join([f"{path}: invalid campaign"] + _explain(exc))) from None
    problems = _policy_problems(campaign, policy)
    if problems:
        raise CampaignError("\n".join([f"{path}: invalid campaign"] + problems))
    return campaign


def load_campaigns(directory: Path, policy: Policy) -> Dict[str, Campaign]:
    """Every campaign in the directory (none when it does not exist); all files'
    problems are reported together."""
    directory = Path(directory)
    campaigns, errors = {}, []
    for path in sorted(directory.glob("*.yml")) if directory.is_dir() else []:
        try:
            campaigns[path.stem] = load_campaign(path, policy)
        except CampaignError as exc:
            errors.append(str(exc))
    names: Dict[str, str] = {}
    for campaign in campaigns.values():
        for stage in campaign.experiments:
            name = campaign.experiment_name(stage)
            if name in names:
                errors.append(f"{directory}: experiment {name!r} is named twice "
                              f"({names[name]} and {campaign.id}.{stage})")
            names[name] = f"{campaign.id}.{stage}"
    if errors:
        raise CampaignError("\n".join(errors))
    return campaigns
