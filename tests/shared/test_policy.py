"""The policy file is validated at start-up with a message that says what is wrong."""
from __future__ import annotations

import shutil

import pytest
import yaml

from lending.policy import LENDER_DIR, PolicyError, load_policy


@pytest.fixture
def lender_dir(tmp_path):
    shutil.copytree(LENDER_DIR / "jurisdictions", tmp_path / "jurisdictions")
    return tmp_path


def write(lender_dir, change):
    data = yaml.safe_load((LENDER_DIR / "policy.yml").read_text())
    change(data)
    path = lender_dir / "policy.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_shipped_policy_loads():
    policy = load_policy()
    assert policy.instalments.min_months == 2
    assert policy.profile.required_statement("en").startswith("This is an attempt to collect a debt")
    assert policy.payment_link("DEMO-1") == "https://pay.northwind.example/a/DEMO-1"
    identity = policy.identity
    assert (identity.max_attempts, identity.window_minutes, identity.lockout_minutes) == (3, 1440, 1440)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["instalments"].update(min_months=8, max_months=4),
         "min_months must not exceed max_months"),
        (lambda d: d["instalments"].update(min_instalment="-1"), "min_instalment must be positive"),
        (lambda d: d["deferral"].update(max_days="soon"), "deferral.max_days"),
        (lambda d: d["lender"]["agent_hours"].update(start="25:00"), "is not a time of day"),
        (lambda d: d["lender"]["agent_hours"].update(timezone="Moon/Base"), "is not an IANA time zone"),
        (lambda d: d["payments"].update(link_template="https://pay.example"), "must contain {account_ref}"),
        (lambda d: d.update(surprise=1), "surprise: extra fields not permitted"),
        (lambda d: d["conversation"].update(rasa_timeout_seconds=30), "rasa_timeout_seconds"),
        (lambda d: d["lender"]["desks"]["zh"].update(weekdays=["someday"]), "'someday' is not one of"),
        (lambda d: d["identity"].update(lockout_minutes=0), "identity.lockout_minutes"),
        (lambda d: d["identity"].update(window_minutes="a day"), "identity.window_minutes"),
    ],
)
def test_invalid_policies_are_refused_with_the_reason(lender_dir, change, message):
    with pytest.raises(PolicyError) as error:
        load_policy(write(lender_dir, change))
    assert message in str(error.value)


def test_every_profile_ships_and_each_language_has_its_desk():
    policy = load_policy()
    assert set(policy.all_profiles()) == {"us", "cn"} and policy.jurisdiction == "us"
    assert policy.profile_for("cn").contact_hours.end.hour == 22
    assert policy.lender.hours_for("zh-CN").timezone == "Asia/Shanghai"
    assert policy.lender.hours_for("en").timezone == policy.lender.hours_for("es").timezone == "America/New_York"


@pytest.mark.parametrize("change, message", [
    (lambda p: p.update(supervisor_may_override=["account_legal"]), "'account_legal' is not one of"),
    (lambda p: p.update(supervisor_may_override=["no_consent"]), "'no_consent' is not one of"),
    (lambda p: p.update(reply_window_minutes=-5), "reply_window_minutes"),
    (lambda p: p["frequency"].update(sms_per_day=0), "sms_per_day"),
])
def test_a_profile_cannot_let_a_supervisor_override_the_law(lender_dir, change, message):
    profile = lender_dir / "jurisdictions" / "us.yml"
    data = yaml.safe_load(profile.read_text())
    change(data)
    profile.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(PolicyError) as error:
        load_policy(write(lender_dir, lambda d: None))
    assert message in str(error.value)


def test_unknown_jurisdiction_profile(lender_dir):
    path = write(lender_dir, lambda d: d.update(jurisdiction="atlantis"))
    with pytest.raises(PolicyError, match="atlantis.yml: file not found"):
        load_policy(path)


US_ZH = "这是一次债务催收沟通，所获得的任何信息都将用于该目的。"
CN_ZH = "本次联系系就您的借款还款事宜进行提醒，所获信息仅用于处理该笔借款。"


@pytest.mark.parametrize("language", ["zh", "zh-CN", "zh_Hans", "ZH"])
def test_a_chinese_account_gets_the_statement_in_chinese(language):
    assert load_policy().profile.required_statement(language) == US_ZH


def test_required_statement_falls_back_to_english():
    assert load_policy().profile.required_statement("es").startswith("This is an attempt")


def test_the_chinese_profile_states_the_purpose_in_both_languages(lender_dir):
    profile = load_policy(write(lender_dir, lambda d: d.update(jurisdiction="cn"))).profile
    assert profile.required_statement("zh-CN") == CN_ZH
    assert profile.required_statement("en").startswith("We are contacting you to remind you")


@pytest.mark.parametrize(
    "statements, message",
    [
        ({"zh": "本次联系系{lender}就您的借款进行提醒。"}, "must be plain text without {placeholders}"),
        ({"en": "  "}, "must be plain text"),
        ({"zh-CN": "提醒。"}, "is not a language code"),
    ],
)
def test_a_statement_is_plain_text_under_a_language_code(lender_dir, statements, message):
    profile = lender_dir / "jurisdictions" / "us.yml"
    data = yaml.safe_load(profile.read_text())
    profile.write_text(yaml.safe_dump({**data, "required_statements": statements}, allow_unicode=True))
    with pytest.raises(PolicyError) as error:
        load_policy(write(lender_dir, lambda d: None))
    assert message in str(error.value)
