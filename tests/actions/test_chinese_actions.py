"""A Chinese account (DEMO-1005, 王芳, zh-CN, 3,176.50元 due 2026年11月10日, ID ending 302X):
the language slot, the values formatted in Chinese, the borrower's words read with the
Chinese parsers. The sentences are domain.yml's; these tests check what the actions give them.

On the fixed clock (2026-11-24T15:00Z) it is Tuesday 23:00 in Shanghai.
"""
from __future__ import annotations

from typing import Any, Dict

import pytest

import store.db
from actions.account_context import addressed_name
from actions.debt import ActionExplainDebt
from actions.handoff import ActionHandoff
from actions.identity import ActionConfirmIdentity, ValidateIdentityForm
from actions.plans import (
    ActionAskInstalmentFormPlanConfirmed,
    ActionAskInstalmentFormPlanMonths,
    ActionRecordPlan,
    ValidateInstalmentForm,
)
from actions.promises import ActionAskPromiseFormPromiseConfirmed, ValidatePromiseForm
from actions.session import ActionSessionStart
from store.models import Account, Conversation
from tests.actions.action_support import (
    form_tracker,
    open_conversation,
    outcomes,
    responses,
    run,
    slot_values,
    tracker,
    verified,
)

SENDER = "c-zh-conversation"
US_STATEMENT_ZH = "这是一次债务催收沟通，所获得的任何信息都将用于该目的。"
CN_STATEMENT_ZH = "本次联系系就您的借款还款事宜进行提醒，所获信息仅用于处理该笔借款。"


@pytest.fixture
def zh_conversation(store_url) -> str:
    return open_conversation("DEMO-1005", sender=SENDER)


def values(dispatcher, response: str) -> Dict[str, Any]:
    """What the action gave the response `response` (the one message with that name)."""
    [message] = [m for m in dispatcher.messages if m.get("response") == response]
    standard = {"response", "template", "buttons", "elements", "custom", "attachment", "image", "text"}
    return {k: v for k, v in message.items() if v is not None and k not in standard}


def test_session_start_sets_the_language_the_responses_choose_by(zh_conversation, dispatcher, domain):
    events = run(ActionSessionStart(), dispatcher, tracker(sender=zh_conversation), domain)
    assert slot_values(events)["language"] == "zh"  # the account says zh-CN
    # The introduction is chosen with the slots being set (Rasa would render it with the
    # slots from before the session started, still English): Chinese, and automated.
    assert [m["text"] for m in dispatcher.messages] == [
        "您好，我是Northwind Credit的智能客服机器人Nora。"]


def test_the_debt_is_explained_in_yuan_and_chinese_dates(zh_conversation, dispatcher, domain):
    run(ActionExplainDebt(), dispatcher, tracker(verified(), sender=zh_conversation), domain)

    assert values(dispatcher, "utter_explain_debt") == {
        "total": "3,176.50元", "principal": "3,000.00元", "interest": "126.50元", "fees": "50.00元",
        "due_date": "2026年11月10日", "days_overdue": "14天",
    }


def test_a_debt_not_yet_due(store_url, dispatcher, domain):
    sender = open_conversation("DEMO-1006", sender="c-zh-not-due")
    run(ActionExplainDebt(), dispatcher, tracker(verified(), sender=sender), domain)

    assert values(dispatcher, "utter_explain_debt_not_yet_due") == {
        "total": "1,236.00元", "principal": "1,200.00元", "interest": "36.00元", "fees": "0.00元",
        "due_date": "2026年11月27日",
    }


