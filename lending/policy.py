"""The lender's policy (lender/policy.yml) and jurisdiction profiles, validated.

A lender edits YAML, not code. Loading fails fast with every problem listed, so a
typo in a limit can never turn into a plan the lender did not approve.
"""
from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Literal, Optional

import yaml

from lending.languages import parser_language
from lending.pydantic_v1 import (
    BaseModel,
    Extra,
    ValidationError,
    confloat,
    conint,
    root_validator,
    validator,
)

LENDER_DIR = Path(__file__).resolve().parent.parent / "lender"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class PolicyError(ValueError):
    """The policy or a jurisdiction profile cannot be used; the message says why."""


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


def _clock(value: str) -> dt.time:
    try:
        return dt.datetime.strptime(value, "%H:%M").time()
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a time of day like '08:00'") from None


class Hours(_Strict):
    start: dt.time
    end: dt.time

    _parse = validator("start", "end", pre=True, allow_reuse=True)(_clock)

    @root_validator(skip_on_failure=True)
    def _ordered(cls, values):
        if values["start"] >= values["end"]:
            raise ValueError("start must be before end")
        return values


class AgentHours(Hours):
    timezone: str
    weekdays: List[str]

    @validator("timezone")
    def _known_zone(cls, value):
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except Exception:
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value

    @validator("weekdays", each_item=True)
    def _weekday(cls, value):
        if value not in WEEKDAYS:
            raise ValueError(f"{value!r} is not one of {WEEKDAYS}")
        return value


class Lender(_Strict):
    name: str
    assistant_name: str
    support_phone: str
    agent_hours: AgentHours  # the default desk
    # Desks by language ("zh": the Chinese-speaking agents); a language without one goes
    # to agent_hours.
    desks: Dict[str, AgentHours] = {}

    def hours_for(self, language: str) -> AgentHours:
        """The hours of the desk that answers borrowers writing in this language."""
        return self.desks.get(parser_language(language)) or self.agent_hours


class Payments(_Strict):
    link_template: str
    methods: Dict[str, List[str]]  # by language; English is the fallback

    @validator("link_template")
    def _has_reference(cls, value):
        if "{account_ref}" not in value:
            raise ValueError("must contain {account_ref}")
        return value

    @validator("methods")
    def _english_methods(cls, value):
        if not value.get("en"):
            raise ValueError("must list the English methods under en")
        return value

    def methods_for(self, language: str) -> List[str]:
        """The ways to pay, said in this language (English when it has none)."""
        return self.methods.get(parser_language(language)) or self.methods["en"]


class Instalments(_Strict):
    min_months: conint(ge=2, le=60)
    max_months: conint(ge=2, le=60)
    min_instalment: Decimal
    down_payment_percent: conint(ge=0, le=90) = 0
    first_instalment_in_days: conint(ge=0, le=60) = 7
    max_active_plans: conint(ge=1) = 1
    grace_days: conint(ge=0, le=30) = 3  # an instalment unpaid this long after its date breaks the plan
    max_date_move_days: conint(ge=0, le=60) = 14  # how far the borrower may move one instalment
    max_date_moves: conint(ge=0) = 1  # moves per arrangement

    @root_validator(skip_on_failure=True)
    def _range(cls, values):
        if values["min_months"] > values["max_months"]:
            raise ValueError("min_months must not exceed max_months")
        if values["min_instalment"] <= 0:
            raise ValueError("min_instalment must be positive")
        return values


class Deferral(_Strict):
    max_days: conint(ge=1, le=365)
    max_per_12_months: conint(ge=0)
    max_days_overdue: conint(ge=0)


class Promise(_Strict):
    max_days_ahead: conint(ge=0, le=90)
    grace_days: conint(ge=0, le=30) = 0  # a promise unpaid this long after its date is broken


class Hardship(_Strict):
    """Relief for a borrower in hardship (lending/relief.py), offered by the bot and agents."""

    fee_waiver: bool
    reduced_payment_percent: conint(ge=0, le=100)  # instalments may be this much smaller than a plan's
    handoff: bool
    breathing_space_days: conint(ge=0, le=90) = 0  # 0: not offered


class Vulnerability(_Strict):
    """Borrowers flagged vulnerable (accounts file, an agent, or the bot after a hardship)."""

    exclude_from_campaigns: bool = True  # no automated campaign texts or calls
    route_to_agents: bool = True  # their messages go to a person rather than the bot


class Identity(_Strict):
    """Right-party verification across every conversation with an account: wrong answers
    count per account (SMS, calls, the console) within `window_minutes`; at `max_attempts`
    the account is locked for `lockout_minutes` (store/identity.py)."""

    max_attempts: conint(ge=1, le=5)
    window_minutes: conint(ge=1, le=43200) = 1440  # 30 days at most
    lockout_minutes: conint(ge=1, le=43200) = 1440


class Conversation(_Strict):
    session_expiry_minutes: conint(ge=5)
    rasa_timeout_seconds: conint(ge=1, le=12)  # Twilio gives up on a webhook at 15 s


