"""The SMS a borrower gets when an agent hands the conversation back to the bot, in the
account's language: English as it always was, Simplified Chinese for a Chinese account."""
from __future__ import annotations

import pytest

from lending.policy import load_policy
from server.console.outcomes import describe, handback_notice, pause_note
from store.models import Outcome, OutcomeKind
from tests.support.paths import ROOT

ZH_OPENING = "您好，接下来由Northwind Credit的智能客服机器人Nora为您服务。"
ZH_CLOSING = "如有需要，请随时回复本短信。"


@pytest.fixture(scope="module")
def policy():
    """The lender's policy: the US profile, where an SMS may not state an amount."""
    loaded = load_policy(ROOT / "lender" / "policy.yml")
    assert loaded.profile.sms_may_state_amount is False
    return loaded


@pytest.fixture(scope="module")
def amounts_allowed(policy):
    """The same policy under a profile that lets an SMS state amounts (as cn.yml does)."""
    profile = policy.profile.copy(update={"sms_may_state_amount": True})
    return policy.copy(update={"profile": profile})


def promise(amount="500.00", currency="CNY"):
    return Outcome(kind=OutcomeKind.PROMISE,
                   details={"date": "2026-11-28", "amount": amount, "currency": currency})


def plan(currency="CNY"):
    instalments = [{"due": "2026-12-01", "amount": "1511.66"}, {"due": "2027-01-01", "amount": "1511.66"},
                   {"due": "2027-02-01", "amount": "1511.68"}]
    return Outcome(kind=OutcomeKind.PLAN,
                   details={"months": 3, "instalments": instalments, "currency": currency})


def callback(local="2026-11-28 14:30"):
    return Outcome(kind=OutcomeKind.CALLBACK,
                   details={"at": "2026-11-28T06:30:00+00:00", "local": local,
                            "timezone": "Asia/Shanghai", "note": ""})


def deferral():
    return Outcome(kind=OutcomeKind.DEFERRAL,
                   details={"new_due_date": "2026-12-18", "previous_due_date": "2026-11-28", "days": 20})


def reduced_plan(currency="CNY"):
    instalments = [{"number": n, "due": due, "amount": "755.83"}
                   for n, due in enumerate(("2026-12-01", "2027-01-01", "2027-02-01"), start=1)]
    return Outcome(kind=OutcomeKind.RELIEF,
                   details={"relief": "reduced_plan", "months": 3, "instalments": instalments,
                            "currency": currency})


def fee_waiver(currency="CNY"):
    return Outcome(kind=OutcomeKind.RELIEF,
                   details={"relief": "fee_waiver", "amount": "50.00", "currency": currency})


def breathing_space():
    return Outcome(kind=OutcomeKind.RELIEF,
                   details={"relief": "breathing_space", "days": 30, "until": "2026-12-27"})


def dispute():
    return Outcome(kind=OutcomeKind.DISPUTE, details={"note": "says it is not her loan"})


def paid():
    return Outcome(kind=OutcomeKind.ALREADY_PAID, details={"note": ""})


# --- English: unchanged ------------------------------------------------------------------

def test_english_notice_is_unchanged(policy, amounts_allowed):
    assert handback_notice([promise(currency="USD"), callback()], policy) == (
        "You're back with Nora, Northwind Credit's automated assistant. "
        "Agreed with our team: a payment by Sat, Nov 28 and a call on Sat, Nov 28 at 2:30 PM. "
        "Reply here any time."
    )
    assert describe(promise(currency="USD"), amounts_allowed) == ["a payment of $500.00 by Sat, Nov 28"]
    assert describe(plan(currency="USD"), amounts_allowed) == ["3 monthly payments of $1,511.66 from Dec 1"]
    assert describe(plan(currency="USD"), policy, language="en-GB") == ["3 monthly payments from Dec 1"]
    assert handback_notice([dispute()], policy, language=None) == (
        "You're back with Nora, Northwind Credit's automated assistant. "
        "We have paused collection while we review what you told us. Reply here any time."
    )


