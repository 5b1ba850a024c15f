"""Campaign files are validated with one clear line per problem, and every SMS carries
the lender's identity and the opt-out wording."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from campaigns.config import CampaignError, load_campaign, load_campaigns
from campaigns.templates import (
    Lender,
    fill,
    opt_out_wording,
    sms_text,
    template_problems,
    values_for,
)
from lending.policy import load_policy
from tests.support.campaigns import CAMPAIGN, write_campaign
from tests.support.paths import ROOT

POLICY = load_policy()


def test_the_shipped_campaigns_load():
    shipped = load_campaigns(ROOT / "lender" / "campaigns", POLICY)
    assert set(shipped) == {"reminders", "promise_follow_up", "plan_follow_up", "overdue_calls"}
    reminders = shipped["reminders"]
    assert reminders.channel == "sms" and list(reminders.stages) == ["due_soon", "early_overdue", "overdue"]
    assert reminders.stages["due_soon"].matches_due(-3) and not reminders.stages["due_soon"].matches_due(-2)
    assert shipped["overdue_calls"].stages["overdue"].matches_due(30)
    assert shipped["promise_follow_up"].about_arrangements and not reminders.about_arrangements
    plans = shipped["plan_follow_up"]
    assert {name: stage.kind for name, stage in plans.stages.items()} == {
        "plan_reminder": "days_before_instalment", "plan_broken": "days_after_broken_plan"}
    assert set(plans.templates["plan_reminder"]) == {"en", "zh"}


@pytest.mark.parametrize("change, message", [
    (lambda d: d["templates"]["overdue"].update(en="You owe {amount}."),
     "templates.overdue.en: {amount}: the us profile does not allow amounts in SMS (sms_may_state_amount: false)"),
    (lambda d: d["templates"]["overdue"].update(en="Hi {nickname}"),
     "templates.overdue.en: {nickname}: unknown variable"),
    (lambda d: d["templates"]["overdue"].update(en="Hi {first_name.upper}"),
     "placeholders are plain names"),
    (lambda d: d.update(channel="voice"),
     "templates.overdue.en: {due_date}: a call may reach someone else or a voicemail"),
    (lambda d: d["templates"]["overdue"].update(en="Promised {promise_date}"),
     "{promise_date}: only stages about a promise know a promise"),
    (lambda d: d["templates"]["overdue"].update(en="Instalment {instalment_number} is due {instalment_date}"),
     "{instalment_number}: only stages about a plan know its instalments"),
    (lambda d: (d["stages"].update(plan={"days_before_instalment": [1]}),
                d["templates"].update(plan={"en": "{instalment_amount} is due {instalment_date}"})),
     "templates.plan.en: {instalment_amount}: the us profile does not allow amounts in SMS"),
    (lambda d: d["segment"].update(skip_open_promises=True),
     "segment: skip_open_promises is no longer a setting: an account whose promise or plan is in "
     "good standing never gets due-date stages"),
    (lambda d: d["stages"]["overdue"].update(days_after_due=[3]),
     "stages.overdue: give exactly one of"),
    (lambda d: d["stages"].update(later={"days_past_due": {"min": 9, "max": 2}}),
     "stages.later.days_past_due: min must not exceed max"),
    (lambda d: d["templates"].pop("overdue"),
     "stage 'overdue' has no template in the default language 'en'"),
    (lambda d: d["schedule"].update(send_window={"start": "07:00", "end": "20:00"}),
     "schedule.send_window: 07:00-20:00 is outside the us contact hours 08:00-21:00"),
    (lambda d: d["schedule"].update(weekdays=["mon", "funday"]), "schedule.weekdays.1: 'funday' is not one of"),
    (lambda d: d.update(channel="fax"), "channel: must be sms or voice"),
    (lambda d: d.update(opt_out_wording={"en": "Text NO to stop"}), "must tell the borrower to reply STOP"),
    (lambda d: d.update(surprise=1), "surprise: extra fields not permitted"),
    (lambda d: d.update(id="other"), "the file name is the campaign's id"),
])
def test_invalid_campaigns_are_refused_with_the_reason(tmp_path, change, message):
    path = write_campaign(tmp_path, "broken", change)
    with pytest.raises(CampaignError) as error:
        load_campaign(path, POLICY)
    assert f"{path}: " in str(error.value)
    assert message in str(error.value)


def test_a_jurisdiction_that_allows_amounts_lets_sms_state_them(tmp_path):
    cn = POLICY.profile.copy(update={"sms_may_state_amount": True})
    cn_policy = POLICY.copy(update={"jurisdiction": "cn", "profile": cn, "jurisdictions": {"cn": cn}})
    path = write_campaign(tmp_path, "amounts", lambda d: d["templates"]["overdue"].update(
        en="Hi {first_name}, {amount} is overdue."))
    assert load_campaign(path, cn_policy).template("overdue", "en-GB") == "Hi {first_name}, {amount} is overdue."


def test_a_campaign_must_suit_every_profile_the_lender_ships(tmp_path):
    # The cn profile allows amounts by SMS, the us one does not: a campaign reaches both.
    assert POLICY.profile_for("cn").sms_may_state_amount and not POLICY.profile_for("us").sms_may_state_amount
    path = write_campaign(tmp_path, "amounts", lambda d: d["templates"]["overdue"].update(
        zh="{first_name}您好，您有{amount}逾期。"))
    with pytest.raises(CampaignError) as error:
        load_campaign(path, POLICY)
    assert "templates.overdue.zh: {amount}: the us profile does not allow amounts in SMS" in str(error.value)


def test_every_problem_of_every_file_is_listed_together(tmp_path):
    write_campaign(tmp_path, "one", lambda d: d.update(channel="fax"))
    write_campaign(tmp_path, "two", lambda d: d["schedule"].update(weekdays=["someday"]))
    with pytest.raises(CampaignError) as error:
        load_campaigns(tmp_path, POLICY)
    assert "one.yml" in str(error.value) and "two.yml" in str(error.value)


LENDER = Lender("Northwind Credit", "Nora", "+18005550100")


def test_an_sms_always_names_the_lender_and_says_how_to_opt_out():
    assert sms_text("Hi Dana, your payment is due.", "Northwind Credit", "Reply STOP to opt out.") == (
        "Northwind Credit: Hi Dana, your payment is due. Reply STOP to opt out."
    )
    already = "Northwind Credit: hi. Text STOP to end."
    assert sms_text(already, "Northwind Credit", "Reply STOP to opt out.") == already


def test_template_values_in_the_borrowers_language():
    values = values_for(
        name="Dana Rivers", language="en", lender=LENDER, due_date=dt.date(2026, 11, 10), days_past_due=15,
        link="https://pay.example/a/A-1", balance=Decimal("453.5"), currency="USD",
    )
    text = fill("Hi {first_name}, due {due_date}, {days_past_due} days, {amount}, {link}", values)
    assert text == "Hi Dana, due Nov 10, 15 days, $453.50, https://pay.example/a/A-1"
    zh = values_for(name="李文", language="zh", lender=LENDER, due_date=dt.date(2026, 11, 10))
    assert fill("{first_name}您好，{due_date}到期", zh) == "李文您好，11月10日到期"


def test_voice_templates_hold_limited_content_only():
    assert template_problems("This is {assistant} from {lender} for {first_name}, call {support_phone}",
                             "voice", "due", True, "cn") == []
    assert template_problems("You owe {amount}", "voice", "due", True, "cn") != []
    assert template_problems("Instalment {instalment_number} is due", "voice", "plan", True, "cn") != []


def test_the_test_campaign_is_valid(tmp_path):
    assert load_campaign(write_campaign(tmp_path, "base"), POLICY).name == CAMPAIGN["name"]


def test_a_chinese_sms_carries_the_chinese_opt_out_wording_once():
    wording = opt_out_wording("zh-CN")
    assert wording == "回复TD退订"
    sent = sms_text("李文您好，您的还款将于11月10日到期。", "Northwind Credit", wording)
    assert sent == "Northwind Credit: 李文您好，您的还款将于11月10日到期。 回复TD退订"
    assert sms_text(sent, "Northwind Credit", wording) == sent
    own_words = "Northwind Credit提醒您：还款日为11月10日。退订回T"
    assert sms_text(own_words, "Northwind Credit", wording) == own_words


def test_a_chinese_opt_out_wording_of_the_campaign_must_say_how_to_opt_out(tmp_path):
    fine = write_campaign(tmp_path, "zh_fine", lambda d: d.update(opt_out_wording={"zh": "退订回T"}))
    assert load_campaign(fine, POLICY).opt_out_wording == {"zh": "退订回T"}
    silent = write_campaign(tmp_path, "zh_silent", lambda d: d.update(opt_out_wording={"zh": "请勿回复"}))
    with pytest.raises(CampaignError) as error:
        load_campaign(silent, POLICY)
    assert "must tell the borrower to reply STOP (in Chinese: 回复TD退订)" in str(error.value)


def test_plan_variables_speak_of_the_instalment_and_what_is_left_of_it():
    from lending.arrangements import Instalment

    second = Instalment(2, dt.date(2027, 1, 2), Decimal("151.16"), paid=Decimal("51.16"))
    en = values_for(name="Dana Rivers", language="en", lender=LENDER, instalment=second, instalment_count=3)
    assert fill("{instalment_number} of {instalment_count}: {instalment_amount} due {instalment_date}", en) == (
        "2 of 3: $100.00 due Jan 2")
    zh = values_for(name="李文", language="zh", lender=LENDER, currency="CNY", instalment=second, instalment_count=3)
    assert fill("第{instalment_number}期（共{instalment_count}期）{instalment_amount}，{instalment_date}到期", zh) == (
        "第2期（共3期）¥100.00，1月2日到期")
