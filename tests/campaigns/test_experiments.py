"""A/B tests of message content: the statistics find a real difference and keep false
alarms at the stated rate, accounts keep their variant across runs and processes, the
weights hold, every variant passes the template rules, and a run, the worker, the
preview, the CLI and the API all speak of the same split."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from sqlalchemy import select, update

from campaigns.attempts import utc_now
from campaigns.config import CampaignError, load_campaign
from campaigns.experiments import pick_variant
from campaigns.jobs import run_worker
from campaigns.preview import preview
from campaigns.scheduling import schedule
from campaigns.significance import compare, sample_size, verdict
from lending.policy import load_policy
from store.db import session_scope
from store.models import ContactAttempt, ExperimentAssignment, OutcomeKind
from store.outcomes import record_outcome
from tests.support.accounts import account, load_accounts
from tests.support.app import API_KEY
from tests.support.campaigns import write_campaign
from tests.support.paths import ROOT
from tests.support.store import outbox

POLICY = load_policy()
B_TEXT = "Hi {first_name}, a quick word from {lender}: your repayment due {due_date} is late. Pay at {link}"
PROMISED = {"date": "2026-01-20", "amount": "100.00", "currency": "USD"}


def with_experiment(data, **experiment):
    data["experiments"] = {"overdue": {
        "variants": {"A": {"weight": 50}, "B": {"weight": 50, "templates": {"en": B_TEXT}}},
        **experiment,
    }}


# -- the statistics ----------------------------------------------------------------------

def simulate(rng, rate_a, rate_b, n, runs):
    """p-values of `runs` simulated experiments with these true rates, n accounts per arm."""
    hits_a, hits_b = rng.binomial(n, rate_a, runs), rng.binomial(n, rate_b, runs)
    return np.array([compare(int(a), n, int(b), n).p_value for a, b in zip(hits_a, hits_b)])


def test_a_true_difference_is_found_with_the_power_the_sample_size_promises():
    rng = np.random.default_rng(20261207)
    needed = sample_size(0.08, 0.11)
    assert 1450 < needed < 1550  # the textbook figure for 8% against 11%, power 0.8: about 1,500
    detected = (simulate(rng, 0.08, 0.11, needed, 2000) < 0.05).mean()
    assert 0.77 <= detected <= 0.83  # power 0.8, within the simulation's own error

    # One experiment with twice the sample: the verdict names the variant and the change.
    a, b = int(rng.binomial(3000, 0.08)), int(rng.binomial(3000, 0.11))
    comparison = compare(a, 3000, b, 3000)
    assert comparison.test == "z-test" and comparison.significant()
    text = verdict(comparison, "B", "A", "promises or payments within 7 days")["text"]
    assert text.startswith(f"B raises promises or payments within 7 days from {a / 30:.1f}% to {b / 30:.1f}%, p ")


def test_with_no_difference_false_alarms_stay_near_alpha():
    rng = np.random.default_rng(7)
    p_values = simulate(rng, 0.1, 0.1, 2000, 4000)
    assert 0.04 <= (p_values < 0.05).mean() <= 0.06
    # Rare events in small samples go to Fisher's exact test, which never exceeds alpha.
    small = [compare(int(a), 60, int(b), 60) for a, b in zip(rng.binomial(60, 0.03, 2000), rng.binomial(60, 0.03, 2000))]
    assert sum(c.test == "fisher" for c in small) > 0.9 * len(small)
    assert sum(c.significant() for c in small) / len(small) <= 0.05


def test_the_verdict_says_when_there_is_not_enough_data():
    few = verdict(compare(8, 100, 10, 100), "B", "A", "promises", minimum_effect=0.02)
    needed = sample_size(0.08, 0.10)
    assert few["needed_per_variant"] == needed and few["more_needed"] == needed - 100
    assert few["text"].startswith("not enough data yet: promises 8.0% (A) against 10.0% (B), p = ")
    assert f"about {needed} accounts per variant" in few["text"]
    assert verdict(compare(0, 0, 3, 40), "B", "A", "promises")["text"] == "not enough data yet: no results for A"
    enough = verdict(compare(800, 10000, 805, 10000), "B", "A", "promises", minimum_effect=0.02)
    assert enough["text"].startswith("no difference found: promises 8.0% (A) against 8.1% (B)")
    with pytest.raises(ValueError):
        compare(5, 4, 0, 10)


# -- assignment --------------------------------------------------------------------------

def test_an_accounts_variant_is_the_same_in_every_process():
    ids = [f"ACC-{n}" for n in range(50)]
    here = [pick_variant("reminders.overdue", i, (("A", 50), ("B", 50))) for i in ids]
    script = ("import json,sys; from campaigns.experiments import pick_variant; "
              "print(json.dumps([pick_variant('reminders.overdue', i, (('A', 50), ('B', 50))) "
              "for i in json.loads(sys.argv[1])]))")
    other = subprocess.run([sys.executable, "-c", script, json.dumps(ids)], cwd=ROOT, check=True,
                           capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "123"})
    assert json.loads(other.stdout) == here and set(here) == {"A", "B"}
    # Another experiment draws independently of this one.
    assert [pick_variant("other", i, (("A", 50), ("B", 50))) for i in ids] != here


@pytest.mark.parametrize("weights", [(("A", 70), ("B", 30)), (("A", 50), ("B", 25), ("C", 25)), (("A", 1), ("B", 9))])
def test_the_weights_hold_within_tolerance(weights):
    n = 20000
    counts = Counter(pick_variant("weights", f"acc-{i}", weights) for i in range(n))
    total = sum(w for _, w in weights)
    for name, weight in weights:
        assert abs(counts[name] / n - weight / total) < 0.015, counts


# -- the campaign file -------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    (lambda d: with_experiment(d, variants={"A": {"weight": 50}, "B": {"weight": 50, "templates": {"en": "You owe {amount}. {link}"}}}),
     "experiments.overdue.variants.B.templates.en: {amount}: the us profile does not allow amounts in SMS"),
    (lambda d: with_experiment(d, variants={"A": {"weight": 100}}), "an experiment needs at least two variants"),
    (lambda d: with_experiment(d, variants={"A": {"weight": 0}, "B": {"weight": 1}}), "experiments.overdue.variants.A.weight"),
    (lambda d: with_experiment(d, metric="happiness"), "'happiness' is not one of reply_48h"),
    (lambda d: with_experiment(d, variants={"A": {"weight": 5}, "B": {"weight": 5, "templates": {"zh": "您好"}}}),
     "overdue.variants.B: no template in en"),
    (lambda d: (with_experiment(d), d["experiments"].update(nope=d["experiments"]["overdue"])), "no stage named 'nope'"),
    (lambda d: with_experiment(d, variants={"A": {"weight": 5}, "B": {"weight": 5, "text": "hi"}}),
     "experiments.overdue.variants.B.text: extra fields not permitted"),
])
def test_bad_experiments_are_refused_with_the_reason(tmp_path, change, message):
    path = write_campaign(tmp_path, "reminders", change)
    with pytest.raises(CampaignError) as caught:
        load_campaign(path, POLICY)
    assert message in str(caught.value)


def test_a_voice_variant_holds_limited_content_only(tmp_path):
    path = write_campaign(tmp_path, "calls", lambda d: (
        d.update(channel="voice"),
        d["templates"].update(due_soon={"en": "Hello, {lender} calling."}, overdue={"en": "{lender} for {first_name}."}),
        with_experiment(d, variants={"A": {"weight": 1}, "B": {"weight": 1, "templates": {"en": "{lender}: pay at {link}"}}})))
    with pytest.raises(CampaignError, match=r"experiments.overdue.variants.B.templates.en: \{link\}: a call may reach"):
        load_campaign(path, POLICY)


# -- runs, sends, preview, results -------------------------------------------------------

@pytest.fixture
def ab_rt(make_runtime, tmp_path):
    directory = tmp_path / "ab"
    write_campaign(directory, "reminders", with_experiment)
    return make_runtime(CAMPAIGNS_DIR=str(directory)), directory


def stored():
    with session_scope() as session:
        return dict(session.execute(select(ExperimentAssignment.account_id, ExperimentAssignment.variant)).all())


def test_a_run_stores_each_accounts_variant_and_the_worker_sends_its_text(ab_rt, make_runtime):
    rt, directory = ab_rt
    rows = [account(f"AB-{n}", days_past_due=4) for n in range(40)]
    load_accounts(rows)
    now = utc_now()
    with session_scope() as session:
        before = preview(session, rt.campaigns["reminders"], rt.policy, now, samples=1)
    assert sum(before.variants["overdue"].values()) == 40 and stored() == {}  # a preview writes nothing
    schedule(rt, rt.campaigns["reminders"], now)
    variants = stored()
    assert variants == {r["account_id"]: pick_variant("reminders.overdue", r["account_id"], (("A", 50), ("B", 50))) for r in rows}
    assert dict(before.variants["overdue"]) == dict(Counter(variants.values()))
    run_worker(rt, burst=True, sweep_interval=0, logging_level="WARNING")
    phones = {r["phone"]: r["account_id"] for r in rows}
    for message in outbox(phone=None):
        wanted = "a quick word from" in message.body
        assert wanted == (variants[phones[message.to]] == "B"), message.body
    assert len(outbox(phone=None)) == 40

    # Weights changed for the next run: accounts already drawn keep their variant.
    write_campaign(directory, "reminders", lambda d: with_experiment(
        d, variants={"A": {"weight": 1}, "B": {"weight": 99, "templates": {"en": B_TEXT}}}))
    later = make_runtime(CAMPAIGNS_DIR=str(directory))
    newcomer = account("AB-new", days_past_due=4)
    load_accounts([newcomer])
    with session_scope() as session:
        session.execute(update(ContactAttempt).values(local_date=ContactAttempt.local_date - dt.timedelta(days=1)))
    schedule(later, later.campaigns["reminders"], now, queue=False)
    again = stored()
    assert {k: again[k] for k in variants} == variants
    assert again["AB-new"] == pick_variant("reminders.overdue", "AB-new", (("A", 1), ("B", 99)))


def test_results_per_variant_through_the_api_and_the_cli(ab_rt, make_app):
    rt, directory = ab_rt
    rows = [account(f"R-{n}", days_past_due=4) for n in range(60)]
    load_accounts(rows)
    schedule(rt, rt.campaigns["reminders"], utc_now())
    run_worker(rt, burst=True, sweep_interval=0, logging_level="WARNING")
    variants = stored()
    eight_days_ago = utc_now() - dt.timedelta(days=8)
    with session_scope() as session:
        session.execute(update(ContactAttempt).values(sent_at=eight_days_ago))
        # Every B account promised within the week, no A account did; one A account opted out.
        for row in rows:
            if variants[row["account_id"]] == "B":
                outcome = record_outcome(session, OutcomeKind.PROMISE, account_id=row["account_id"],
                                         conversation_id=None, details=PROMISED)
                outcome.created_at = eight_days_ago + dt.timedelta(days=2)
        first_a = next(r for r in rows if variants[r["account_id"]] == "A")
        late = record_outcome(session, OutcomeKind.PROMISE, account_id=first_a["account_id"], conversation_id=None,
                              details=PROMISED)
        late.created_at = eight_days_ago + dt.timedelta(days=7, hours=12)  # after the window: not counted
        record_outcome(session, OutcomeKind.OPT_OUT, account_id=None, conversation_id=None,
                       phone=first_a["phone"]).created_at = eight_days_ago + dt.timedelta(hours=3)
    n_a, n_b = Counter(variants.values())["A"], Counter(variants.values())["B"]
    client = make_app(CAMPAIGNS_DIR=str(directory)).test_client()
    assert client.get("/api/campaigns/reminders/experiments").status_code == 401
    answer = client.get("/api/campaigns/reminders/experiments", headers={"Authorization": f"Bearer {API_KEY}"})
    assert answer.status_code == 200
    result = answer.json["experiments"][0]
    assert result["experiment"] == "reminders.overdue" and result["exposed"] == {"A": n_a, "B": n_b}
    promise = result["metrics"]["promise_7d"]["variants"]
    assert (promise["A"]["hits"], promise["A"]["accounts"]) == (0, n_a)
    assert (promise["B"]["hits"], promise["B"]["accounts"]) == (n_b, n_b)
    assert promise["B"]["significant"] and promise["B"]["test"] == "z-test"  # dozens expected per cell
    assert result["verdicts"] == [promise["B"]["text"]]
    assert promise["B"]["text"].startswith("B raises promises or payments within 7 days from 0.0% to 100.0%, p < 0.001")
    assert result["metrics"]["opt_out"]["variants"]["A"]["hits"] == 1
    assert client.get("/api/campaigns/reminders/experiments?stage=due_soon",
                      headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 404

    cli = make_app(CAMPAIGNS_DIR=str(directory)).test_cli_runner()
    printed = cli.invoke(args=["campaigns", "experiment", "reminders.overdue"])
    assert printed.exit_code == 0, printed.output
    assert f"exposed: A {n_a}, B {n_b}" in printed.output
    assert "verdict: B raises promises or payments within 7 days from 0.0% to 100.0%" in printed.output
    assert cli.invoke(args=["campaigns", "experiment", "nope"]).exit_code == 2


def test_the_preview_shows_the_split_and_a_sample_per_variant(ab_rt, make_app):
    rt, directory = ab_rt
    load_accounts([account(f"P-{n}", days_past_due=4) for n in range(30)])
    cli = make_app(CAMPAIGNS_DIR=str(directory)).test_cli_runner()
    printed = cli.invoke(args=["campaigns", "preview", "reminders"])
    assert printed.exit_code == 0, printed.output
    assert "experiment in overdue: A " in printed.output
    assert "[overdue / en / variant A]" in printed.output and "[overdue / en / variant B]" in printed.output
    assert "a quick word from" in printed.output