# Outcomes after which the bot may ask "How did we do?": agreements only. Never after an
# opt-out, a dispute (or "already paid"), legal steps, hardship, a wrong person or abuse.
FEEDBACK_OUTCOMES = ("promise", "plan", "deferral", "payment_link")


class Feedback(_Strict):
    """One short question after a conversation reaches an agreement (server/sms/feedback.py)."""

    ask: bool = False
    after: List[str] = list(FEEDBACK_OUTCOMES)  # outcome kinds that earn the question
    reply_window_minutes: conint(ge=5, le=1440) = 120  # a digit later is a normal message

    @validator("after", each_item=True)
    def _agreement(cls, value):
        if value not in FEEDBACK_OUTCOMES:
            raise ValueError(f"{value!r}: the question follows only {', '.join(FEEDBACK_OUTCOMES)}")
        return value


class Voicemail(_Strict):
    """The limited-content message an answering machine gets: a neutral business name, a
    person's name, a callback number and a request to call back; nothing about a debt."""

    business_name: Optional[str] = None  # None: the lender's name
    caller_name: Optional[str] = None  # None: the assistant's name
    callback_phone: Optional[str] = None  # None: the lender's support phone

    @validator("business_name")
    def _neutral(cls, value):
        name = (value or "").lower()
        words = set(name.replace("-", " ").split())
        # Chinese has no spaces between words: its words are looked for inside the name.
        if words & NOT_NEUTRAL or any(w in name for w in NOT_NEUTRAL if not w.isascii()):
            raise ValueError("must not say the call is about a debt or its collection")
        return value


# Words a voicemail's business name must not contain (a third party may hear it).
NOT_NEUTRAL = {"debt", "debts", "collect", "collection", "collections", "collector",
               "recovery", "arrears", "overdue",
               "欠款", "欠债", "债务", "逾期", "催收", "催债", "讨债", "追债", "清收", "还款"}


class Voice(_Strict):
    """How calls sound and when the gateway asks again (server/voice/webhook.py)."""

    min_speech_confidence: confloat(ge=0, le=1) = 0.5  # below: "did you say ...?" first
    reprompts: conint(ge=0, le=5) = 2  # after silence or noise; then a polite close
    input_timeout_seconds: conint(ge=2, le=30) = 5  # silence before a re-prompt
    transfer_timeout_seconds: conint(ge=5, le=120) = 25  # ringing at the agent line
    voices: Dict[str, str] = {"en": "Polly.Joanna", "zh": "Polly.Zhiyu"}  # <Say voice> by language
    voicemail: Voicemail = Voicemail()


class Handoff(_Strict):
    request_human: bool
    legal_protection: bool
    hardship: bool
    dispute_debt: bool
    abuse_after_deescalation: bool
    not_understood_twice: bool
    outside_policy: bool


# The keys of lending.plans.Refusal.rule a supervisor may be allowed to approve.
OVERRIDABLE_RULES = (
    "months_out_of_range", "instalment_below_minimum", "plan_limit", "promise_too_far",
    "date_move_too_far", "date_move_limit",  # lending.arrangements.date_move
    "arrangement_cancel",  # listed: an agent's cancelling an arrangement waits for a supervisor
)


class Exceptions(_Strict):
    """What an agent may agree beyond the limits, with a supervisor's approval."""

    supervisor_may_approve: List[str] = []

    @validator("supervisor_may_approve", each_item=True)
    def _known_rule(cls, value):
        if value not in OVERRIDABLE_RULES:
            raise ValueError(f"{value!r} is not one of {list(OVERRIDABLE_RULES)}")
        return value


class Frequency(_Strict):
    """Caps on outbound calls and automated texts (lending/compliance.py applies them).
    Contact the borrower starts, and answers in a conversation they started, never count;
    `calls_counted_per` says whether calls to the same debt (US Reg F) or to the same
    phone number (China) are counted together. SMS caps count per account, in the
    borrower's days."""

    call_attempts_per_7_days: Optional[conint(ge=1)]
    quiet_days_after_conversation: Optional[conint(ge=1)]
    connected_calls_per_day: Optional[conint(ge=1)]
    unanswered_attempts_per_day: Optional[conint(ge=1)]
    calls_counted_per: Literal["debt", "number"] = "debt"
    sms_per_day: Optional[conint(ge=1)] = None
    sms_per_7_days: Optional[conint(ge=1)] = None


class Consent(_Strict):
    """Which automated contact needs the borrower's recorded consent (the consent ledger,
    store/consents.py). US TCPA: automated texts and calls with an artificial or AI voice
    to a mobile number need prior express consent."""

    automated_sms: bool = True
    automated_voice: bool = True

    def required(self, channel: str) -> bool:
        return self.automated_sms if channel == "sms" else self.automated_voice