def test_a_promise_is_read_with_the_chinese_parsers(zh_conversation, dispatcher, domain):
    """"下周五还500": the Friday of next week (Tue 24 Nov -> Fri 4 Dec), 500 yuan."""
    said = "下周五还500"
    t = form_tracker(
        "promise_form", None, {"promise_date": "下周五", "promise_amount": "500"}, verified(),
        intent="promise_to_pay", text=said, sender=zh_conversation,
        entities=[{"entity": "date", "value": "下周五"}, {"entity": "amount", "value": "500"}],
    )
    slots = slot_values(run(ValidatePromiseForm(), dispatcher, t, domain))
    assert (slots["promise_date"], slots["promise_amount"]) == ("2026-12-04", "500.00")

    run(ActionAskPromiseFormPromiseConfirmed(), dispatcher,
        tracker(verified(**slots), sender=zh_conversation), domain)
    assert values(dispatcher, "utter_promise_readback") == {"amount": "500.00元", "date": "12月4日（周五）"}


def test_a_promise_too_far_out_names_the_latest_day_in_chinese(zh_conversation, dispatcher, domain):
    t = form_tracker("promise_form", "promise_date", {"promise_date": "12月31日"}, verified(),
                     intent="inform", text="12月31日", sender=zh_conversation)
    run(ValidatePromiseForm(), dispatcher, t, domain)
    assert values(dispatcher, "utter_refusal_promise_too_far") == {
        "max_days": 14, "latest": "12月8日（周二）",
    }


def test_an_amount_above_the_balance_is_refused_in_yuan(zh_conversation, dispatcher, domain):
    t = form_tracker("promise_form", "promise_amount", {"promise_amount": "五千块"},
                     verified(promise_date="2026-11-27"), intent="inform", text="五千块",
                     sender=zh_conversation)
    run(ValidatePromiseForm(), dispatcher, t, domain)
    assert values(dispatcher, "utter_refusal_amount_above_balance") == {"balance": "3,176.50元"}


def test_an_instalment_schedule_in_chinese_words(zh_conversation, dispatcher, domain):
    t = form_tracker("instalment_form", "plan_months", {"plan_months": "分三个月"}, verified(),
                     intent="inform", text="分三个月", sender=zh_conversation)
    slots = slot_values(run(ValidateInstalmentForm(), dispatcher, t, domain))
    assert slots["plan_months"] == "3"

    run(ActionAskInstalmentFormPlanConfirmed(), dispatcher,
        tracker(verified(**slots), sender=zh_conversation), domain)
    assert responses(dispatcher) == ["utter_plan_readback_uneven"]
    assert values(dispatcher, "utter_plan_readback_uneven") == {
        "count": 3, "amount": "1,058.83元", "last_amount": "1,058.84元",
        "dates": "12月1日、1月1日和2月1日", "first_date": "2026年12月1日", "last_date": "2027年2月1日",
    }

    dispatcher.messages.clear()
    run(ActionRecordPlan(), dispatcher,
        tracker(verified(**slots, plan_confirmed=True), sender=zh_conversation), domain)
    first = values(dispatcher, "utter_plan_recorded")
    assert (first["amount"], first["date"]) == ("1,058.83元", "12月1日（周二）")
    assert outcomes("plan")[0].details["currency"] == "CNY"


def test_the_keypad_choices_are_said_and_sent_in_chinese(store_url, dispatcher, domain):
    with store.db.session_scope() as session:
        session.add(Conversation(id="c-zh-call", channel="voice", phone="+8613800000001",
                                 account_id="DEMO-1005"))
    run(ActionAskInstalmentFormPlanMonths(), dispatcher, tracker(verified(), sender="c-zh-call"), domain)

    assert values(dispatcher, "utter_ask_instalment_form_plan_months") == {
        "min_months": 2, "max_months": 12, "choices": "按1选3个月，按2选6个月，按3选12个月",
        "key_1": "3个月", "key_2": "6个月", "key_3": "12个月",
    }


@pytest.mark.parametrize("said", ["302X", "302x", "尾号302x", "身份证后四位是302X"])
def test_an_id_ending_in_x_is_accepted_in_either_case(zh_conversation, dispatcher, domain, said):
    t = form_tracker("identity_form", "id_last4", {"id_last4": said},
                     {"identity_status": "pending", "identity_failures": 0, "birth_date": "1990-05-18"},
                     intent="inform_identity", text=said, sender=zh_conversation)
    assert slot_values(run(ValidateIdentityForm(), dispatcher, t, domain)) == {"id_last4": "302X"}