def test_english_words_for_a_deferral_and_relief(policy, amounts_allowed):
    assert describe(deferral(), policy) == ["a new due date of Fri, Dec 18"]
    assert describe(reduced_plan(currency="USD"), amounts_allowed) == [
        "3 reduced monthly payments of $755.83 from Dec 1"]
    assert describe(reduced_plan(currency="USD"), policy) == ["3 reduced monthly payments from Dec 1"]
    assert describe(fee_waiver(currency="USD"), amounts_allowed) == ["the fees of $50.00 waived"]
    assert describe(fee_waiver(currency="USD"), policy) == ["the fees waived"]
    assert handback_notice([deferral(), breathing_space()], policy) == (
        "You're back with Nora, Northwind Credit's automated assistant. "
        "Agreed with our team: a new due date of Fri, Dec 18 and a pause in reminders through Sun, Dec 27. "
        "Reply here any time."
    )


# --- Chinese -----------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["zh", "zh-CN"])
def test_chinese_notice_with_a_promise(amounts_allowed, language):
    assert handback_notice([promise()], amounts_allowed, language=language) == (
        ZH_OPENING + "已与我们的工作人员约定：11月28日（周六）前还款500.00元。" + ZH_CLOSING
    )


def test_chinese_notice_with_a_plan(amounts_allowed):
    assert handback_notice([plan()], amounts_allowed, language="zh-CN") == (
        ZH_OPENING + "已与我们的工作人员约定：3期分期，每期1,511.66元，自12月1日起。" + ZH_CLOSING
    )


def test_chinese_notice_with_a_deferral_and_relief(policy, amounts_allowed):
    assert handback_notice([deferral(), fee_waiver()], amounts_allowed, language="zh-CN") == (
        ZH_OPENING + "已与我们的工作人员约定：还款日延至12月18日（周五）；免除费用50.00元。" + ZH_CLOSING
    )
    assert describe(reduced_plan(), amounts_allowed, language="zh") == ["3期减额分期，每期755.83元，自12月1日起"]
    assert describe(reduced_plan(), policy, language="zh") == ["3期减额分期，自12月1日起"]
    assert describe(fee_waiver(), policy, language="zh") == ["免除费用"]
    assert describe(breathing_space(), policy, language="zh") == ["暂停还款提醒至12月27日（周日）"]


def test_chinese_notice_with_a_callback(policy):
    assert handback_notice([callback()], policy, language="zh") == (
        ZH_OPENING + "已与我们的工作人员约定：11月28日（周六）14:30给您回电。" + ZH_CLOSING
    )
    assert describe(callback("2026-12-01 09:05"), policy, language="zh") == ["12月1日（周二）9:05给您回电"]


def test_chinese_notice_with_a_dispute_pauses_collection(policy):
    assert handback_notice([dispute()], policy, language="zh-CN") == (
        ZH_OPENING + "我们已暂停催收，正在核实您反映的情况。" + ZH_CLOSING
    )
    assert pause_note([paid()], language="zh") == "我们已暂停催收，正在核实您的还款。"
    assert pause_note([paid()]) == "We have paused collection while we check your payment."


def test_chinese_notice_with_nothing_agreed(policy):
    assert handback_notice([], policy, language="zh-CN") == ZH_OPENING + ZH_CLOSING


def test_chinese_notice_withholds_amounts_where_the_profile_forbids_them(policy):
    notice = handback_notice([promise(), plan()], policy, language="zh-CN")
    assert notice == (
        ZH_OPENING + "已与我们的工作人员约定：11月28日（周六）前还款；3期分期，自12月1日起。" + ZH_CLOSING
    )
    assert "元" not in notice


def test_chinese_notice_with_several_outcomes(amounts_allowed):
    assert handback_notice([promise(), callback(), paid()], amounts_allowed, language="zh") == (
        ZH_OPENING
        + "已与我们的工作人员约定：11月28日（周六）前还款500.00元；11月28日（周六）14:30给您回电。"
        + "我们已暂停催收，正在核实您的还款。" + ZH_CLOSING
    )


def test_other_currencies_keep_their_symbol_for_a_chinese_reader(amounts_allowed):
    assert describe(promise(currency="USD"), amounts_allowed, language="zh") == ["11月28日（周六）前还款$500.00"]
