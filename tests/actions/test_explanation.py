"""What is overdue, itemised and formatted, with days overdue on a fixed today (Nov 24, 2026)."""
from __future__ import annotations

import pytest

from actions.debt import ActionExplainDebt, ActionSendPaymentLink
from tests.actions.action_support import (
    open_conversation,
    outcomes,
    rendered,
    responses,
    run,
    tracker,
    verified,
)


@pytest.mark.parametrize(
    "account_id, explanation",
    [
        ("DEMO-1001", "Your payment of $453.50 was due on Nov 10, 2026 and is 14 days overdue. "
                      "That's $420.00 principal, $18.50 interest and $15.00 fees."),
        ("DEMO-1002", "Your payment of $1,342.40 was due on Oct 28, 2026 and is 27 days overdue. "
                      "That's $1,250.00 principal, $62.40 interest and $30.00 fees."),
        ("DEMO-1003", "Your payment of $319.90 is due on Nov 27, 2026. "
                      "That's $310.00 principal, $9.90 interest and $0.00 fees."),
        ("DEMO-1004", "Your payment of $1,049.10 was due on Sep 15, 2026 and is 70 days overdue. "
                      "That's $980.00 principal, $44.10 interest and $25.00 fees."),
    ],
)
def test_the_explanation_itemises_what_is_overdue(store_url, dispatcher, domain, account_id, explanation):
    sender = open_conversation(account_id, sender=f"c-{account_id}")
    run(ActionExplainDebt(), dispatcher, tracker(verified(), sender=sender), domain)

    texts = rendered(dispatcher, domain)
    assert texts[0] == explanation
    assert responses(dispatcher)[1] == "utter_offer_options"


def test_inside_a_form_the_explanation_comes_without_the_options(conversation, dispatcher, domain):
    run(ActionExplainDebt(), dispatcher, tracker(verified(), active_loop="instalment_form"), domain)
    assert responses(dispatcher) == ["utter_explain_debt"]


@pytest.mark.parametrize("action", [ActionExplainDebt(), ActionSendPaymentLink()])
def test_nothing_is_said_about_the_debt_before_verification(conversation, dispatcher, domain, action):
    run(action, dispatcher, tracker({"identity_status": "pending"}), domain)

    assert rendered(dispatcher, domain) == ["I can tell you once I've confirmed who I'm speaking with."]
    assert outcomes() == []


def test_payment_link_and_methods(conversation, dispatcher, domain):
    run(ActionSendPaymentLink(), dispatcher, tracker(verified()), domain)

    assert rendered(dispatcher, domain) == [
        "You can pay securely here: https://pay.northwind.example/a/DEMO-1001\n"
        "Other ways to pay: card or bank transfer through the secure payment link; "
        "bank transfer to account 0000-1111 (reference DEMO-1001); in person at any Northwind branch."
    ]
    [sent] = outcomes("payment_link")
    assert sent.details == {"link": "https://pay.northwind.example/a/DEMO-1001"}
