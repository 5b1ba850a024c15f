"""`flask --app server nlu ...`: the inbox from a terminal."""
from __future__ import annotations

import yaml

from tests.support.accounts import in_contact_hours
from tests.support.fake_rasa import rasa_parse


def examples_of(path, intent):
    data = yaml.safe_load(path.read_text())
    block = next(item for item in data["nlu"] if item.get("intent") == intent)
    return [line[2:] for line in block["examples"].splitlines()]


def fill_inbox(rasa, sms):
    rasa.parse = lambda text: {
        "the bailiff took my car": rasa_parse(text, "ask_consequences", 0.55, ("hardship", 0.3)),
        "could i do 150 a month": rasa_parse(text, "request_instalment", 0.6),
    }.get(text, rasa_parse(text, "greet", 0.3, fallback=True))
    sms("the bailiff took my car")
    sms("could i do 150 a month")
    sms("asdfgh, my dob is 03/14/1988")


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["nlu", *args], input=input)


def test_the_inbox_lists_what_waits(app, rasa, sms):
    fill_inbox(rasa, sms)
    result = run(app, "inbox")
    assert result.exit_code == 0, result.output
    assert "3 pending (1 fallback, 2 low_confidence, 0 sample)" in result.output
    assert "#1  low_confidence  ask_consequences 0.55  then hardship 0.30" in result.output
    assert "#3  fallback (fell back)  greet 0.30" in result.output
    assert "asdfgh, my dob is [DATE]" in result.output and "1988" not in result.output
    assert "#3" in run(app, "inbox", "--reason", "fallback").output
    assert "#1" not in run(app, "inbox", "--reason", "fallback").output


def test_approve_with_a_corrected_intent_and_discard(app, rasa, sms, nlu_dir):
    fill_inbox(rasa, sms)
    result = run(app, "approve", "1", "--intent", "hardship", "--by", "tom")
    assert result.exit_code == 0, result.output
    assert "written to " in result.output and "hardship.yml, line" in result.output
    assert examples_of(nlu_dir / "hardship.yml", "hardship")[-1] == "the bailiff took my car"

    result = run(app, "approve", "2", "--entity", "150=amount")
    assert result.exit_code == 0, result.output
    assert examples_of(nlu_dir / "plans.yml", "request_instalment")[-1] == \
        "could i do [150](amount) a month"

    assert run(app, "discard", "3").exit_code == 0
    again = run(app, "discard", "3")
    assert again.exit_code == 1 and "already discarded" in again.output
    listed = run(app, "inbox", "--status", "approved").output
    assert "approved by tom as hardship" in listed


def test_a_duplicate_is_refused_from_the_cli_too(app, rasa, sms, nlu_dir):
    rasa.parse = lambda text: rasa_parse(text, "greet", 0.5)
    sms("i lost my job")
    result = run(app, "approve", "1")
    assert result.exit_code == 1
    assert "already an example of hardship" in result.output and "hardship.yml, line" in result.output


def test_interactive_review(app, rasa, sms, nlu_dir):
    fill_inbox(rasa, sms)
    # 1: correct to hardship, keep the example, no entities; 2: skip; 3: discard
    result = run(app, "review", "--by", "tom", input="hardship\n\n\ns\nd\n")
    assert result.exit_code == 0, result.output
    assert "written to " in result.output and "discarded #3" in result.output
    assert examples_of(nlu_dir / "hardship.yml", "hardship")[-1] == "the bailiff took my car"
    assert "1 pending" in run(app, "inbox").output


def test_show_and_intents(app, rasa, sms):
    fill_inbox(rasa, sms)
    shown = run(app, "show", "3").output
    assert "example: asdfgh, my dob is 07/22/1991" in shown
    assert "/console/nlu/conversations/c-" in shown
    intents = run(app, "intents").output
    assert "opt_out" in intents and "contact.yml" in intents and "entities: amount" in intents


def test_a_chinese_borrowers_message_is_approved_into_the_chinese_data(app, rasa, sms, nlu_dir):
    """DEMO-1005 writes Chinese: its item keeps the language, and the example goes into
    data/nlu/zh (the Chinese model's data), never into the English files."""
    sentence = "车被拖走了日子过不下去"
    rasa.parse = lambda text: rasa_parse(text, "ask_consequences", 0.5, ("hardship", 0.4))
    english_before = {p.name: p.read_text() for p in nlu_dir.glob("*.yml")}
    in_contact_hours("DEMO-1005")  # the cn profile answers nothing 22:00-08:00
    sms(sentence, phone="+8613800000001")
    assert "#1" in run(app, "inbox").output

    result = run(app, "approve", "1", "--intent", "hardship", "--by", "li")
    assert result.exit_code == 0, result.output
    assert "zh/hardship.yml, line" in result.output
    assert examples_of(nlu_dir.parent / "zh" / "hardship.yml", "hardship")[-1] == sentence
    assert {p.name: p.read_text() for p in nlu_dir.glob("*.yml")} == english_before
