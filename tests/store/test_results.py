"""Results over a hand-built history (tests/support/results_history.py), on SQLite and PostgreSQL:
every figure below was worked out by hand from that history."""
from __future__ import annotations

import datetime as dt

import pytest

from store.results import ResultsError, check_dimension, parse_period, results
from tests.support import results_history as history


@pytest.fixture
def report(session):
    history.build(session)
    return lambda by=None, start=history.START, end=history.END: results(
        session, start, end, by, now=history.NOW)


def test_totals_of_the_period(report):
    totals = report()["totals"]
    assert {k: totals[k] for k in (
        "attempts", "attempts_blocked", "delivered", "answered", "conversations", "right_party_contacts",
        "promises", "plans", "promises_kept", "promises_part_paid", "promises_broken", "contained",
        "handoffs", "opt_outs", "disputes", "wrong_numbers", "nlu_fallbacks", "payments",
    )} == {
        "attempts": 4, "attempts_blocked": 1, "delivered": 3, "answered": 4, "conversations": 5,
        "right_party_contacts": 4, "promises": 2, "plans": 0,
        # NY's promise is kept by two part payments that add up to it; LA's 30.00 of 100.00
        # is part-paid, and broken since Nov 6 has passed.
        "promises_kept": 1, "promises_part_paid": 1, "promises_broken": 1,
        "contained": 3, "handoffs": 2, "opt_outs": 2, "disputes": 1, "wrong_numbers": 1,
        "nlu_fallbacks": 2, "payments": 1,
    }
    assert totals["handoffs_by_reason"] == {"dispute_debt": 1, "request_human": 1}
    assert totals["amount_collected"] == {"CNY": "500.00"}
    assert totals["balance_outstanding"] == {"CNY": "4000.00", "USD": "650.00"}
    assert totals["recovery_rate"] == {"CNY": 0.1111, "USD": 0.0}
    assert totals["median_turns_to_outcome"] == 2.5  # 1, 2, 3, 5
    assert totals["median_seconds_to_outcome"] == 450.0  # 60, 300, 600, 1800
    assert totals["contact_rate"] == 1.0
    assert totals["right_party_rate"] == 0.8
    assert totals["promise_rate"] == 0.5
    assert totals["promise_kept_rate"] == 0.5
    assert totals["containment_rate"] == 0.6


def test_days_are_the_borrowers_and_a_conversation_keeps_the_day_it_started(report):
    days = {row["day"]: row for row in report()["days"]}
    assert list(days) == ["2026-11-02", "2026-11-03", "2026-11-04"]
    assert [days[d]["attempts"] for d in days] == [1, 2, 1]
    assert [days[d]["conversations"] for d in days] == [2, 2, 1]
    assert [days[d]["promises"] for d in days] == [2, 0, 0]
    # NY opted out at 00:20 on Nov 4 in a call that began at 23:50 on Nov 3: Nov 3.
    # Shanghai's carrier opt-out, 01:00 UTC on Nov 4, is 09:00 on Nov 4 there.
    assert [days[d]["opt_outs"] for d in days] == [0, 1, 1]
    assert [days[d]["amount_collected"] for d in days] == [{}, {}, {"CNY": "500.00"}]


def test_a_borrower_in_two_campaigns_counts_in_each_by_last_touch(report):
    rows = {row["key"]: row for row in report("campaign")["breakdown"]}
    assert list(rows) == ["overdue_calls", "reminders", "(none)"]
    assert (rows["reminders"]["attempts"], rows["reminders"]["conversations"], rows["reminders"]["promises"],
            rows["reminders"]["opt_outs"]) == (3, 3, 1, 1)
    assert (rows["overdue_calls"]["attempts"], rows["overdue_calls"]["conversations"],
            rows["overdue_calls"]["opt_outs"], rows["overdue_calls"]["contained"]) == (1, 1, 1, 1)
    assert rows["reminders"]["amount_collected"] == {"CNY": "500.00"}
    assert rows["reminders"]["balance_outstanding"] == {"CNY": "4000.00", "USD": "650.00"}
    assert rows["overdue_calls"]["balance_outstanding"] == {"USD": "450.00"}
    # LA wrote before any attempt reached it.
    assert (rows["(none)"]["attempts"], rows["(none)"]["conversations"], rows["(none)"]["promises_broken"],
            rows["(none)"]["handoffs_by_reason"]) == (0, 1, 1, {"request_human": 1})


def test_breakdowns_by_stage_channel_and_language(report):
    stages = {row["key"]: row["conversations"] for row in report("stage")["breakdown"]}
    assert stages == {"due_soon": 1, "early": 1, "overdue": 2, "(none)": 1}
    channels = {row["key"]: (row["attempts"], row["delivered"], row["conversations"])
                for row in report("channel")["breakdown"]}
    assert channels == {"sms": (3, 2, 4), "voice": (1, 1, 1)}
    languages = {row["key"]: (row["conversations"], row["disputes"], row["nlu_fallbacks"])
                 for row in report("language")["breakdown"]}
    assert languages == {"en": (4, 0, 0), "zh": (1, 1, 2)}


def test_the_borrowers_word_counts_with_its_conversation(report):
    totals = report()["totals"]
    # NY's call was never asked (the sender refused): no question, so not counted.
    assert (totals["feedback_asked"], totals["feedback_answers"], totals["feedback_answer_rate"],
            totals["feedback_mean_score"]) == (2, 1, 0.5, 4.0)
    assert totals["feedback_scores"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}
    rows = {row["key"]: row for row in report("campaign")["breakdown"]}
    assert (rows["reminders"]["feedback_asked"], rows["reminders"]["feedback_mean_score"]) == (1, 4.0)
    assert (rows["(none)"]["feedback_asked"], rows["(none)"]["feedback_mean_score"]) == (1, None)
    assert [day["feedback_asked"] for day in report()["days"]] == [2, 0, 0]
    assert report()["feedback_comments"] == [{
        "day": "2026-11-02", "channel": "sms", "language": "en", "campaign": "reminders", "score": 4,
        "comment": "quick and easy"}]


def test_a_later_period_sees_none_of_it(report):
    later = report(start=history.END.replace(day=10), end=history.END.replace(day=12))
    assert later["totals"]["conversations"] == 0
    assert later["totals"]["contact_rate"] is None
    assert later["totals"]["feedback_mean_score"] is None and later["feedback_comments"] == []
    assert len(later["days"]) == 3


def test_bad_periods_and_dimensions_are_refused():
    today = history.END
    with pytest.raises(ResultsError, match="YYYY-MM-DD"):
        parse_period("2026-13-01", None, today)
    with pytest.raises(ResultsError, match="after"):
        parse_period("2026-11-05", "2026-11-01", today)
    with pytest.raises(ResultsError, match="at most"):
        parse_period("2024-01-01", "2026-01-01", today)
    with pytest.raises(ResultsError, match="by is one of"):
        check_dimension("phone")
    assert parse_period(None, None, today) == (today - dt.timedelta(days=29), today)