# Gate rules (lending.compliance.Rule) a profile may let a supervisor override, with a
# reason. Attorney or bankruptcy, opt-outs, consent and wrong numbers are never overridable.
OVERRIDABLE_CONTACT_RULES = (
    "account_disputed", "contact_hours", "inconvenient_time", "callback_requested",
    "sms_per_day", "sms_per_7_days",
)


class Jurisdiction(_Strict):
    name: str
    contact_hours: Hours
    frequency: Frequency
    # An answer to the borrower's own message within this many minutes of it may go
    # outside contact hours (0: never). US Reg F lets a collector respond to a
    # consumer-initiated communication at that time, through the same medium.
    reply_window_minutes: conint(ge=0, le=120) = 0
    consent: Consent = Consent()
    supervisor_may_override: List[str] = []
    sms_may_state_amount: bool
    required_statements: Dict[str, str]
    audit_retention_years: conint(ge=1)

    @validator("required_statements")
    def _plain_statements(cls, value):
        # Said word for word (the response fills only {statement}): a placeholder such as
        # {lender} would reach the borrower as it is written.
        for language, text in value.items():
            if not language.isalpha() or language != language.lower():
                raise ValueError(f"{language!r} is not a language code like 'en' or 'zh'")
            if not text.strip() or "{" in text or "}" in text:
                raise ValueError(f"the {language!r} statement must be plain text without {{placeholders}}")
        return value

    @validator("supervisor_may_override", each_item=True)
    def _overridable(cls, value):
        if value not in OVERRIDABLE_CONTACT_RULES:
            raise ValueError(f"{value!r} is not one of {list(OVERRIDABLE_CONTACT_RULES)}")
        return value

    def required_statement(self, language: str) -> Optional[str]:
        """The statement owed in this language ("zh-CN" and "zh_Hans" read as "zh"), falling
        back to English."""
        return (self.required_statements.get(parser_language(language))
                or self.required_statements.get("en"))


class Policy(_Strict):
    lender: Lender
    jurisdiction: str
    payments: Payments
    instalments: Instalments
    deferral: Deferral
    promise: Promise
    hardship: Hardship
    vulnerability: Vulnerability = Vulnerability()
    identity: Identity
    conversation: Conversation
    handoff: Handoff
    exceptions: Exceptions = Exceptions()
    voice: Voice = Voice()
    feedback: Feedback = Feedback()
    profile: Jurisdiction  # the default profile: accounts without a jurisdiction of their own
    jurisdictions: Dict[str, Jurisdiction] = {}  # every profile in lender/jurisdictions/

    def grace_days(self, kind: str) -> int:
        """Days after a due date an arrangement's payment still counts as on time."""
        return self.promise.grace_days if kind == "promise" else self.instalments.grace_days

    def payment_link(self, account_ref: str) -> str:
        return self.payments.link_template.format(account_ref=account_ref)

    def profile_for(self, jurisdiction: Optional[str]) -> Jurisdiction:
        """The account's profile; the policy's own for an account without one. An unknown
        name is refused: contact under the wrong rules is worse than none."""
        if not jurisdiction or jurisdiction == self.jurisdiction:
            return self.profile
        try:
            return self.jurisdictions[jurisdiction]
        except KeyError:
            raise PolicyError(f"no jurisdiction profile {jurisdiction!r}") from None

    def all_profiles(self) -> Dict[str, Jurisdiction]:
        return {**self.jurisdictions, self.jurisdiction: self.profile}

    def account_import_options(self) -> dict:
        """What loading accounts needs from the policy (store.accounts.import_records)."""
        return {"jurisdictions": set(self.all_profiles()), "default_jurisdiction": self.jurisdiction}


def _explain(error: ValidationError, source: Path) -> str:
    lines = [f"{source}: invalid policy"]
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"] if part != "__root__")
        lines.append(f"  - {where or '(top level)'}: {problem['msg']}")
    return "\n".join(lines)


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: expected a mapping at the top level")
    return data


def load_policy(path: Optional[Path] = None) -> Policy:
    """Reads and validates the policy and the jurisdiction profile it names."""
    path = Path(path or os.environ.get("POLICY_FILE") or LENDER_DIR / "policy.yml")
    data = _read_yaml(path)
    name = data.get("jurisdiction")
    if not isinstance(name, str) or not name.isidentifier():
        raise PolicyError(f"{path}: 'jurisdiction' must name a profile, e.g. 'us'")
    folder = path.parent / "jurisdictions"
    data["profile"] = _read_yaml(folder / f"{name}.yml")
    # Every profile ships beside it: accounts name theirs (store column `jurisdiction`).
    data["jurisdictions"] = {
        other.stem: _read_yaml(other) for other in sorted(folder.glob("*.yml"))
        if other.stem.isidentifier()
    }
    try:
        return Policy(**data)
    except ValidationError as exc:
        raise PolicyError(_explain(exc, path)) from None


@lru_cache(maxsize=None)
def current_policy() -> Policy:
    """The policy the running process uses, read once."""
    return load_policy()
