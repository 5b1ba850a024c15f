"""The inbox table on SQLite and on a real PostgreSQL: repeats counted, one decision per item."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, text

import store.db
from store import reviews
from store.models import ReviewItem, ReviewStatus


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path, postgres_url):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'reviews.db'}"
    engine = store.db.make_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("SELECT 1"))  # fails loudly when PostgreSQL is down
    engine.dispose()
    return postgres_url


def capture(text_: str, **changes) -> reviews.Capture:
    fields = dict(
        message_id=None, conversation_id=None, channel="sms", language="en", text=text_,
        normalised=text_.lower(), intent="greet", confidence=0.41, fell_back=False,
        alternatives=[{"intent": "affirm", "confidence": 0.3}], reason="low_confidence",
    )
    fields.update(changes)
    return reviews.Capture(**fields)


def test_repeats_are_counted_and_an_item_is_decided_once(store_url):
    store.db.connect(store_url)
    marker = f"store test {uuid.uuid4().hex}"
    try:
        with store.db.session_scope() as session:
            first = reviews.add(session, capture(marker))
            again = reviews.add(session, capture(marker.upper()))
            other = reviews.add(session, capture(marker + " other"))
            assert first.id == again.id and again.seen == 2 and other.id != first.id
            item_id = first.id
        with store.db.session_scope() as session:
            assert reviews.decide(session, item_id, "tom", ReviewStatus.DISCARDED)
        with store.db.session_scope() as session:
            assert not reviews.decide(session, item_id, "sue", ReviewStatus.APPROVED, intent="greet")
            item = session.get(ReviewItem, item_id)
            assert (item.status, item.reviewed_by, item.confidence) == ("discarded", "tom", 0.41)
            assert item.alternatives == [{"intent": "affirm", "confidence": 0.3}]
            # a decided sentence arriving again starts a new item
            fresh = reviews.add(session, capture(marker))
            assert fresh.id != item_id and fresh.seen == 1
    finally:
        with store.db.session_scope() as session:
            session.execute(delete(ReviewItem).where(ReviewItem.normalised.like(f"{marker}%"))
                            .execution_options(synchronize_session=False))
