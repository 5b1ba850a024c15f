"""The NLU's safety layer as Rasa runs it (bot/components/safety_patterns.py): what a parse
says after the classifiers for a pattern match, a confident model, and an unsure one."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.components.safety_patterns import SafetyPatterns
from language import safety


@pytest.fixture(scope="module")
def layer():
    return SafetyPatterns({"patterns": None, "confirm_below": 0.6}, None, None, safety.load("en"))


def parsed(layer, text, *ranking, fallback=False):
    entries = [{"name": name, "confidence": conf} for name, conf in ranking]
    intent = {"name": "nlu_fallback", "confidence": 0.4} if fallback else dict(entries[0])
    if fallback:
        entries.insert(0, dict(intent))
    message = Message(data={"text": text, "intent": intent, "intent_ranking": entries},
                      output_properties={"intent", "intent_ranking"})  # as the classifiers leave it
    [out] = layer.process([message])
    return out.as_dict(only_output_properties=True)


def test_a_pattern_overrides_the_model_with_certainty_and_lists_every_safety_intent(layer):
    data = parsed(layer, "wrong person, stop texting me", ("ask_who", 0.8), ("opt_out", 0.1))
    assert data["intent"] == {"name": "wrong_person", "confidence": 1.0}
    assert data["safety_intents"] == ["wrong_person", "opt_out"]
    assert data["intent_ranking"][0] == {"name": "wrong_person", "confidence": 1.0}
    assert [r["name"] for r in data["intent_ranking"][1:]] == ["ask_who", "opt_out"]


def test_a_pattern_beats_a_fallback(layer):
    data = parsed(layer, "got made redundant", ("already_paid", 0.3), ("greet", 0.25), fallback=True)
    assert data["intent"]["name"] == "hardship" and data["safety_intents"] == ["hardship"]


def test_a_hardship_beside_a_request_leaves_the_request(layer):
    data = parsed(layer, "I lost my job, can I pay later", ("request_deferral", 0.9))
    assert data["intent"] == {"name": "request_deferral", "confidence": 0.9}
    assert data["safety_intents"] == ["hardship"]


def test_a_confident_safety_prediction_stands_and_is_listed(layer):
    data = parsed(layer, "please quit it with the reminders", ("opt_out", 0.93))
    assert data["intent"] == {"name": "opt_out", "confidence": 0.93}
    assert data["safety_intents"] == ["opt_out"]
    assert "safety_check" not in data


@pytest.mark.parametrize("ranking, fallback", [
    ([("opt_out", 0.55), ("goodbye", 0.3)], False),  # below confirm_below
    ([("opt_out", 0.35), ("goodbye", 0.3)], True),  # the fallback classifier gave up on it
])
def test_an_unsure_safety_guess_is_to_be_asked_about(layer, ranking, fallback):
    data = parsed(layer, "you lot can go away now", *ranking, fallback=fallback)
    assert data["intent"]["name"] == "check_safety"
    assert data["safety_check"] == "opt_out"
    assert data["safety_intents"] == []


def test_anything_else_is_left_as_the_model_said(layer):
    data = parsed(layer, "how much do I owe", ("ask_amount", 0.97))
    assert data["intent"] == {"name": "ask_amount", "confidence": 0.97}
    assert data["safety_intents"] == []
    unsure = parsed(layer, "mmm", ("greet", 0.3), fallback=True)
    assert unsure["intent"]["name"] == "nlu_fallback"


@pytest.fixture(scope="module")
def hinted():
    return SafetyPatterns({"patterns": None, "confirm_below": 0.6, "hint_above": 0.25,
                           "hint_intents": ["hardship", "request_human"]}, None, None, safety.load("en"))


def test_hardship_the_model_ranks_second_is_honoured_beside_the_request(hinted):
    # No pattern names it ("things have been rough"): the model's second thought does.
    data = parsed(hinted, "things have been rough since the shop shut, can I pay in a month",
                  ("request_deferral", 0.6), ("hardship", 0.3), ("ask_amount", 0.1))
    assert data["intent"] == {"name": "request_deferral", "confidence": 0.6}
    assert data["safety_intents"] == ["hardship"]


def test_a_person_ranked_second_joins_what_a_pattern_found(hinted):
    data = parsed(hinted, "wrong number, get someone to sort this out",
                  ("ask_who", 0.5), ("request_human", 0.4))
    assert data["intent"]["name"] == "wrong_person"
    assert data["safety_intents"] == ["wrong_person", "request_human"]


def test_a_person_ranked_second_beside_a_question_takes_the_conversation(hinted):
    # Whoever answers then answers the question too; the question's own action would not
    # hand over.
    data = parsed(hinted, "how much is left, and is there anyone real I could ring",
                  ("ask_amount", 0.55), ("request_human", 0.35))
    assert data["intent"] == {"name": "request_human", "confidence": 0.35}
    assert data["safety_intents"] == ["request_human"]


@pytest.mark.parametrize("ranking", [
    [("ask_amount", 0.8), ("hardship", 0.2)],  # below hint_above
    [("ask_amount", 0.6), ("dispute_debt", 0.35)],  # not a hint intent: its patterns decide
])
def test_other_second_thoughts_change_nothing(hinted, ranking):
    data = parsed(hinted, "what is the balance on this", *ranking)
    assert data["intent"]["name"] == "ask_amount"
    assert data["safety_intents"] == []


def test_no_hint_beside_a_question_about_an_unsure_guess(hinted):
    data = parsed(hinted, "you lot can go away now", ("opt_out", 0.5), ("request_human", 0.3))
    assert data["intent"]["name"] == "check_safety" and data["safety_check"] == "opt_out"
    assert data["safety_intents"] == []


def test_i_am_not_a_name_is_asked_about_unless_the_model_is_sure(layer):
    asked = parsed(layer, "I'm not dana", ("ask_who", 0.7), ("wrong_person", 0.2))
    assert asked["intent"]["name"] == "check_safety" and asked["safety_check"] == "wrong_person"
    assert asked["safety_intents"] == []
    sure = parsed(layer, "I'm not dana", ("wrong_person", 0.9))
    assert sure["intent"]["name"] == "wrong_person" and sure["safety_intents"] == ["wrong_person"]
    # Beside an explicit request to stop, "I'm not <name>" is a stranger's reply: both are acted
    # on and nothing is asked; "I'm not <word>" that is no name leaves the stop alone.
    stop = parsed(layer, "I'm not dana, stop texting me", ("opt_out", 0.7))
    assert stop["intent"]["name"] == "wrong_person" and "safety_check" not in stop
    assert stop["safety_intents"] == ["wrong_person", "opt_out"]
    fed_up = parsed(layer, "I'm not interested, stop texting me", ("opt_out", 0.7))
    assert fed_up["intent"]["name"] == "opt_out" and "safety_check" not in fed_up
    assert fed_up["safety_intents"] == ["opt_out"]
