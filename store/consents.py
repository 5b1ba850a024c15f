"""The consent ledger: who agreed to automated contact on which channel, and who took it back.

Per phone and channel, the latest event is the state: `sms` covers automated texts, `voice`
automated or AI-voice calls. Grants come with the accounts file (`consent_sms`,
`consent_voice`), `POST /api/consents`, or START; revocations from STOP keywords, a
plain-language opt-out, an agent, Twilio's 21610 error or the API. Rows are only added.
"""
from __future__ import annotations

import datetime as dt
from typing import Dict, Iterable, Optional, Set

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import ConsentEvent, utcnow
from store.types import iso_utc

CHANNELS = ("sms", "voice")
# How consent is revoked (any reasonable means counts; these are the ones the service sees).
REVOKED_BY = ("keyword", "plain_language", "agent", "carrier_21610", "api")


def record_consent(
    session: Session, phone: str, channel: str, granted: bool, *, source: str, recorded_by: str,
    at: Optional[dt.datetime] = None, account_id: Optional[str] = None,
) -> ConsentEvent:
    """Adds one grant or revocation (`at`: when the borrower gave or took it back)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    event = ConsentEvent(
        phone=phone, channel=channel, granted=granted, at=at or utcnow(), source=source[:40],
        account_id=account_id, recorded_by=recorded_by[:40],
    )
    session.add(event)
    return event


def revoke(session: Session, phone: str, channel: str, how: str, *, recorded_by: str,
           account_id: Optional[str] = None) -> ConsentEvent:
    return record_consent(session, phone, channel, False, source=how, recorded_by=recorded_by,
                          account_id=account_id)


def latest(session: Session, phone: str, channel: str) -> Optional[ConsentEvent]:
    return session.execute(
        select(ConsentEvent).where(ConsentEvent.phone == phone, ConsentEvent.channel == channel)
        .order_by(ConsentEvent.id.desc()).limit(1)
    ).scalars().first()


def consented_phones(session: Session, channel: str, phones: Optional[Iterable[str]] = None) -> Set[str]:
    """The phones whose latest event on `channel` is a grant."""
    newest = select(ConsentEvent.phone, func.max(ConsentEvent.id).label("id")).where(
        ConsentEvent.channel == channel
    )
    if phones is not None:
        newest = newest.where(ConsentEvent.phone.in_(list(phones)))
    newest = newest.group_by(ConsentEvent.phone).subquery()
    query = select(ConsentEvent.phone).join(newest, ConsentEvent.id == newest.c.id).where(
        ConsentEvent.granted.is_(True)
    )
    return set(session.execute(query).scalars())


def consent_state(session: Session, phone: str) -> Dict[str, Optional[dict]]:
    """Per channel: the latest event as a dict (None: nothing on record)."""
    state: Dict[str, Optional[dict]] = {}
    for channel in CHANNELS:
        event = latest(session, phone, channel)
        state[channel] = None if event is None else {
            "granted": event.granted, "at": iso_utc(event.at), "source": event.source,
        }
    return state
