"""Campaigns over HTTP: Twilio's status callbacks, and for operations (bearer API_KEY)
the preview and run of a campaign, a run's progress, payments and the follow-up of
arrangements, and a borrower's inconvenient times.

    POST /twilio/status                          signed by Twilio
    GET  /api/campaigns                          the configured campaigns
    GET  /api/campaigns/<id>/preview?at=&samples=
    GET  /api/campaigns/<id>/preview?at=&account_id=   one account: stage, outcome, why, standing
    GET  /api/campaigns/<id>/experiments?stage=   A/B tests: results per variant, verdicts
    POST /api/campaigns/<id>/run                 {"at": ISO instant, optional}
    GET  /api/campaigns/runs/<run_id>            attempts of a run per state
    POST /api/payments                           JSON list of payments (or {"payments": [...]})
    POST /api/arrangements/review                completed/broken, and follow-ups for broken ones
    PUT  /api/accounts/<id>/inconvenient-times   [{"weekdays": [...], "start", "end"}]

Campaign files are validated when the app starts: a bad file stops start-up with every
problem listed, like a bad policy.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Dict, Optional

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy import delete

from campaigns.attempts import progress, record_status, utc_now
from campaigns.config import Campaign, CampaignError, load_campaigns
from campaigns.experiment_results import campaign_results
from campaigns.payments import import_payments
from campaigns.preview import preview, preview_account
from campaigns.runtime import Runtime
from campaigns.scheduling import follow_up_arrangements, schedule
from lending.policy import WEEKDAYS
from lending.pydantic_v1 import BaseModel, Extra, ValidationError, conlist, validator
from server import services
from server.api.auth import json_error, requires_api_key
from server.api.input import parse_instant, request_json, row_id
from server.signature import twilio_signed
from store.db import session_scope
from store.models import Account, InconvenientTime
from store.outcomes import audit

log = logging.getLogger(__name__)

bp = Blueprint("campaigns", __name__)

RUN_HELP = 'expected {"at": "<ISO instant>"} or no body'
PAYMENTS_HELP = 'expected a JSON list of payments, or {"payments": [...]}'
WINDOWS_HELP = 'expected a JSON list like [{"weekdays": ["mon"], "start": "09:00", "end": "17:00"}]'
CAMPAIGNS = "repay.campaigns"
RUNTIME = "repay.campaigns.runtime"


@bp.record_once
def _load_campaigns(state) -> None:
    svc = services(state.app)
    state.app.extensions[CAMPAIGNS] = load_campaigns(svc.settings.campaigns_dir, svc.policy)


def campaigns(app: Optional[Flask] = None) -> Dict[str, Campaign]:
    return (app or current_app).extensions[CAMPAIGNS]


def campaign_runtime(app: Optional[Flask] = None) -> Runtime:
    """Redis, the queue, the limiter, Twilio: built on first use (runs need REDIS_URL)."""
    app = app or current_app._get_current_object()
    if RUNTIME not in app.extensions:
        svc = services(app)
        app.extensions[RUNTIME] = Runtime.build(svc.settings, svc.policy, campaigns(app))
    return app.extensions[RUNTIME]


# -- Twilio ------------------------------------------------------------------------------

@bp.post("/twilio/status")
@twilio_signed
def status_callback() -> Response:
    hint = request.args.get("attempt", type=row_id)
    with session_scope() as session:
        matched = record_status(session, request.form, hint)
    log.info("status callback: attempt %s -> %s", matched.get("attempt"), matched.get("status"))
    return Response(status=204)


# -- operations --------------------------------------------------------------------------

def _campaign_or_404(campaign_id: str):
    found = campaigns().get(campaign_id)
    if found is None:
        return None, json_error(404, f"no campaign {campaign_id!r}; known: {', '.join(sorted(campaigns()))}")
    return found, None


@bp.get("/api/campaigns")
@requires_api_key
def list_campaigns():
    return jsonify([
        {"id": c.id, "name": c.name, "channel": c.channel,
         "stages": {name: stage.kind for name, stage in c.stages.items()}}
        for c in campaigns().values()
    ])


@bp.get("/api/campaigns/<campaign_id>/preview")
@requires_api_key
def preview_campaign(campaign_id: str):
    campaign, missing = _campaign_or_404(campaign_id)
    if missing is not None:
        return missing
    at = parse_instant(request.args.get("at"), now=utc_now())
    account_id = request.args.get("account_id")
    if account_id is not None:
        with session_scope() as session:
            found = preview_account(session, campaign, services().policy, at, account_id)
        if found is None:
            return json_error(404, f"no account {account_id!r}")
        return jsonify(found.as_dict())
    samples = min(max(request.args.get("samples", default=1, type=int), 0), 10)
    with session_scope() as session:
        report = preview(session, campaign, services().policy, at, samples=samples)
    return jsonify(report.as_dict())


@bp.get("/api/campaigns/<campaign_id>/experiments")
@requires_api_key
def campaign_experiments(campaign_id: str):
    campaign, missing = _campaign_or_404(campaign_id)
    if missing is not None:
        return missing
    stage = request.args.get("stage") or None
    if stage is not None and stage not in campaign.experiments:
        return json_error(404, f"no experiment in stage {stage!r}; stages with one: "
                           f"{', '.join(campaign.experiments) or 'none'}")
    with session_scope() as session:
        results = campaign_results(session, campaign, utc_now(), stage)
    return jsonify({"campaign": campaign.id, "experiments": results})


@bp.post("/api/campaigns/<campaign_id>/run")
@requires_api_key
def run_campaign(campaign_id: str):
    campaign, missing = _campaign_or_404(campaign_id)
    if missing is not None:
        return missing
    body = request_json(RUN_HELP, required=False) or {}
    if not isinstance(body, dict):
        return json_error(400, RUN_HELP)
    at = parse_instant(body.get("at"), now=utc_now())
    try:
        rt = campaign_runtime()
    except CampaignError as exc:
        return json_error(503, str(exc))
    report = schedule(rt, campaign, at, actor="api")
    log.info("campaign %s run %s: %d scheduled", campaign.id, report.run_id, report.scheduled)
    return jsonify(report.as_dict())


@bp.get("/api/campaigns/runs/<run_id>")
@requires_api_key
def run_progress(run_id: str):
    with session_scope() as session:
        counts = progress(session, run_id=run_id)
    if not counts["total"]:
        return json_error(404, f"no attempts for run {run_id!r}")
    return jsonify({"run_id": run_id, **counts})


@bp.post("/api/payments")
@requires_api_key
def post_payments():
    data = request_json(PAYMENTS_HELP)
    if isinstance(data, dict) and "payments" in data:
        data = data["payments"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return json_error(400, PAYMENTS_HELP)
    now = utc_now()
    with session_scope() as session:
        report = import_payments(session, data, "api", now, services().policy)
    log.info("payments: created %d, duplicates %d, rejected %d",
             report.created, report.duplicates, len(report.errors))
    return jsonify(report.as_dict())


@bp.post("/api/arrangements/review")
@requires_api_key
def review_arrangements():
    try:
        rt = campaign_runtime()
    except CampaignError as exc:
        return json_error(503, str(exc))
    return jsonify(follow_up_arrangements(rt, utc_now(), actor="api"))


class WindowIn(BaseModel):
    weekdays: conlist(str, min_items=1)
    start: dt.time
    end: dt.time

    class Config:
        extra = Extra.forbid

    @validator("start", "end", pre=True)
    def _clock(cls, value):
        if isinstance(value, dt.time):
            return value
        try:
            return dt.datetime.strptime(str(value), "%H:%M").time()
        except ValueError:
            raise ValueError(f"{value!r} is not a time of day like '09:00'") from None

    @validator("weekdays", each_item=True)
    def _weekday(cls, value):
        if value not in WEEKDAYS:
            raise ValueError(f"{value!r} is not one of {WEEKDAYS}")
        return value

    @validator("end")
    def _after_start(cls, value, values):
        if "start" in values and value <= values["start"]:
            raise ValueError("end must be after start")
        return value


@bp.put("/api/accounts/<account_id>/inconvenient-times")
@requires_api_key
def put_inconvenient_times(account_id: str):
    data = request_json(WINDOWS_HELP)
    if not isinstance(data, list):
        return json_error(400, WINDOWS_HELP)
    if not all(isinstance(item, dict) for item in data):
        return json_error(400, "each inconvenient time is an object with weekdays, start and end")
    try:
        windows = [WindowIn(**item) for item in data]
    except ValidationError as exc:
        return json_error(400, "; ".join(
            f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in exc.errors()
        ))
    with session_scope() as session:
        if session.get(Account, account_id) is None:
            return json_error(404, f"no account {account_id!r}")
        session.execute(delete(InconvenientTime).where(InconvenientTime.account_id == account_id))
        for window in windows:
            session.add(InconvenientTime(account_id=account_id, weekdays=",".join(window.weekdays),
                                         start=window.start, end=window.end))
        audit(session, "api", "inconvenient_times", account_id=account_id,
              details={"windows": len(windows)})
    return jsonify({"account_id": account_id, "inconvenient_times": [
        {"weekdays": w.weekdays, "start": f"{w.start:%H:%M}", "end": f"{w.end:%H:%M}"} for w in windows
    ]})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
