"""Every environment variable the gateway and the campaign workers read, in one place: ENV_VARS.

`Settings.from_env()` is called by the app factory only (never at import time).
Tests pass overrides to `create_app({...})` using the same names.

What each variable means, its default, and the production rule for secrets
(settings/deployment.py) are documented in docs/configuration.md, the one table of them;
tests/unit/test_configuration_doc.py keeps that table and ENV_VARS in step.
ACTION_SERVER_TOKEN and REPAY_NOW are the action server's (actions/config.py).
"""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from lending.policy import LENDER_DIR
from settings.deployment import DEV_TWILIO_AUTH_TOKEN, ConfigError
from store.db import DEFAULT_URL

NLU_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "nlu"

__all__ = ["DEV_TWILIO_AUTH_TOKEN", "ENV_VARS", "ConfigError", "Settings"]

ENV_VARS = (
    "DATABASE_URL",
    "POLICY_FILE",
    "RASA_URL",
    "RASA_URL_ZH",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_FROM_NUMBER",
    "TWILIO_MESSAGING_SERVICE_SID",
    "PUBLIC_URL",
    "API_KEY",
    "METRICS_TOKEN",
    "REDIS_URL",
    "REDELIVERY_INTERVAL_SECONDS",
    "SECRET_KEY",
    "RASA_TOKEN",
    "TRUSTED_PROXIES",
    "REPAY_ENV",
    "CONSOLE_IDLE_MINUTES",
    "CAMPAIGNS_DIR",
    "CAMPAIGN_QUEUE",
    "SEND_RATE_PER_NUMBER",
    "CAMPAIGN_LEASE_SECONDS",
    "NLU_REVIEW_CONFIDENCE",
    "NLU_REVIEW_SAMPLE_RATE",
    "NLU_DATA_DIR",
    "AGENT_PHONE",
)

# "10/second", "1 per second", "30/minute": the syntax of the `limits` library.
_RATE = re.compile(r"^\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day)s?$")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    policy_file: str = str(LENDER_DIR / "policy.yml")
    rasa_url: str = "http://localhost:5005"
    rasa_url_zh: str = "http://localhost:5006"
    twilio_auth_token: str = DEV_TWILIO_AUTH_TOKEN
    twilio_account_sid: Optional[str] = None
    twilio_from_number: Optional[str] = None
    twilio_messaging_service_sid: Optional[str] = None
    public_url: Optional[str] = None
    api_key: Optional[str] = None
    metrics_token: Optional[str] = None  # GET /metrics (server/api/metrics.py)
    redis_url: Optional[str] = None
    redelivery_interval_seconds: float = 5.0
    secret_key: Optional[str] = None  # signs the agent console's session cookies
    rasa_token: Optional[str] = None  # Rasa's HTTP API (`rasa run --auth-token`)
    trusted_proxies: int = 0  # proxies whose X-Forwarded-* headers are believed
    repay_env: Optional[str] = None  # "production": settings/deployment.py's rule (it reads the environment)
    console_idle_minutes: float = 30.0
    campaigns_dir: str = str(LENDER_DIR / "campaigns")
    campaign_queue: str = "campaigns"
    send_rate_per_number: str = "1/second"
    campaign_lease_seconds: float = 300.0
    nlu_review_confidence: float = 0.7
    nlu_review_sample_rate: float = 0.02
    nlu_data_dir: str = str(NLU_DATA_DIR)
    agent_phone: Optional[str] = None  # the agents' line a call is put through to (E.164)

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, object]] = None) -> "Settings":
        """Reads the variables above; empty or None values count as unset."""
        environ = os.environ if environ is None else environ
        values = {}
        for name in ENV_VARS:
            raw = environ.get(name)
            if raw is None or str(raw).strip() == "":
                continue
            values[name.lower()] = str(raw).strip()
        if "redelivery_interval_seconds" in values:
            values["redelivery_interval_seconds"] = _seconds(
                "REDELIVERY_INTERVAL_SECONDS", values["redelivery_interval_seconds"]
            )
        if "campaign_lease_seconds" in values:
            values["campaign_lease_seconds"] = _seconds(
                "CAMPAIGN_LEASE_SECONDS", values["campaign_lease_seconds"]
            )
        if "trusted_proxies" in values:
            values["trusted_proxies"] = _count("TRUSTED_PROXIES", values["trusted_proxies"])
        if "console_idle_minutes" in values:
            values["console_idle_minutes"] = _minutes(
                "CONSOLE_IDLE_MINUTES", values["console_idle_minutes"]
            )
        for name in ("nlu_review_confidence", "nlu_review_sample_rate"):
            if name in values:
                values[name] = _share(name.upper(), values[name])
        if "send_rate_per_number" in values and not _RATE.match(values["send_rate_per_number"]):
            raise ConfigError(
                "SEND_RATE_PER_NUMBER must look like '1/second' or '30 per minute', "
                f"got {values['send_rate_per_number']!r}"
            )
        for name in ("rasa_url", "rasa_url_zh"):
            if name in values:
                values[name] = ",".join(_urls(name.upper(), values[name]))
        if "public_url" in values:
            values["public_url"] = values["public_url"].rstrip("/")
        return cls(**values)

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)

    @property
    def rasa_urls(self) -> Dict[str, List[str]]:
        """Each language's dialogue model: its Rasa processes."""
        return {"en": _urls("RASA_URL", self.rasa_url),
                "zh": _urls("RASA_URL_ZH", self.rasa_url_zh)}

    @property
    def uses_dev_auth_token(self) -> bool:
        return self.twilio_auth_token == DEV_TWILIO_AUTH_TOKEN

    @property
    def twilio_rest_configured(self) -> bool:
        """True when outbound SMS can go through Twilio's API instead of the outbox."""
        return bool(
            self.twilio_account_sid
            and self.twilio_auth_token
            and not self.uses_dev_auth_token
            and (self.twilio_from_number or self.twilio_messaging_service_sid)
        )


def _urls(name: str, raw: str) -> List[str]:
    """A comma-separated list of http(s) addresses, each without a trailing slash."""
    urls = [url.strip().rstrip("/") for url in raw.split(",") if url.strip()]
    if not urls or any(not re.match(r"^https?://[^/\s]+", url) for url in urls):
        raise ConfigError(f"{name} must be one or more http(s) addresses separated by commas, "
                          f"got {raw!r}")
    return urls


def _share(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number from 0 to 1, got {raw!r}") from None
    if not 0 <= value <= 1:
        raise ConfigError(f"{name} must be from 0 to 1, got {raw!r}")
    return value


def _count(name: str, raw: str) -> int:
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number (0 or more), got {raw!r}")
    return int(raw)


def _minutes(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of minutes, got {raw!r}") from None
    if not 0 < value <= 24 * 60:  # also refuses nan and inf
        raise ConfigError(f"{name} must be more than 0 and at most 1440 minutes, got {raw!r}")
    return value


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value
