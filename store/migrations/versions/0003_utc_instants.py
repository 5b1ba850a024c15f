"""Instants as timestamp with time zone on PostgreSQL (store/types.py UTCDateTime). The
values were UTC wall times: AT TIME ZONE 'UTC' keeps each one the same instant. SQLite,
which has no zones, keeps its UTC wall times as they are.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    ('accounts', 'created_at'),
    ('accounts', 'updated_at'),
    ('agents', 'created_at'),
    ('agents', 'updated_at'),
    ('audit_events', 'at'),
    ('call_webhook_replies', 'created_at'),
    ('consent_events', 'at'),
    ('consent_events', 'recorded_at'),
    ('contact_preferences', 'updated_at'),
    ('outbox', 'created_at'),
    ('console_sessions', 'created_at'),
    ('console_sessions', 'last_seen_at'),
    ('contact_attempts', 'not_before'),
    ('contact_attempts', 'expires_at'),
    ('contact_attempts', 'enqueued_at'),
    ('contact_attempts', 'claimed_at'),
    ('contact_attempts', 'sent_at'),
    ('contact_attempts', 'created_at'),
    ('contact_attempts', 'updated_at'),
    ('conversations', 'started_at'),
    ('conversations', 'last_activity_at'),
    ('conversations', 'closed_at'),
    ('experiment_assignments', 'assigned_at'),
    ('inconvenient_times', 'created_at'),
    ('payments', 'created_at'),
    ('feedback', 'asked_at'),
    ('feedback', 'answered_at'),
    ('handoffs', 'queued_at'),
    ('handoffs', 'claimed_at'),
    ('handoffs', 'closed_at'),
    ('identity_locks', 'locked_at'),
    ('identity_locks', 'locked_until'),
    ('messages', 'created_at'),
    ('messages', 'updated_at'),
    ('outcomes', 'created_at'),
    ('pending_identity_questions', 'asked_at'),
    ('voice_calls', 'created_at'),
    ('voice_calls', 'answered_at'),
    ('voice_calls', 'ended_at'),
    ('approval_requests', 'decided_at'),
    ('approval_requests', 'created_at'),
    ('arrangements', 'agreed_at'),
    ('arrangements', 'status_changed_at'),
    ('arrangements', 'created_at'),
    ('held_identity_answers', 'created_at'),
    ('identity_checks', 'at'),
    ('nlu_review_items', 'reviewed_at'),
    ('nlu_review_items', 'created_at'),
    ('nlu_review_items', 'last_seen_at'),
    ('arrangement_instalments', 'settled_at'),
)


def _alter(to: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE {to}'
                   f" USING \"{column}\" AT TIME ZONE 'UTC'")


def upgrade() -> None:
    _alter("TIMESTAMP WITH TIME ZONE")


def downgrade() -> None:
    _alter("TIMESTAMP WITHOUT TIME ZONE")
