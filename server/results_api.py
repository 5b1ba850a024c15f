"""GET /api/results: the results (store/results.py) for a period, as JSON.

    GET /api/results?from=YYYY-MM-DD&to=YYYY-MM-DD&by=campaign|stage|channel|language|variant
    Authorization: Bearer <API_KEY>

Both days are included (the borrower's days, docs/results.md); without them, the last 30
days to today (UTC). A bad date, a period over a year, or an unknown `by` is a 400 that
says why; `by=variant` is a 400 while contact attempts carry no template variant.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify, request

from server.api import _authorised, _error
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
def results_api():
    refusal = _authorised()
    if refusal is not None:
        return refusal
    try:
        return jsonify(report_for(request.args))
    except ResultsError as error:
        return _error(400, str(error))
