"""The results page: what the contacts achieved (store/results.py), for analysts and
supervisors, read-only.

    /console/results               the page: funnel, trend per day, breakdown, filters
    /console/api/results           the JSON it draws (the same as GET /api/results)
    /console/results.csv           the same figures as a spreadsheet

The filters are the query string (from, to, by), so a view can be bookmarked or shared.
The CSV follows OWASP's rule against formula injection: a cell that starts with
= + - @, a tab or a carriage return is prefixed with a single quote, so a spreadsheet
shows it as text (a campaign's name is the lender's to choose).
"""
from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Response, jsonify, render_template, request
from flask_login import current_user

from server.api.auth import json_error
from server.api.results import report_for
from server.console import bp
from server.console.auth import results_access
from store.db import session_scope
from store.outcomes import audit
from store.results import ATTRIBUTION_DAYS, COUNTS, DIMENSIONS, ResultsError, variant_column

RATES = ("delivery_rate", "contact_rate", "right_party_rate", "promise_rate", "promise_kept_rate",
         "containment_rate", "handoff_rate", "opt_out_rate", "median_turns_to_outcome",
         "median_seconds_to_outcome", "feedback_answer_rate", "feedback_mean_score")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_rows(report: dict) -> list:
    currencies = sorted({c for row in [report["totals"], *report["days"], *report["breakdown"]]
                         for c in (*row["amount_collected"], *row["balance_outstanding"])})
    header = ["row", "key", *COUNTS, *RATES]
    for currency in currencies:
        header += [f"amount_collected_{currency}", f"balance_outstanding_{currency}", f"recovery_rate_{currency}"]
    header.append("handoffs_by_reason")

    def line(kind, key, row):
        cells = [kind, key, *(row[name] for name in COUNTS), *(row[name] for name in RATES)]
        for currency in currencies:
            cells += [row["amount_collected"].get(currency, "0.00"),
                      row["balance_outstanding"].get(currency, "0.00"), row["recovery_rate"].get(currency)]
        cells.append("; ".join(f"{reason} {count}" for reason, count in row["handoffs_by_reason"].items()))
        return [safe_cell(cell) for cell in cells]

    rows = [header, line("total", f"{report['from']}..{report['to']}", report["totals"])]
    rows += [line("day", row["day"], row) for row in report["days"]]
    rows += [line(report["by"], row["key"], row) for row in report["breakdown"]]
    return rows


def _choices() -> list:
    return [d for d in DIMENSIONS if d != "variant" or variant_column() is not None]


@bp.get("/results")
@results_access
def results_page():
    today = dt.datetime.now(dt.timezone.utc).date()
    return render_template(
        "console/results.html", dimensions=_choices(),
        start=request.args.get("from") or (today - dt.timedelta(days=29)).isoformat(),
        end=request.args.get("to") or today.isoformat(), by=request.args.get("by") or "campaign",
        attribution_days=ATTRIBUTION_DAYS,
    )


@bp.get("/api/results")
@results_access
def results_json():
    try:
        return jsonify(report_for(request.args))
    except ResultsError as error:
        return json_error(400, str(error))


@bp.get("/results.csv")
@results_access
def results_csv():
    try:
        report = report_for(request.args)
    except ResultsError as error:
        return Response(f"{error}\n", status=400, mimetype="text/plain")
    with session_scope() as db:
        audit(db, current_user.actor, "results_export",
              details={"from": report["from"], "to": report["to"], "by": report["by"]})
    out = io.StringIO()
    csv.writer(out).writerows(csv_rows(report))
    name = f"repay-results-{report['from']}-{report['to']}{'-' + report['by'] if report['by'] else ''}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