def test_a_chinese_birth_date_is_read(zh_conversation, dispatcher, domain):
    t = form_tracker("identity_form", "birth_date", {"birth_date": "1990年5月18日"},
                     {"identity_status": "pending", "identity_failures": 0},
                     intent="inform_identity", text="1990年5月18日", sender=zh_conversation)
    assert slot_values(run(ValidateIdentityForm(), dispatcher, t, domain)) == {"birth_date": "1990-05-18"}


def confirm_identity(dispatcher, domain, id_last4="302x"):
    t = tracker({"identity_status": "pending", "birth_date": "1990-05-18", "id_last4": id_last4},
                sender=SENDER)
    return slot_values(run(ActionConfirmIdentity(), dispatcher, t, domain))


def test_verified_with_a_lower_case_x_and_the_accounts_own_cn_statement(zh_conversation, dispatcher, domain):
    slots = confirm_identity(dispatcher, domain)

    assert slots["identity_status"] == "verified" and slots["borrower_first_name"] == "王芳"
    # DEMO-1005 is a cn account in a deployment whose policy defaults to us.
    assert values(dispatcher, "utter_required_statement") == {"statement": CN_STATEMENT_ZH}
    assert values(dispatcher, "utter_explain_debt")["total"] == "3,176.50元"


def test_a_chinese_speaking_account_under_the_us_profile_hears_the_us_statement(zh_conversation, dispatcher, domain):
    with store.db.session_scope() as session:
        session.get(Account, "DEMO-1005").jurisdiction = "us"

    confirm_identity(dispatcher, domain)

    assert values(dispatcher, "utter_required_statement") == {"statement": US_STATEMENT_ZH}


def test_a_wrong_id_is_still_refused(zh_conversation, dispatcher, domain):
    assert confirm_identity(dispatcher, domain, id_last4="3021")["identity_status"] == "locked"


@pytest.mark.parametrize(
    "now, when",
    [
        # The Chinese desk works 09:00-18:00 Shanghai time, Monday to Saturday (lender/policy.yml).
        ("2026-11-24T12:00:00+00:00", "于明天9:00以后"),  # Shanghai Tue 20:00: the desk has closed
        ("2026-11-27T23:00:00+00:00", "于今天9:00以后"),  # Shanghai Sat 07:00
        ("2026-11-24T23:30:00+00:00", "于今天9:00以后"),  # Shanghai Wed 07:30
        ("2026-11-29T15:00:00+00:00", "于明天9:00以后"),  # Shanghai Sun 23:00
    ],
)
def test_when_a_person_replies_is_said_in_chinese(zh_conversation, dispatcher, domain, monkeypatch, now, when):
    monkeypatch.setenv("REPAY_NOW", now)
    run(ActionHandoff(), dispatcher, tracker(verified(), intent="request_human", sender=SENDER), domain)
    assert values(dispatcher, "utter_handoff_out_of_hours")["when"] == when


@pytest.mark.parametrize(
    "name, language, addressed",
    [("Dana Rivers", "en", "Dana"), ("王芳", "zh-CN", "王芳"), ("Wang Fang", "zh", "Wang Fang")],
)
def test_a_chinese_borrower_is_addressed_by_the_full_name(name, language, addressed):
    assert addressed_name(name, language) == addressed


def test_the_ways_to_pay_are_listed_in_chinese(zh_conversation, dispatcher, domain):
    from actions.debt import ActionSendPaymentLink

    run(ActionSendPaymentLink(), dispatcher, tracker(verified(), sender=zh_conversation), domain)
    methods = values(dispatcher, "utter_payment_link")["methods"]
    assert methods.split("；") == [
        "通过安全还款链接使用银行卡或银行转账",
        "银行转账至账户0000-1111（附言DEMO-1005）",
        "到任一Northwind网点办理",
    ]
