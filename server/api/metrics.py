"""Operations metrics in Prometheus' format: GET /metrics (bearer METRICS_TOKEN, or
API_KEY; neither set: 503, never open).

Measured as it happens (prometheus_client, one set per process; under gunicorn with
PROMETHEUS_MULTIPROC_DIR every worker writes its own files and a scrape adds them up):

    repay_http_request_seconds{route,method,status}   every request but /metrics, per route
    repay_rasa_request_seconds{language}              each turn sent to a dialogue model
    repay_rasa_errors_total{language,error}           turns it did not answer
    repay_messages_deferred_total{reason}             inbound messages left for redelivery

Read from the store and the queue at scrape time (the same for every process):

    repay_redelivery_backlog                          deferred messages still unanswered
    repay_handoff_queue_depth{priority}               conversations waiting for an agent
    repay_campaign_attempts{state}                    attempts per state (scheduled_due, ...)
    repay_campaign_queue_depth                        jobs on the RQ queue (with REDIS_URL)
    repay_campaign_sent_last_5m                       attempts sent in the last 5 minutes
"""
from __future__ import annotations

import datetime as dt
import hmac
import logging
import os
import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import case, func, select

from server import services
from server.metrics import HTTP_SECONDS
from store.db import session_scope
from store.models import (
    AttemptState,
    ContactAttempt,
    Handoff,
    HandoffStatus,
    Message,
    MessageStatus,
)

log = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def _started():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("metrics_started", None)
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        if started is not None and rule != "/metrics":
            HTTP_SECONDS.labels(rule, request.method, str(response.status_code)).observe(
                time.perf_counter() - started)
        return response


def _authorised() -> bool:
    settings = services().settings
    tokens = [t for t in (settings.metrics_token, settings.api_key) if t]
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and any(
        hmac.compare_digest(given.strip().encode(), token.encode()) for token in tokens)


@bp.get("/metrics")
def metrics() -> Response:
    settings = services().settings
    if not (settings.metrics_token or settings.api_key):  # never open by default
        return Response("metrics need METRICS_TOKEN or API_KEY\n", status=503, mimetype="text/plain")
    if not _authorised():
        return Response("missing or wrong token (Authorization: Bearer <METRICS_TOKEN>)\n",
                        status=401, mimetype="text/plain", headers={"WWW-Authenticate": "Bearer"})
    measured = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(measured)  # every worker's files, added up
    else:
        measured = REGISTRY
    current = CollectorRegistry()
    current.register(StoreCollector(settings))
    body = generate_latest(measured) + generate_latest(current)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


class StoreCollector:
    """Gauges read at scrape time: they describe the store, whichever process asks."""

    def __init__(self, settings):
        self.settings = settings

    def collect(self):
        now = dt.datetime.now(dt.timezone.utc)
        with session_scope() as session:
            backlog = session.execute(select(func.count(Message.id)).where(
                Message.direction == "in", Message.status == MessageStatus.DEFERRED)).scalar_one()
            handoffs = session.execute(
                select(Handoff.priority, func.count(Handoff.id))
                .where(Handoff.status == HandoffStatus.QUEUED).group_by(Handoff.priority)).all()
            due = case((ContactAttempt.not_before <= now, 1), else_=0)
            states = session.execute(
                select(ContactAttempt.state, func.count(ContactAttempt.id), func.sum(due))
                .group_by(ContactAttempt.state)).all()
            sent = session.execute(select(func.count(ContactAttempt.id)).where(
                ContactAttempt.sent_at >= now - dt.timedelta(minutes=5))).scalar_one()
        yield GaugeMetricFamily("repay_redelivery_backlog",
                                "Deferred inbound messages still waiting for the bot", value=backlog)
        depth = GaugeMetricFamily("repay_handoff_queue_depth", "Conversations waiting for an agent",
                                  labels=["priority"])
        for priority, count in handoffs:
            depth.add_metric([str(priority)], count)
        yield depth
        attempts = GaugeMetricFamily("repay_campaign_attempts", "Contact attempts per state",
                                     labels=["state"])
        for state, count, due_count in states:
            if state == AttemptState.SCHEDULED:
                attempts.add_metric(["scheduled_due"], int(due_count or 0))
                attempts.add_metric(["scheduled_later"], count - int(due_count or 0))
            else:
                attempts.add_metric([state], count)
        yield attempts
        yield GaugeMetricFamily("repay_campaign_sent_last_5m", "Attempts sent in the last 5 minutes",
                                value=sent)
        queued = self._queue_depth()
        if queued is not None:
            yield GaugeMetricFamily("repay_campaign_queue_depth", "Jobs waiting on the campaign queue",
                                    value=queued)

    def _queue_depth(self):
        if not self.settings.redis_url:
            return None
        try:
            import redis
            from rq import Queue

            connection = redis.Redis.from_url(self.settings.redis_url, socket_timeout=2)
            return Queue(self.settings.campaign_queue, connection=connection).count
        except Exception as exc:  # a scrape still reports the rest
            log.warning("metrics: campaign queue unreadable (%s)", type(exc).__name__)
            return None
