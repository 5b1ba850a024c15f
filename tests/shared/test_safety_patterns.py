"""The safety patterns (data/safety/<lang>.yml, language/safety.py): every pattern matches its
example, none matches the sentences that only look like a safety request, and when a message
says several safety intents the most severe decides while all are listed."""
import pytest

from language import safety


@pytest.fixture(scope="module")
def patterns():
    return safety.all_languages()


def test_both_languages_have_reviewed_patterns_for_every_safety_intent(patterns):
    assert set(patterns) == {"en", "zh"}
    for lang, found in patterns.items():
        assert found.language == lang
        assert {p.intent for p in found.patterns} == set(safety.SEVERITY), lang
        assert found.never, f"{lang}: no precision cases under `never`"


@pytest.mark.parametrize("text, expected", [
    # misses the model made before the safety layer
    ("got made redundant", ["hardship"]),
    ("they cut off all contact with me, so do the same", ["opt_out"]),
    ("texts from you are not welcome", ["opt_out"]),
    # two safety intents in one message
    ("Wrong person, stop texting me", ["wrong_person", "opt_out"]),
    ("my lawyer handles this, stop texting", ["legal_protection", "opt_out"]),
    ("I never took out a loan, you have the wrong number", ["wrong_person", "dispute_debt"]),
    ("I lost my job, can I pay later", ["hardship"]),
    ("I filed for bankruptcy in March", ["legal_protection"]),
    ("I dispute this debt", ["dispute_debt"]),
    ("I\u2019d like to speak to a real person", ["request_human"]),
    ("ＳＴＯＰ ＴＥＸＴＩＮＧ ＭＥ", ["opt_out"]),  # full-width, as some phones send it
    # said inside a longer message, in texting style or indirectly (2026-12-07, issue 16)
    ("who is this? I don't know any Dana", ["wrong_person"]),
    ("this isn't Marcus, stop texting me", ["wrong_person", "opt_out"]),
    ("I never borrowed from you, can someone call me", ["dispute_debt", "request_human"]),
    ("is there anyone I can actually talk to? I can't pay this month", ["request_human"]),
    ("money's been tight since I got laid off, can I pay next week", ["hardship"]),
    ("been off work sick, need a few more weeks", ["hardship"]),
    ("pls put me thru to a human, i want a plan", ["request_human"]),
])
def test_explicit_english_phrases(patterns, text, expected):
    assert patterns["en"].matched(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("这不是我的号码", ["wrong_person"]),
    ("你们打错了，别再给我发短信", ["wrong_person", "opt_out"]),
    ("我的律师会处理，不要再联系我", ["legal_protection", "opt_out"]),
    ("我失业了，能晚点还吗", ["hardship"]),
    ("这笔贷款不是我借的", ["dispute_debt"]),
    ("我要转人工", ["request_human"]),
    # issue 16: the phrase inside a longer message with another request, other wording,
    # traditional characters, voice fillers
    ("我上个月被公司辞退了，能不能分几期还", ["hardship"]),
    ("嗯 那个 就是 我爸前阵子走了，这个月能晚点还吗", ["hardship"]),
    ("老板拖欠工资好几个月了，还款日能改一下吗", ["hardship"]),
    ("我失業了，可以延期嗎", ["hardship"]),
    ("你们要找的人不是我，别再打了", ["wrong_person", "opt_out"]),
    ("這不是我的號碼", ["wrong_person"]),
    ("这事交给律师处理了，别再联系我", ["legal_protection", "opt_out"]),
    ("我压根没贷过款，欠多少跟我没关系", ["dispute_debt"]),
    ("人工呢？我想分期", ["request_human"]),
    ("回TD了还在发", ["opt_out"]),
])
def test_explicit_chinese_phrases(patterns, text, expected):
    assert patterns["zh"].matched(text) == expected


