"""The compliance gate: may we contact this borrower on this channel at this instant?

Every outbound attempt passes `check()` at the moment it is sent, whoever started it
(a campaign, a promise follow-up, an agent). It is a pure function of what it is given:
the account's facts (its state, breathing space, a vulnerability flag), the channel, the
instant, the contact history, the jurisdiction profile and the borrower's own preferences.
It answers `Allowed` or `Blocked(rule, reason, retry_at)`, where `retry_at` is the earliest
instant every time-based rule would allow (None: no waiting helps, e.g. an opt-out or a
dispute).

Days and hours are the borrower's own: contact hours, "per day" and "in 7 days" are
read in the account's time zone, daylight saving included.

What is being sent matters (`kind`):
- AUTOMATED: contact the service starts by itself (a campaign text, a call in the
  assistant's voice). It needs the consent the profile asks for, and texts count
  against the SMS caps.
- AGENT: a person's own text or call, not an answer: contact hours, states and
  opt-outs apply; no automated-contact consent, no SMS cap.
- REPLY: an answer in a conversation the borrower started (the bot's answer sent late,
  an agent's reply, the hand-back notice, a text the caller asked for). No consent
  needed beyond their own message, never counted; outside contact hours only within
  the profile's `reply_window_minutes` of the borrower's latest message.

What the borrower agreed or is going through (lending/arrangements.py) stops contact too:
- breathing space: no AUTOMATED and no AGENT contact from its first through its last day
  (their local days); a REPLY in the borrower's own conversation still goes.
- a borrower flagged vulnerable, where the policy leaves them out of automated contact
  (`vulnerability.exclude_from_campaigns`): no AUTOMATED contact at all; people (AGENT)
  and answers (REPLY) still reach them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import FrozenSet, Iterable, List, Optional, Sequence, Tuple, Union
from zoneinfo import ZoneInfo

from lending.policy import Jurisdiction

UTC = dt.timezone.utc
CHANNELS = ("sms", "voice")
AUTOMATED, AGENT, REPLY = "automated", "agent", "reply"
KINDS = (AUTOMATED, AGENT, REPLY)
_NEVER = None  # a Blocked.retry_at saying that waiting does not help


class Rule:
    """Names of the rules, as reports and the attempts table show them."""

    ACCOUNT_DISPUTED = "account_disputed"
    ACCOUNT_LEGAL = "account_legal"
    WRONG_NUMBER = "wrong_number"
    ACCOUNT_PAID = "account_paid"
    ACCOUNT_PAUSED = "account_paused"
    OPTED_OUT = "opted_out"
    CONTACT_HOURS = "contact_hours"
    INCONVENIENT_TIME = "inconvenient_time"
    CALLBACK_REQUESTED = "callback_requested"
    CALLS_PER_7_DAYS = "calls_per_7_days"
    QUIET_AFTER_CONVERSATION = "quiet_after_conversation"
    CONNECTED_CALLS_PER_DAY = "connected_calls_per_day"
    UNANSWERED_CALLS_PER_DAY = "unanswered_calls_per_day"
    SMS_PER_DAY = "sms_per_day"
    SMS_PER_7_DAYS = "sms_per_7_days"
    NO_CONSENT = "no_consent"
    VULNERABLE = "vulnerable"
    BREATHING_SPACE = "breathing_space"


# Account states (store.models.AccountStatus values) that stop all contact.
_STATES = {
    "disputed": (Rule.ACCOUNT_DISPUTED, "the account is disputed: collection waits for a person"),
    "legal": (Rule.ACCOUNT_LEGAL, "attorney or bankruptcy: contact goes through the lender's people"),
    "wrong_number": (Rule.WRONG_NUMBER, "the phone does not reach the borrower"),
    "paid": (Rule.ACCOUNT_PAID, "the account is paid"),
}
ACTIVE = "active"


@dataclass(frozen=True)
class Borrower:
    """The facts of an account the gate needs (no name, no identity facts).

    `breathing_space_until`: the last local day of breathing space now running.
    `vulnerable`: the account's flag; `exclude_vulnerable` is the policy's switch
    (vulnerability.exclude_from_campaigns), given here so the gate stays a pure function."""

    account_id: str
    phone: str
    timezone: str
    status: str = ACTIVE
    breathing_space_until: Optional[dt.date] = None
    vulnerable: bool = False
    exclude_vulnerable: bool = True


@dataclass(frozen=True)
class Contact:
    """One past contact. `at` is an aware instant.

    Voice: `answered` is True once the call connected, False when it did not, None while
    nobody knows yet (counted as unanswered); `conversation` is True when the call was
    a conversation with the borrower (US: it starts the quiet period). `by_borrower`
    marks contact the borrower started, which never counts against a cap. SMS: only
    automated texts are given (the SMS caps count them)."""

    at: dt.datetime
    channel: str
    account_id: Optional[str]
    phone: str
    answered: Optional[bool] = None
    conversation: bool = False
    by_borrower: bool = False


@dataclass(frozen=True)
class Window:
    """A weekly time the borrower said is inconvenient, in their local time.
    weekdays: 0 = Monday ... 6 = Sunday."""

    weekdays: FrozenSet[int]
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class CallbackRequest:
    """"Call me back on Friday": no outbound contact before that day (and time)."""

    requested_at: dt.datetime
    on: dt.date
    at: Optional[dt.time] = None


@dataclass(frozen=True)
class Preferences:
    opted_out: FrozenSet[str] = frozenset()  # channels this phone opted out of
    consented: FrozenSet[str] = frozenset()  # channels with consent to automated contact on record
    inconvenient: Tuple[Window, ...] = ()
    callbacks: Tuple[CallbackRequest, ...] = ()


NO_PREFERENCES = Preferences()


@dataclass(frozen=True)
class Allowed:
    allowed = True

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True)
class Blocked:
    rule: str
    reason: str
    retry_at: Optional[dt.datetime] = field(default=None)
    allowed = False

    def __bool__(self) -> bool:
        return False


Decision = Union[Allowed, Blocked]
ALLOWED = Allowed()


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_start(day: dt.date, clock: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of `clock` on local `day`. A local time that does not exist
    (the hour skipped when clocks go forward) resolves to the same wall time in the
    offset before the change, i.e. a moment after the skipped hour."""
    return dt.datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Request:
    """What is being sent: `kind` (AUTOMATED, AGENT, REPLY) and, for a REPLY, when the
    borrower's latest message arrived."""

    kind: str = AUTOMATED
    replying_to: Optional[dt.datetime] = None


