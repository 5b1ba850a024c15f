"""When a process is in production, and the secrets it then refuses to start without.

One rule for the gateway and the campaign workers: anything that says real traffic
(PUBLIC_URL, Twilio REST credentials, or REPAY_ENV=production) makes every secret that process
needs mandatory, and a missing one, or a development default, stops it with a ConfigError that
names the variable. Local use (./repay demo, the tests, the e2e stack) sets none of them and
needs no secret. The action server is stricter: it needs ACTION_SERVER_TOKEN always
(actions/config.py), since Rasa always sends one (endpoints.yml).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Iterable, List, Mapping, Optional

# Webhook signatures are always checked. Without TWILIO_AUTH_TOKEN the gateway expects this
# well-known development token, which the local simulator signs with too. It is public.
DEV_TWILIO_AUTH_TOKEN = "repay-local-development-token"

# Any of these set: the process serves real borrowers.
PRODUCTION_SIGNALS = (
    "PUBLIC_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_FROM_NUMBER",
    "TWILIO_MESSAGING_SERVICE_SID",
)
ENVIRONMENTS = ("development", "production")


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot use, or a secret is missing."""


@dataclass(frozen=True)
class Secret:
    name: str
    purpose: str  # why production needs it, for the message
    min_length: int = 1
    public_values: FrozenSet[str] = frozenset()  # published defaults: as good as none

    def problem(self, value: Optional[object]) -> Optional[str]:
        value = "" if value is None else str(value).strip()
        if not value:
            return f"set {self.name} ({self.purpose})"
        if value in self.public_values:
            return f"{self.name} holds the public development value; set the real one ({self.purpose})"
        if len(value) < self.min_length:
            return f"{self.name} must be at least {self.min_length} characters ({self.purpose})"
        return None


TWILIO_AUTH_TOKEN = Secret(
    "TWILIO_AUTH_TOKEN", "your Twilio account's auth token: it checks every webhook's signature",
    public_values=frozenset({DEV_TWILIO_AUTH_TOKEN}),
)
SECRET_KEY = Secret(
    "SECRET_KEY", "signs the console's session cookies; the same long random value in every "
    "gateway process, e.g. python -c 'import secrets; print(secrets.token_hex(32))'",
    min_length=32,
)
RASA_TOKEN = Secret(
    "RASA_TOKEN", "the gateway's key to Rasa's HTTP API: the value of rasa run --auth-token",
    min_length=16,
)
ACTION_SERVER_TOKEN = Secret(
    "ACTION_SERVER_TOKEN", "the key Rasa sends the action server (endpoints.yml)", min_length=16,
)

GATEWAY_SECRETS = (TWILIO_AUTH_TOKEN, SECRET_KEY, RASA_TOKEN)
WORKER_SECRETS = (TWILIO_AUTH_TOKEN,)  # a worker talks to Twilio and the store only


def production_signals(environ: Mapping[str, object]) -> List[str]:
    """The variables that say this is production; empty for local use."""
    environment = str(environ.get("REPAY_ENV") or "").strip().lower()
    if environment and environment not in ENVIRONMENTS:
        raise ConfigError(f"REPAY_ENV must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")
    signals = [name for name in PRODUCTION_SIGNALS if str(environ.get(name) or "").strip()]
    if environment == "production":
        signals.insert(0, "REPAY_ENV=production")
    return signals


def looks_like_production(environ: Mapping[str, object]) -> bool:
    return bool(production_signals(environ))


def require_secrets(environ: Mapping[str, object], secrets: Iterable[Secret], process: str) -> None:
    """Raises ConfigError naming each secret `process` lacks, when this looks like production.
    REPAY_ENV=development does not lift the rule: a public URL or Twilio credentials still
    mean real borrowers."""
    signals = production_signals(environ)
    if not signals:
        return
    problems = [p for p in (secret.problem(environ.get(secret.name)) for secret in secrets) if p]
    if problems:
        raise ConfigError(
            f"{process} refuses to start: this looks like production ({', '.join(signals)} set)."
            + "".join(f"\n  - {problem}" for problem in problems)
            + "\nSee docs/security.md, \"What an operator must set\"."
        )
