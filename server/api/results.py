"""GET /api/results: the results (store/results.py) for a period, as JSON.

    GET /api/results?from=YYYY-MM-DD&to=YYYY-MM-DD&by=campaign|stage|channel|language|variant
    Authorization: Bearer <API_KEY>

Both days are included (the borrower's days, docs/results.md); without them, the last 30
days to today (UTC). A bad date, a period over a year, or an unknown `by` is a 400 that
says why; `by=variant` is a 400 while contact attempts carry no template variant.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Flask, jsonify, request

from server.api.auth import json_error, requires_api_key
from store.db import session_scope
from store.results import ResultsError, check_dimension, parse_period, results

bp = Blueprint("results_api", __name__)


def report_for(args) -> dict:
    """The results the query string asks for; ResultsError when it asks for something wrong."""
    today = dt.datetime.now(dt.timezone.utc).date()
    start, end = parse_period(args.get("from"), args.get("to"), today)
    by = check_dimension(args.get("by"))
    with session_scope() as session:
        return results(session, start, end, by)


@bp.get("/api/results")
@requires_api_key
def results_api():
    try:
        return jsonify(report_for(request.args))
    except ResultsError as error:
        return json_error(400, str(error))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