AUTOMATED_CONTACT = Request()


def check(
    borrower: Borrower,
    channel: str,
    at: dt.datetime,
    history: Sequence[Contact],
    profile: Jurisdiction,
    preferences: Preferences = NO_PREFERENCES,
    request: Request = AUTOMATED_CONTACT,
) -> Decision:
    """Allowed, or Blocked by the first rule broken, with the earliest instant that
    passes every time-based rule (None when only a person or the borrower can lift it)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if request.kind not in KINDS:
        raise ValueError(f"unknown kind of contact {request.kind!r}")
    if at.tzinfo is None:
        raise ValueError("`at` must be an aware datetime")
    if channel == "voice":
        counted = _counted_calls(borrower, channel, history, profile)
    else:  # automated texts about this account (the SMS caps count per account)
        counted = [c for c in history if c.channel == "sms" and c.account_id == borrower.account_id
                   and not c.by_borrower]
    first = _first_block(borrower, channel, at, counted, profile, preferences, request)
    if first is None:
        return ALLOWED
    retry = first.retry_at
    # A time that passes one rule may fall foul of another (e.g. the day after a full
    # 7-day cap starts at midnight, before contact hours): walk forward until all pass.
    for _ in range(32):
        if retry is None:
            break
        later = _first_block(borrower, channel, retry, counted, profile, preferences, request)
        if later is None:
            break
        if later.retry_at is None:
            retry = None
            break
        retry = max(later.retry_at, retry + dt.timedelta(minutes=1))
    else:
        retry = None
    return Blocked(first.rule, first.reason, retry)


def _first_block(
    borrower: Borrower, channel: str, at: dt.datetime, counted: List[Contact],
    profile: Jurisdiction, preferences: Preferences, request: Request,
) -> Optional[Blocked]:
    state = _account_state(borrower)
    if state is not None:
        return state
    if channel in preferences.opted_out:
        return Blocked(Rule.OPTED_OUT, f"the borrower opted out of {channel}", _NEVER)
    tz = zone(borrower.timezone)
    local = at.astimezone(tz)
    arranged = _arrangement_holds(borrower, local, tz, profile, request)
    if arranged is not None:
        return arranged
    if (request.kind == AUTOMATED and profile.consent.required(channel)
            and channel not in preferences.consented):
        what = "automated texts" if channel == "sms" else "automated or AI-voice calls"
        return Blocked(Rule.NO_CONSENT, f"no consent to {what} on record for this number", _NEVER)
    if request.kind == REPLY:
        # The borrower's own conversation: a callback they asked for does not stop an
        # answer, and a fresh message may be answered outside hours where the profile says.
        window = dt.timedelta(minutes=profile.reply_window_minutes)
        if window and request.replying_to is not None and at - request.replying_to <= window:
            return None
        rules = (_contact_hours, _inconvenient_time)
    else:
        rules = (_contact_hours, _inconvenient_time, _callback_requested)
    for rule in rules:
        blocked = rule(local, tz, at, profile, preferences)
        if blocked is not None:
            return blocked
    if request.kind == REPLY:
        return None
    if channel == "voice":
        return _call_frequency(local, tz, counted, profile)
    if request.kind == AUTOMATED:
        return _sms_frequency(local, tz, counted, profile)
    return None


def _account_state(borrower: Borrower) -> Optional[Blocked]:
    if borrower.status == ACTIVE:
        return None
    rule, reason = _STATES.get(
        borrower.status, (Rule.ACCOUNT_PAUSED, f"collection on the account is paused ({borrower.status})")
    )
    return Blocked(rule, reason, _NEVER)


def _arrangement_holds(
    borrower: Borrower, local: dt.datetime, tz: ZoneInfo, profile: Jurisdiction, request: Request,
) -> Optional[Blocked]:
    """Vulnerability and breathing space: what the borrower is going through, not the clock.
    The borrower's own conversation (REPLY) is never held by them."""
    if request.kind == REPLY:
        return None
    if request.kind == AUTOMATED and borrower.vulnerable and borrower.exclude_vulnerable:
        return Blocked(Rule.VULNERABLE, "the borrower is flagged vulnerable: people contact them, "
                       "not automated campaigns", _NEVER)
    until = borrower.breathing_space_until
    if until is not None and local.date() <= until:
        # Contact may start again on the day after, once contact hours open there.
        return Blocked(Rule.BREATHING_SPACE, f"breathing space until {until.isoformat()}: no contact",
                       local_start(until + dt.timedelta(days=1), profile.contact_hours.start, tz))
    return None