@pytest.mark.parametrize("lang, text", [
    ("en", "I can't stop worrying about this"),
    ("en", "stop, let me think"),
    ("en", "don't text me after 9pm"),
    ("en", "is this a real person?"),
    ("en", "will I have to file for bankruptcy?"),
    ("en", "my phone died yesterday, sorry"),
    ("en", "don't stop texting me, the reminders help"),
    ("zh", "别担心，我会还的"),
    ("zh", "你是真人吗"),
    ("zh", "不要打电话，发短信就行"),
    ("zh", "我会不会失业"),
    ("zh", "人工费是多少"),
    ("zh", "工作日能还吗"),
    ("zh", "不是打错了吧"),
    ("zh", "你们会起诉我吗"),
    ("zh", "等发工资就还"),
])
def test_what_only_looks_like_a_safety_request_matches_nothing(patterns, lang, text):
    assert patterns[lang].matched(text) == []


def test_a_pattern_that_misses_its_example_is_refused():
    text = 'language: en\nintents:\n  opt_out:\n    - pattern: "\\\\bstop texting\\\\b"\n      example: "quit it"\n'
    with pytest.raises(safety.PatternError, match="does not match its example"):
        safety.parse(text)


def test_a_never_sentence_that_matches_is_refused():
    text = ('language: en\nintents:\n  opt_out:\n    - pattern: "\\\\bstop\\\\b"\n      example: "stop"\n'
            'never:\n  - "stop, let me think"\n')
    with pytest.raises(safety.PatternError, match="stop, let me think"):
        safety.parse(text)


@pytest.mark.parametrize("text", ["I'm not dana", "no, im not marcus", "it's not kim, wrong number?"])
def test_i_am_not_a_name_is_asked_about_never_acted_on(patterns, text):
    assert patterns["en"].matched(text) == []
    assert patterns["en"].to_ask(text) == ["wrong_person"]


def test_this_is_not_a_name_is_acted_on(patterns):
    assert patterns["en"].matched("no, this isn't dana") == ["wrong_person"]


def test_an_ask_pattern_may_match_a_never_sentence_and_only_asks():
    text = ('language: en\nintents:\n  wrong_person:\n    - pattern: "\\\\bi\'m not [a-z]+$"\n'
            '      example: "i\'m not dana"\n      ask: true\nnever:\n  - "I\'m not british"\n')
    parsed = safety.parse(text)
    assert parsed.matched("I'm not british") == [] and parsed.to_ask("I'm not british") == ["wrong_person"]


def test_an_intent_outside_the_safety_critical_ones_is_refused():
    text = 'language: en\nintents:\n  greet:\n    - pattern: "hi"\n      example: "hi"\n'
    with pytest.raises(safety.PatternError, match="greet"):
        safety.parse(text)


@pytest.mark.parametrize("matched, model, confident, expected", [
    ([], "greet", True, (None, [])),
    ([], "opt_out", True, (None, ["opt_out"])),
    (["opt_out"], "goodbye", True, ("opt_out", ["opt_out"])),
    (["opt_out"], "wrong_person", True, ("wrong_person", ["wrong_person", "opt_out"])),
    (["opt_out"], "wrong_person", False, ("opt_out", ["opt_out"])),  # a fallback guess is not heard
    (["wrong_person", "opt_out"], "ask_who", True, ("wrong_person", ["wrong_person", "opt_out"])),
    # hardship beside a request: the request stays the intent, the hardship is listed
    (["hardship"], "request_deferral", True, (None, ["hardship"])),
    (["hardship"], "already_paid", True, ("hardship", ["hardship"])),
    (["hardship"], "request_deferral", False, ("hardship", ["hardship"])),
    (["hardship", "opt_out"], "request_deferral", True, ("opt_out", ["opt_out", "hardship"])),
])
def test_the_most_severe_decides_and_every_one_is_listed(matched, model, confident, expected):
    assert safety.decide(matched, model, confident) == expected
