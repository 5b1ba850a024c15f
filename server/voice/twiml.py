"""The TwiML documents the voice gateway answers with, built with twilio-python.

Only verbs and attributes Twilio documents are used (tests/voice/test_twiml_documented.py
checks every document the gateway emits against Twilio's lists):
  <Say voice language>  <Gather input action method language speechTimeout timeout hints
  bargeIn actionOnEmptyResult numDigits finishOnKey>  <Redirect method>  <Pause length>
  <Dial action method timeout><Number url method>  <Hangup>
Text passes through server/voice_text.speakable(), in the call's language, on its way
into <Say>; the hints are that language's too. Every document is written by
server/twiml_render.render(), which drops what XML cannot carry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from twilio.twiml.voice_response import Dial, VoiceResponse

from lending.languages import parser_language
from messaging.twiml_render import render
from server.voice.prompts import Prompt
from server.voice.text import hints_for, speakable

TURN_PATH = "/twilio/voice/turn"
DIAL_PATH = "/twilio/voice/dial"
WHISPER_PATH = "/twilio/voice/whisper"
# <Say language> by the account's language: the locale of the voice the policy names
# (policy.voice.voices: Polly.Joanna en-US, Polly.Zhiyu cmn-CN). Twilio lists each Amazon
# Polly voice with its language, Zhiyu as "Chinese Mandarin, cmn-CN":
#   https://www.twilio.com/docs/voice/twiml/say/text-speech
#   (and Amazon's: https://docs.aws.amazon.com/polly/latest/dg/available-voices.html)
# A voice given a language it does not speak fails the <Say>.
SAY_LANGUAGES = {"en": "en-US", "zh": "cmn-CN"}
# <Gather language>: what the caller is expected to speak, from Twilio's list of speech
# recognition languages. Mandarin (Simplified, China) is "cmn-Hans-CN" there ("zh" is its
# older alias; "zh-CN" is not on the list: an unlisted value gets warning 13512):
#   https://www.twilio.com/docs/voice/twiml/gather#languagetags
# Twilio's TwiML definitions carry the same lists (twilio-node, src/twiml/VoiceResponse.ts:
# SayLanguage has "cmn-CN", SayVoice "Polly.Zhiyu", GatherLanguage "cmn-Hans-CN").
GATHER_LANGUAGES = {"en": "en-US", "zh": "cmn-Hans-CN"}


@dataclass(frozen=True)
class Voice:
    """How the gateway sounds on a call: the account's language and the policy's voice."""

    language: str = "en"
    tts_voice: Optional[str] = None  # e.g. Polly.Joanna; None: Twilio's default

    @property
    def say_language(self) -> str:
        return SAY_LANGUAGES.get(parser_language(self.language), SAY_LANGUAGES["en"])

    @property
    def gather_language(self) -> str:
        return GATHER_LANGUAGES.get(parser_language(self.language), GATHER_LANGUAGES["en"])


def _say(parent, texts: Iterable[str], voice: Voice) -> None:
    for text in texts:
        spoken = speakable(text, voice.language)
        if not spoken:
            continue
        options = {"language": voice.say_language}
        if voice.tts_voice:
            options["voice"] = voice.tts_voice
        parent.say(spoken, **options)


def _step_url(path: str, step: int) -> str:
    """An action URL naming the step that asked (server/voice/replay.py)."""
    return f"{path}?step={step}"


def ask(heard_first: Iterable[str], question: Iterable[str], prompt: Prompt, voice: Voice,
        timeout: int, step: int) -> str:
    """Says `heard_first` in full, then `question` inside a <Gather> the caller may
    interrupt (barge-in) with speech or keys. Twilio posts the answer, or its absence
    (actionOnEmptyResult), to the turn URL of this `step`; the <Redirect> after the
    <Gather> is reached only if a Gather ends without calling it, and reads as silence."""
    response = VoiceResponse()
    _say(response, heard_first, voice)
    action = _step_url(TURN_PATH, step)
    options = dict(
        input="dtmf speech", action=action, method="POST", language=voice.gather_language,
        speech_timeout="auto", timeout=timeout, barge_in=True, action_on_empty_result=True,
        hints=hints_for(prompt.expect, prompt.keys.values(), voice.language),
    )
    if prompt.num_digits:
        options["num_digits"] = prompt.num_digits
    if prompt.finish_on_key:
        options["finish_on_key"] = prompt.finish_on_key
    gather = response.gather(**options)
    _say(gather, question, voice)
    response.redirect(action, method="POST")
    return render(response)


def close(texts: Iterable[str], voice: Voice) -> str:
    """Says the texts, then hangs up."""
    response = VoiceResponse()
    _say(response, texts, voice)
    response.hangup()
    return render(response)


def transfer(texts: Iterable[str], voice: Voice, agent_phone: str, timeout: int,
             handoff_id: Optional[int], step: int) -> str:
    """Says the texts, then rings the agents' line. The agent first hears why the call
    comes (the whisper URL, run on the agent's leg before the two are connected); how the
    transfer ended comes to the dial URL."""
    response = VoiceResponse()
    _say(response, texts, voice)
    dial = Dial(action=_step_url(DIAL_PATH, step), method="POST", timeout=timeout)
    whisper = WHISPER_PATH if handoff_id is None else f"{WHISPER_PATH}?handoff={handoff_id}"
    dial.number(agent_phone, url=whisper, method="POST")
    response.append(dial)
    return render(response)


def voicemail(text: str, voice: Voice) -> str:
    """The limited-content message for an answering machine: a short pause after the
    beep, the message, then the call ends."""
    response = VoiceResponse()
    response.pause(length=1)
    _say(response, [text], voice)
    response.hangup()
    return render(response)


def whisper(text: str, voice: Voice) -> str:
    """What the agent hears before the borrower is connected."""
    response = VoiceResponse()
    _say(response, [text], voice)
    return render(response)


def hangup() -> str:
    response = VoiceResponse()
    response.hangup()
    return render(response)


def hold_on(path: str) -> str:
    """For a webhook's copy that came while the first is still being worked on: a short
    pause, then the same URL again, by when the first one's answer is kept."""
    response = VoiceResponse()
    response.pause(length=1)
    response.redirect(path, method="POST")
    return render(response)