def _contact_hours(local: dt.datetime, tz, at, profile: Jurisdiction, preferences) -> Optional[Blocked]:
    hours = profile.contact_hours
    clock = local.time().replace(tzinfo=None)
    if hours.start <= clock < hours.end:
        return None
    day = local.date() if clock < hours.start else local.date() + dt.timedelta(days=1)
    return Blocked(
        Rule.CONTACT_HOURS,
        f"outside contact hours {hours.start:%H:%M}-{hours.end:%H:%M} in the borrower's time zone",
        local_start(day, hours.start, tz),
    )


def _inconvenient_time(local: dt.datetime, tz, at, profile, preferences: Preferences) -> Optional[Blocked]:
    clock = local.time().replace(tzinfo=None)
    for window in preferences.inconvenient:
        if local.weekday() in window.weekdays and window.start <= clock < window.end:
            return Blocked(
                Rule.INCONVENIENT_TIME,
                f"the borrower said {window.start:%H:%M}-{window.end:%H:%M} is inconvenient",
                local_start(local.date(), window.end, tz),
            )
    return None


def _callback_requested(local: dt.datetime, tz, at: dt.datetime, profile, preferences: Preferences):
    requests = [r for r in preferences.callbacks if r.requested_at <= at]
    if not requests:
        return None
    latest = max(requests, key=lambda r: r.requested_at)  # a newer request replaces older ones
    clock = latest.at or profile.contact_hours.start
    when = local_start(latest.on, clock, tz)
    if at >= when:
        return None
    return Blocked(
        Rule.CALLBACK_REQUESTED,
        f"the borrower asked to be contacted on {latest.on.isoformat()}"
        + (f" at {latest.at:%H:%M}" if latest.at else ""),
        when,
    )


