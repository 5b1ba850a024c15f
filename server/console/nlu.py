"""The trainers' NLU inbox in the console: review what borrowers wrote, approve it as a
training example (confirmed or corrected intent, entities marked) or discard it.

    /console/nlu/                          the inbox (trainers and supervisors)
    /console/nlu/conversations/<id>        a conversation, redacted, for context
    /console/api/nlu/inbox                 the JSON the inbox page reads
    /console/api/nlu/items/<id>/approve    {"intent", "text", "entities": [{start, end, entity}]}
    /console/api/nlu/items/<id>/discard

Trainers never see personal data: inbox items were redacted when they were captured,
and a conversation opened from the inbox is redacted the same way as it is shown (the
account holder's names, phones, cards, IDs, birth dates, e-mails). Approving writes the
example into the NLU data (bot/annotation.py, in NLU_DATA_DIR) and decides the item in
one transaction (server/nlu_review.approve), so two trainers never both approve one
item; every decision and every conversation opened is in the audit trail, without text.
"""
from __future__ import annotations

from pathlib import Path
from typing import List

from flask import jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import select

from bot.annotation import AnnotationRefused, Entity, NluData, display_path, taxonomy
from language.redaction import redact, stand_in
from server import services
from server.api.input import request_json
from server.console import bp
from server.console.auth import trainer_access
from server.console.present import iso
from server.console.views import Refused
from server.conversation.nlu_review import NotPending, approve, discard, training_data
from store import reviews
from store.db import session_scope
from store.models import AuditEvent, Conversation, Message, ReviewItem, ReviewReason, ReviewStatus
from store.outcomes import audit

REASON_LABELS = {
    ReviewReason.FALLBACK: "Fell back",
    ReviewReason.LOW_CONFIDENCE: "Low confidence",
    ReviewReason.SAMPLE: "Sample",
}
PAGE_SIZE = 100


def nlu_data() -> NluData:
    """The English data: the taxonomy and files the console lists (every language has the
    same intents; approving writes into the item's language, server/nlu_review.approve)."""
    return training_data(Path(services().settings.nlu_data_dir), "en")


def item_entry(item: ReviewItem) -> dict:
    return {
        "id": item.id,
        "text": item.text,
        "suggestion": stand_in(item.text),
        "intent": item.intent,
        "confidence": round(item.confidence or 0.0, 4),
        "fell_back": item.fell_back,
        "alternatives": item.alternatives or [],
        "reason": item.reason,
        "reason_label": REASON_LABELS.get(item.reason, item.reason),
        "seen": item.seen,
        "channel": item.channel,
        "language": item.language,
        "status": item.status,
        "conversation_url": (
            f"/console/nlu/conversations/{item.conversation_id}" if item.conversation_id else None
        ),
        "created_at": iso(item.created_at),
        "reviewed_by": item.reviewed_by,
        "reviewed_at": iso(item.reviewed_at),
        "decided_intent": item.decided_intent,
        "example": item.example,
        "written_to": item.written_to,
    }


def _entities(raw) -> List[Entity]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise Refused(400, "entities must be a list")
    entities = []
    for entry in raw:
        try:
            entities.append(Entity(int(entry["start"]), int(entry["end"]), str(entry["entity"])))
        except (KeyError, TypeError, ValueError):
            raise Refused(400, "each entity needs start, end and entity") from None
    return entities


# --- pages -------------------------------------------------------------------------------


@bp.get("/nlu/")
@trainer_access
def nlu_inbox_page():
    return render_template("console/nlu_inbox.html")


@bp.get("/nlu/conversations/<conversation_id>")
@trainer_access
def nlu_conversation_page(conversation_id: str):
    with session_scope() as db:
        conversation = db.get(Conversation, conversation_id)
        if conversation is None:
            raise Refused(404, "no such conversation")
        names, _ = reviews.borrower_facts(db, conversation_id)
        by_agent = {
            event.details.get("message_id")
            for event in db.execute(select(AuditEvent).where(
                AuditEvent.conversation_id == conversation_id, AuditEvent.action == "reply"
            )).scalars()
        }
        captured = set(db.execute(
            select(ReviewItem.message_id).where(ReviewItem.conversation_id == conversation_id)
        ).scalars())
        messages = [
            {
                "who": "borrower" if m.direction == "in" else ("agent" if m.id in by_agent else "bot"),
                "text": redact(m.body, names),
                "at": iso(m.created_at),
                "captured": m.id in captured,
            }
            for m in db.execute(
                select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
            ).scalars()
        ]
        channel = conversation.channel
        audit(db, current_user.actor, "nlu_view_conversation", conversation_id=conversation_id)
    return render_template(
        "console/nlu_conversation.html", messages=messages, channel=channel,
        conversation_id=conversation_id,
    )


# --- the JSON API ------------------------------------------------------------------------


@bp.get("/api/nlu/inbox")
@trainer_access
def nlu_inbox_api():
    reason = request.args.get("reason") or None
    data = nlu_data()
    intents, entity_names = taxonomy(data.domain)
    files = {intent: display_path(path) for intent, path in data.intent_files().items()}
    with session_scope() as db:
        pending = [item_entry(i) for i in reviews.listing(db, ReviewStatus.PENDING, reason, PAGE_SIZE)]
        reviewed = [
            item_entry(i)
            for status in (ReviewStatus.APPROVED, ReviewStatus.DISCARDED)
            for i in reviews.listing(db, status, None, 20)
        ]
        counts = reviews.counts(db)
    reviewed.sort(key=lambda entry: entry["reviewed_at"] or "", reverse=True)
    return jsonify({
        "me": {"username": current_user.username, "role": current_user.role},
        "pending": pending,
        "reviewed": reviewed[:20],
        "counts": counts,
        "intents": [{"name": name, "file": files.get(name)} for name in intents],
        "entities": entity_names,
        "data_dir": display_path(data.data_dir),
    })


@bp.post("/api/nlu/items/<int:item_id>/approve")
@trainer_access
def nlu_approve(item_id: int):
    form = request_json("expected a JSON object", required=False)
    form = form if isinstance(form, dict) else {}
    intent = str(form.get("intent") or "").strip()
    if not intent:
        raise Refused(400, "choose an intent")
    try:
        written = approve(
            item_id, current_user.username, current_user.actor, intent,
            str(form.get("text") or ""), _entities(form.get("entities")),
            Path(services().settings.nlu_data_dir),
        )
    except NotPending as exc:
        raise Refused(409, str(exc)) from None
    except AnnotationRefused as exc:
        raise Refused(422, str(exc)) from None
    message = (
        f"Already in {written.where()}: nothing written."
        if written.already_present else f"Written to {written.where()}."
    )
    return jsonify({
        "item": _entry(item_id),
        "written": {
            "file": display_path(written.file), "line": written.line,
            "example": written.example, "already_present": written.already_present,
            "message": message,
        },
    }), 201


@bp.post("/api/nlu/items/<int:item_id>/discard")
@trainer_access
def nlu_discard(item_id: int):
    try:
        discard(item_id, current_user.username, current_user.actor)
    except NotPending as exc:
        raise Refused(409, str(exc)) from None
    return jsonify({"item": _entry(item_id)})


def _entry(item_id: int) -> dict:
    with session_scope() as db:
        return item_entry(db.get(ReviewItem, item_id))
