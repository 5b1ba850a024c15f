"""The TwiML verbs, nouns and attributes Twilio documents, and a checker for documents.

Copied from Twilio's TwiML reference pages (read June 2026):
  https://www.twilio.com/docs/voice/twiml/gather     https://www.twilio.com/docs/voice/twiml/say
  https://www.twilio.com/docs/voice/twiml/dial       https://www.twilio.com/docs/voice/twiml/number
  https://www.twilio.com/docs/voice/twiml/hangup     https://www.twilio.com/docs/voice/twiml/redirect
  https://www.twilio.com/docs/voice/twiml/pause      https://www.twilio.com/docs/voice/twiml/enqueue
  https://www.twilio.com/docs/voice/twiml/say/text-speech   (each Polly voice and its language)
  https://www.twilio.com/docs/voice/twiml/gather#languagetags (speech recognition languages)
The language and voice lists are the part of Twilio's lists the gateway may use; Twilio's
TwiML definitions hold the full ones (twilio-node src/twiml/VoiceResponse.ts: SayLanguage,
SayVoice, GatherLanguage).
twilio-python accepts any keyword as an attribute, so the library alone proves nothing:
a misspelt attribute would reach Twilio and be ignored (or fail the call).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Callable, Dict, FrozenSet, List

URL = re.compile(r"^(https?://[^\s]+|/[^\s]*)$")  # absolute, or relative to the document
METHODS = {"GET", "POST"}
BOOLEAN = {"true", "false"}


def positive_int(value: str) -> bool:
    return value.isdigit() and int(value) > 0


# <Say voice> -> the <Say language> values it speaks (text-to-speech page: "Amazon Polly
# voices and languages"; man and woman are Twilio's basic voices, English here). A voice
# given a language it does not speak fails the <Say>, so the pair is checked too.
SAY_VOICES: Dict[str, FrozenSet[str]] = {
    "man": frozenset({"en-US"}),
    "woman": frozenset({"en-US"}),
    "Polly.Joanna": frozenset({"en-US"}),
    "Polly.Joanna-Neural": frozenset({"en-US"}),
    "Polly.Matthew": frozenset({"en-US"}),
    "Polly.Salli": frozenset({"en-US"}),
    "Polly.Zhiyu": frozenset({"cmn-CN"}),  # Chinese Mandarin
    "Polly.Zhiyu-Neural": frozenset({"cmn-CN"}),
}
SAY_LANGUAGES = frozenset().union(*SAY_VOICES.values())
# <Gather language>: BCP-47 tags from the speech recognition list. Mandarin (Simplified,
# China) is cmn-Hans-CN, with zh as its older alias; "zh-CN" is not on the list.
GATHER_LANGUAGES = frozenset({"en-US", "en-GB", "cmn-Hans-CN", "zh"})


# verb or noun -> attribute -> check of its value
ATTRIBUTES: Dict[str, Dict[str, Callable[[str], bool]]] = {
    "Response": {},
    "Say": {
        "voice": SAY_VOICES.__contains__,
        "language": SAY_LANGUAGES.__contains__,
        "loop": lambda v: v.isdigit(),
    },
    "Gather": {
        "action": URL.match,
        "actionOnEmptyResult": BOOLEAN.__contains__,
        "bargeIn": BOOLEAN.__contains__,
        "debug": BOOLEAN.__contains__,
        "enhanced": BOOLEAN.__contains__,
        "finishOnKey": lambda v: v == "" or bool(re.match(r"^[0-9#*]$", v)),
        "hints": lambda v: all(len(p.strip()) <= 100 for p in v.split(",")),
        "input": {"dtmf", "speech", "dtmf speech", "speech dtmf"}.__contains__,
        "language": GATHER_LANGUAGES.__contains__,
        "method": METHODS.__contains__,
        "numDigits": positive_int,
        "partialResultCallback": URL.match,
        "partialResultCallbackMethod": METHODS.__contains__,
        "profanityFilter": BOOLEAN.__contains__,
        "speechModel": lambda v: bool(v),
        "speechTimeout": lambda v: v == "auto" or positive_int(v),
        "timeout": positive_int,
    },
    "Dial": {
        "action": URL.match,
        "answerOnBridge": BOOLEAN.__contains__,
        "callerId": lambda v: bool(v),
        "hangupOnStar": BOOLEAN.__contains__,
        "method": METHODS.__contains__,
        "record": {"do-not-record", "record-from-answer", "record-from-ringing",
                   "record-from-answer-dual", "record-from-ringing-dual"}.__contains__,
        "recordingStatusCallback": URL.match,
        "recordingStatusCallbackEvent": lambda v: set(v.split()) <= {"in-progress", "completed", "absent"},
        "recordingStatusCallbackMethod": METHODS.__contains__,
        "recordingTrack": {"both", "inbound", "outbound"}.__contains__,
        "ringTone": lambda v: bool(v),
        "timeLimit": positive_int,
        "timeout": positive_int,
        "trim": {"trim-silence", "do-not-trim"}.__contains__,
    },
    "Number": {
        "sendDigits": lambda v: bool(re.match(r"^[0-9w#*]+$", v)),
        "url": URL.match,
        "method": METHODS.__contains__,
        "byoc": lambda v: bool(v),
        "statusCallbackEvent": lambda v: set(v.split()) <= {"initiated", "ringing", "answered", "completed"},
        "statusCallback": URL.match,
        "statusCallbackMethod": METHODS.__contains__,
        "machineDetection": {"Enable", "DetectMessageEnd"}.__contains__,
        "machineDetectionTimeout": positive_int,
        "machineDetectionSpeechThreshold": positive_int,
        "machineDetectionSpeechEndThreshold": positive_int,
        "machineDetectionSilenceTimeout": positive_int,
        "amdStatusCallback": URL.match,
        "amdStatusCallbackMethod": METHODS.__contains__,
    },
    "Hangup": {},
    "Redirect": {"method": METHODS.__contains__},
    "Pause": {"length": positive_int},
    "Enqueue": {
        "action": URL.match,
        "method": METHODS.__contains__,
        "waitUrl": URL.match,
        "waitUrlMethod": METHODS.__contains__,
        "workflowSid": lambda v: bool(v),
    },
}
# What may be nested where (the verbs a <Response> holds; Gather nests Say, Play, Pause).
CHILDREN: Dict[str, FrozenSet[str]] = {
    "Response": frozenset({"Say", "Gather", "Dial", "Hangup", "Redirect", "Pause", "Enqueue",
                           "Play", "Reject", "Record", "Leave", "Connect"}),
    "Gather": frozenset({"Say", "Play", "Pause"}),
    "Dial": frozenset({"Number", "Client", "Conference", "Queue", "Sip", "Application"}),
    "Say": frozenset(),  # SSML elements would go here; the gateway sends plain text
    "Number": frozenset(),
    "Hangup": frozenset(),
    "Redirect": frozenset(),
    "Pause": frozenset(),
    "Enqueue": frozenset({"Task"}),
}
# Text content a verb needs (or must not have).
NEEDS_TEXT = {"Say", "Number", "Redirect"}
NO_TEXT = {"Hangup", "Pause", "Gather", "Response"}


def problems(twiml: str) -> List[str]:
    """Everything in a TwiML document Twilio does not document; [] when it is clean."""
    try:
        root = ET.fromstring(twiml)
    except ET.ParseError as exc:
        return [f"not XML: {exc}"]
    if root.tag != "Response":
        return [f"root is <{root.tag}>, not <Response>"]
    found: List[str] = []

    def visit(element: ET.Element) -> None:
        tag = element.tag
        checks = ATTRIBUTES.get(tag)
        if checks is None:
            found.append(f"<{tag}> is not a verb or noun the gateway may use")
            return
        for name, value in element.attrib.items():
            if name not in checks:
                found.append(f"<{tag} {name}>: not a documented attribute")
            elif not checks[name](value):
                found.append(f"<{tag} {name}={value!r}>: not a documented value")
        voice, language = element.get("voice"), element.get("language")
        if tag == "Say" and voice in SAY_VOICES and language and language not in SAY_VOICES[voice]:
            found.append(f"<Say voice={voice!r}> does not speak language={language!r}")
        text = (element.text or "").strip()
        if tag in NEEDS_TEXT and not text:
            found.append(f"<{tag}> has no text")
        if tag in NO_TEXT and text:
            found.append(f"<{tag}> has text {text!r}")
        for child in element:
            if child.tag not in CHILDREN.get(tag, frozenset()):
                found.append(f"<{child.tag}> may not be nested in <{tag}>")
            visit(child)

    visit(root)
    return found