def _counted_calls(
    borrower: Borrower, channel: str, history: Iterable[Contact], profile: Jurisdiction
) -> List[Contact]:
    """Calls about this debt (or to this number, as the profile says); borrower-started
    calls are kept only as conversations, never as attempts."""
    if channel != "voice":
        return []
    per_number = profile.frequency.calls_counted_per == "number"
    return [
        c for c in history
        if c.channel == "voice"
        and (c.phone == borrower.phone if per_number else c.account_id == borrower.account_id)
    ]


def _sms_frequency(
    local: dt.datetime, tz: ZoneInfo, texts: List[Contact], profile: Jurisdiction
) -> Optional[Blocked]:
    """Automated texts per account: per day and per 7 days, in the borrower's days."""
    caps = profile.frequency
    today = local.date()
    at = local.astimezone(UTC)
    days = [c.at.astimezone(tz).date() for c in texts if c.at <= at]
    if caps.sms_per_7_days:
        blocked = _seven_day_cap(today, tz, days, caps.sms_per_7_days, Rule.SMS_PER_7_DAYS, "automated texts")
        if blocked is not None:
            return blocked
    if caps.sms_per_day:
        sent = sum(1 for d in days if d == today)
        if sent >= caps.sms_per_day:
            return Blocked(
                Rule.SMS_PER_DAY, f"{sent} automated texts today (at most {caps.sms_per_day})",
                local_start(today + dt.timedelta(days=1), dt.time(0), tz),
            )
    return None


def _seven_day_cap(
    today: dt.date, tz: ZoneInfo, days: List[dt.date], cap: int, rule: str, what: str
) -> Optional[Blocked]:
    """Blocked while the last 7 days (today included) hold `cap` or more of `days`, until
    the first day the window holds fewer."""
    first_day = today - dt.timedelta(days=6)
    recent = [d for d in days if d >= first_day]
    if len(recent) < cap:
        return None
    for ahead in range(1, 8):
        window_start = first_day + dt.timedelta(days=ahead)
        if sum(1 for d in recent if d >= window_start) < cap:
            break
    return Blocked(
        rule, f"{len(recent)} {what} in the last 7 days (at most {cap})",
        local_start(today + dt.timedelta(days=ahead), dt.time(0), tz),
    )


def _call_frequency(
    local: dt.datetime, tz: ZoneInfo, calls: List[Contact], profile: Jurisdiction
) -> Optional[Blocked]:
    caps = profile.frequency
    today = local.date()
    at = local.astimezone(UTC)
    past = [c for c in calls if c.at <= at]

    def day_of(contact: Contact) -> dt.date:
        return contact.at.astimezone(tz).date()

    if caps.quiet_days_after_conversation:
        talks = [day_of(c) for c in past if c.conversation]
        if talks:
            last = max(talks)
            # The day of the conversation is the first day of the quiet period.
            free = last + dt.timedelta(days=caps.quiet_days_after_conversation)
            if today < free:
                return Blocked(
                    Rule.QUIET_AFTER_CONVERSATION,
                    f"a phone conversation took place on {last.isoformat()}: no call for "
                    f"{caps.quiet_days_after_conversation} days",
                    local_start(free, dt.time(0), tz),
                )
    placed = [day_of(c) for c in past if not c.by_borrower]
    if caps.call_attempts_per_7_days:
        blocked = _seven_day_cap(today, tz, placed, caps.call_attempts_per_7_days,
                                 Rule.CALLS_PER_7_DAYS, "calls")
        if blocked is not None:
            return blocked
    tomorrow = local_start(today + dt.timedelta(days=1), dt.time(0), tz)
    todays = [c for c in past if not c.by_borrower and day_of(c) == today]
    if caps.connected_calls_per_day:
        connected = sum(1 for c in todays if c.answered)
        if connected >= caps.connected_calls_per_day:
            return Blocked(
                Rule.CONNECTED_CALLS_PER_DAY,
                f"{connected} connected calls today (at most {caps.connected_calls_per_day})",
                tomorrow,
            )
    if caps.unanswered_attempts_per_day:
        unanswered = sum(1 for c in todays if not c.answered)
        if unanswered >= caps.unanswered_attempts_per_day:
            return Blocked(
                Rule.UNANSWERED_CALLS_PER_DAY,
                f"{unanswered} unanswered calls today (at most {caps.unanswered_attempts_per_day})",
                tomorrow,
            )
    return None
