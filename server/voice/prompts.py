"""What the bot just said on a call, what it expects next, and what the caller's answer
means: the gateway's half of a voice turn, free of Flask and Twilio so it can be read and
tested on its own.

The dialogue model says what it expects through the `voice` custom payload of its voice
response variants (see the header of domain.yml): the question's kind, what each key
means, how many keys make an answer. The gateway keeps that for the call (gateway state,
keyed by CallSid) and reads the next webhook with it: keys become the text the bot
understands, speech heard without confidence is confirmed first, silence is asked again.
What the gateway says itself (re-prompts, "did you say ...?", the close, the voicemail, the
follow-up text message) is read here (WORDS) from messaging/gateway_words.py.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Mapping, Optional

from lending.languages import LANGUAGES, parser_language
from messaging.gateway_words import phrase
from server.voice.text import yes_or_no

# Keys that mean the same on every question.
PERSON_KEY = "0"
REPEAT_KEY = "*"
PERSON = "/request_human"  # what key 0 sends: Rasa's shortcut for the request_human intent
YES_KEY, NO_KEY = "1", "2"
# What starts the conversation when a person answers: the bot introduces itself and asks
# its first question, as after an SMS "hi".
START = "/greet"
# Identity answers are checked by the bot and never kept in the transcript.
IDENTITY_QUESTIONS = ("birth_date", "id_last4")
NOT_STORED = "[identity answer, not stored]"
# Keypad layouts of a date keyed in as 8 digits, read into an ISO date for the bot.
KEYPAD_DATES = {
    "MMDDYYYY": (slice(4, 8), slice(0, 2), slice(2, 4)),
    "DDMMYYYY": (slice(4, 8), slice(2, 4), slice(0, 2)),
    "YYYYMMDD": (slice(0, 4), slice(4, 6), slice(6, 8)),
}
_DIGITS = re.compile(r"^\d+$")


@dataclass
class Said:
    """One thing the bot says, with the `voice` payload of its response (may be empty)."""

    text: str
    voice: Dict = field(default_factory=dict)


def bot_turn(answers: List[Mapping]) -> List[Said]:
    """Rasa's REST answers as things to say: a response's custom payload follows its text
    and belongs to it."""
    said: List[Said] = []
    for answer in answers:
        text = (answer.get("text") or "").strip()
        custom = answer.get("custom")
        if text:
            said.append(Said(text))
        voice = custom.get("voice") if isinstance(custom, dict) else None
        if isinstance(voice, dict):
            if said and not said[-1].voice:
                said[-1].voice = dict(voice)
            else:
                said.append(Said("", dict(voice)))
    return said


@dataclass
class Prompt:
    """The question the caller is answering: its words (said again on a re-prompt) and
    what it expects."""

    say: List[str] = field(default_factory=list)
    expect: str = "open"
    keys: Dict[str, str] = field(default_factory=dict)  # key -> text for the bot
    digits: Optional[int] = None  # keys that make one answer (numDigits)
    keypad: Optional[str] = None  # layout of a date keyed in (KEYPAD_DATES)
    finish_on_key: Optional[str] = None  # a key that ends a keyed answer of any length

    @classmethod
    def of(cls, said: Said) -> "Prompt":
        voice = said.voice
        keys = {str(k): str(v).strip() for k, v in (voice.get("keys") or {}).items()}
        digits = voice.get("digits")
        return cls(
            say=[said.text] if said.text else [],
            expect=str(voice.get("expect") or "open"),
            keys={k: v for k, v in keys.items() if v},  # an unused choice has no text
            digits=int(digits) if digits else None,
            keypad=voice.get("keypad"),
            finish_on_key=voice.get("finish_on_key"),
        )

    @property
    def num_digits(self) -> Optional[int]:
        """<Gather numDigits>: the answer's length; one key for menus and open questions
        (so 0 for a person works at once); none when an end key closes the answer."""
        if self.digits:
            return self.digits
        if self.finish_on_key:
            return None
        return 1


# The gateway's own yes/no questions: next_step() reads 1 and 2 (and a spoken yes or no in
# the call's language) itself, so the keys carry no words, which would be English hints.
YES_NO = Prompt(expect="yes_no")
FEEDBACK_KEYS = Prompt(expect="open", digits=1)  # "how did we do?": one key, 1 to 5


@dataclass(frozen=True)
class Words:
    """What the gateway says itself on a call, in one language: the phrases "call.<field>"
    of messaging/gateway_words.py, where each is described (the bot's words are in
    domain.yml). Every field is required, so a language cannot miss one."""

    no_input: str
    unrecognised: str
    unsure: str
    not_that: str
    confirm: str
    sent: str
    not_sent: str
    sms_refused: str
    anything_else: str
    go_ahead: str
    goodbye: str
    bye: str
    text_promise: str
    call_us: str
    identity_locked: str
    silent_close: str
    trouble: str
    no_agent: str
    introduction: str
    putting_through: str
    voicemail: str
    follow_up_sms: str


WORDS: Dict[str, Words] = {
    language: Words(**{f.name: phrase(f"call.{f.name}")[language] for f in dataclasses.fields(Words)})
    for language in LANGUAGES
}


def words_for(language: Optional[str]) -> Words:
    """The gateway's words in the account's language ("zh-CN" -> zh), English otherwise."""
    return WORDS.get(parser_language(language), WORDS["en"])


@dataclass
class CallState:
    """What the gateway remembers about a live call between webhooks (JSON in the
    gateway state). `pending` is a question the gateway itself asked: "did you say ...?"
    (confirm), "shall I text you the link?" (sms_offer), "anything else?" (anything_else)."""

    conversation_id: Optional[str]
    language: str = "en"
    prompt: Prompt = field(default_factory=Prompt)
    failures: int = 0  # re-prompts in a row (silence, noise, a "no" to "did you say")
    pending: Optional[Dict] = None  # {"kind": ..., "say": [the question], ...}
    texted: bool = False  # the follow-up text message went out
    finished: bool = False  # the gateway hung up or put the call through

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> "CallState":
        """Reads what to_dict() wrote; keys it does not know (an older or newer gateway
        during a deploy) are left out rather than failing the call."""
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in fields}
        prompt_fields = {f.name for f in dataclasses.fields(Prompt)}
        values["prompt"] = Prompt(**{k: v for k, v in (data.get("prompt") or {}).items()
                                     if k in prompt_fields})
        return cls(**values)


@dataclass(frozen=True)
class Heard:
    """What one webhook brings: keys pressed, or speech and how sure Twilio is of it."""

    digits: str = ""
    speech: str = ""
    confidence: Optional[float] = None  # None: Twilio did not say

    @classmethod
    def of(cls, form: Mapping[str, str]) -> "Heard":
        confidence = None
        raw = (form.get("Confidence") or "").strip()
        if raw:
            try:
                confidence = float(raw)
            except ValueError:
                confidence = None
        speech = (form.get("SpeechResult") or "").strip()
        # Speech never reaches Rasa as an intent shortcut ("/intent"): only keys do.
        return cls(digits=(form.get("Digits") or "").strip(), speech=speech.lstrip("/").strip(),
                   confidence=confidence)


@dataclass(frozen=True)
class Step:
    """What to do with an answer.

    bot: send `text` to the bot
    reprompt: ask the prompt again (`reason`: no_input, unrecognised, or unsure for an
              identity answer heard without confidence); counts as a failure
    repeat: say the prompt again (the caller pressed *); no failure
    confirm: ask "did you say `text`?" before acting on it
    yes / no: the answer to the gateway's own pending question
    """

    kind: str
    text: str = ""
    reason: str = ""


def keyed_text(digits: str, prompt: Prompt) -> Optional[str]:
    """What keys mean on this prompt, as text the bot understands; None if nothing."""
    if digits == PERSON_KEY:
        return PERSON
    if digits in prompt.keys:
        return prompt.keys[digits]
    if not _DIGITS.match(digits):
        return None
    if prompt.digits and len(digits) == prompt.digits:
        layout = KEYPAD_DATES.get(prompt.keypad or "")
        if layout:  # the date as 1988-03-14, which the bot reads whatever its date order
            year, month, day = (digits[part] for part in layout)
            return f"{year}-{month}-{day}"
        return digits
    if prompt.finish_on_key or prompt.expect == "amount":
        return digits
    return None


def transcribed(state: CallState, heard: Heard) -> Optional[str]:
    """The caller's answer as the transcript keeps it (None: they said nothing). Answers to
    the identity questions are not kept."""
    if heard.digits:
        said = f"[keys {heard.digits}]"
    elif heard.speech.strip():
        said = heard.speech.strip()
    else:
        return None
    if state.pending is None and state.prompt.expect in IDENTITY_QUESTIONS:
        return NOT_STORED
    return said


def next_step(state: CallState, heard: Heard, min_confidence: float) -> Step:
    """How the gateway answers one webhook of a call in progress."""
    pending = state.pending
    if heard.digits:
        keys = heard.digits
        if keys == REPEAT_KEY:
            return Step("repeat")
        if pending is not None:
            if keys == YES_KEY:
                return Step("yes")
            if keys == NO_KEY:
                return Step("no")
            if keys == PERSON_KEY:
                return Step("bot", PERSON)
            return Step("reprompt", reason="unrecognised")
        text = keyed_text(keys, state.prompt)
        if text is None:
            return Step("reprompt", reason="unrecognised")
        return Step("bot", text)
    speech = heard.speech.strip()
    if not speech:
        return Step("reprompt", reason="no_input")
    if pending is not None:
        answer = yes_or_no(speech, state.language)
        if answer is not None:
            return Step("yes" if answer else "no")
        # More than a yes or a no: a new answer, read as such below.
    if heard.confidence is not None and heard.confidence < min_confidence:
        if state.prompt.expect in IDENTITY_QUESTIONS:
            # Never read an identity answer back aloud: ask for the keys instead.
            return Step("reprompt", reason="unsure")
        return Step("confirm", speech)
    return Step("bot", speech)
