"""The policy's `voice` section: defaults for a policy without one, and a voicemail that
could tell a third party what the call is about refused at start-up."""
import pytest
import yaml

from lending.policy import PolicyError, load_policy
from tests.support.paths import ROOT


def write_policy(tmp_path, change):
    import shutil

    shutil.copytree(ROOT / "lender" / "jurisdictions", tmp_path / "jurisdictions")
    policy = yaml.safe_load((ROOT / "lender" / "policy.yml").read_text())
    change(policy)
    path = tmp_path / "policy.yml"
    path.write_text(yaml.safe_dump(policy))
    return path


def test_a_policy_without_a_voice_section_gets_the_defaults(tmp_path):
    policy = load_policy(write_policy(tmp_path, lambda p: p.pop("voice")))
    assert (policy.voice.reprompts, policy.voice.min_speech_confidence) == (2, 0.5)
    assert policy.voice.voicemail.business_name is None  # the lender's name is used


@pytest.mark.parametrize("name", ["Northwind Debt Services", "NW Collections", "Northwind Recovery"])
def test_a_voicemail_business_name_must_not_say_what_the_call_is_about(tmp_path, name):
    def change(policy):
        policy["voice"]["voicemail"]["business_name"] = name

    with pytest.raises(PolicyError, match="voice.voicemail.business_name"):
        load_policy(write_policy(tmp_path, change))


def test_voice_limits_are_checked(tmp_path):
    def change(policy):
        policy["voice"]["min_speech_confidence"] = 1.5
        policy["voice"]["reprompts"] = -1

    with pytest.raises(PolicyError) as error:
        load_policy(write_policy(tmp_path, change))
    assert "voice.min_speech_confidence" in str(error.value) and "voice.reprompts" in str(error.value)


@pytest.mark.parametrize("name", ["催收", "Northwind 催收", "北风 逾期 管理"])
def test_chinese_debt_words_are_not_neutral_either(tmp_path, name):
    def change(policy):
        policy["voice"]["voicemail"]["business_name"] = name

    with pytest.raises(PolicyError, match="voice.voicemail.business_name"):
        load_policy(write_policy(tmp_path, change))


def test_a_debt_word_inside_a_chinese_name_is_refused(tmp_path):
    def change(policy):
        policy["voice"]["voicemail"]["business_name"] = "北风催收"

    with pytest.raises(PolicyError, match="voice.voicemail.business_name"):
        load_policy(write_policy(tmp_path, change))
