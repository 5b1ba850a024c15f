"""What a worker (or the app, for runs) needs to send: settings, the policy and the
campaigns, Redis and the RQ queue, the send-rate limiter and Twilio (or the outbox).

A job running under any RQ worker calls `runtime()`: built once per process from the
environment (the same variables as the gateway, settings/service.py), rebuilt in a forked
child so no database connection is shared across a fork.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry
from rq import Queue
from twilio.http import HttpClient

import store.db
from campaigns.config import Campaign, CampaignError, load_campaigns
from campaigns.delivery import TwilioProvider
from campaigns.ratelimit import SendLimiter
from lending.policy import Policy, load_policy
from settings.deployment import WORKER_SECRETS, require_secrets
from settings.service import Settings

OUTBOX_NUMBER = "outbox"


def redis_client(url: str) -> redis.Redis:
    """A client that rides out a Redis restart (its commands retried for about 10 s): RQ's
    worker exits on a Redis error met outside its wait for jobs (a job's heartbeat, its
    bookkeeping), and a restart of Redis would otherwise end every worker."""
    return redis.Redis.from_url(url, retry=Retry(ExponentialBackoff(cap=2, base=0.1), 8),
                                retry_on_error=[RedisConnectionError, RedisTimeoutError, OSError])


@dataclass
class Runtime:
    settings: Settings
    policy: Policy
    campaigns: Dict[str, Campaign]
    redis: redis.Redis
    queue: Queue
    limiter: SendLimiter
    provider: Optional[TwilioProvider]  # None: messages go to the outbox

    @classmethod
    def build(
        cls, settings: Settings, policy: Optional[Policy] = None,
        campaigns: Optional[Dict[str, Campaign]] = None, http_client: Optional[HttpClient] = None,
    ) -> "Runtime":
        if not settings.redis_url:
            raise CampaignError(
                "campaign runs and workers need REDIS_URL: the job queue and the send rate "
                "per number live in Redis"
            )
        policy = policy or load_policy(settings.policy_file)
        if campaigns is None:
            campaigns = load_campaigns(settings.campaigns_dir, policy)
        connection = redis_client(settings.redis_url)
        return cls(
            settings=settings, policy=policy, campaigns=campaigns, redis=connection,
            queue=Queue(settings.campaign_queue, connection=connection),
            limiter=SendLimiter(
                settings.redis_url, settings.send_rate_per_number,
                namespace=f"repay-send:{settings.campaign_queue}",
            ),
            provider=TwilioProvider(settings, http_client) if settings.twilio_rest_configured else None,
        )

    @property
    def via(self) -> str:
        return "outbox" if self.provider is None else "twilio"

    def sending_number(self, channel: str) -> str:
        """The number whose send rate a message uses up."""
        if self.provider is None:
            return OUTBOX_NUMBER
        settings = self.settings
        if channel == "sms" and settings.twilio_messaging_service_sid:
            return settings.twilio_messaging_service_sid
        return settings.twilio_from_number or OUTBOX_NUMBER


_current: Optional[Tuple[int, Runtime]] = None


def install(runtime: Runtime) -> Runtime:
    """Makes `runtime` the one this process's jobs use."""
    global _current
    _current = (os.getpid(), runtime)
    return runtime


def runtime() -> Runtime:
    """This process's runtime, built from the environment on first use."""
    if _current is not None and _current[0] == os.getpid():
        return _current[1]
    # Without this, a worker missing its Twilio token in production would quietly fill the outbox.
    require_secrets(os.environ, WORKER_SECRETS, "A campaign worker")
    settings = Settings.from_env()
    store.db.connect(settings.database_url)
    return install(Runtime.build(settings))
