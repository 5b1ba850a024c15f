"""CHECK constraints on the columns that hold one of a fixed set of values (statuses,
kinds, roles): the values as store/models.py listed them when this revision was written.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CHECKS = (
    ('accounts', 'status', "status IN ('active', 'disputed', 'legal', 'paid', 'wrong_number')"),
    ('agents', 'role', "role IN ('agent', 'analyst', 'supervisor', 'trainer')"),
    ('contact_attempts', 'state', "state IN ('blocked', 'cancelled', 'failed', 'in_doubt', 'scheduled', 'sending', 'sent')"),
    ('feedback', 'status', "status IN ('answered', 'asked', 'not_sent', 'passed')"),
    ('handoffs', 'resolution', "resolution IN ('closed', 'handed_back')"),
    ('handoffs', 'status', "status IN ('claimed', 'closed', 'queued')"),
    ('outcomes', 'kind', "kind IN ('already_paid', 'callback', 'deferral', 'dispute', 'escalation', 'hardship', 'identity_failed', 'legal', 'opt_in', 'opt_out', 'payment_link', 'plan', 'promise', 'relief', 'verified', 'wrong_number')"),
    ('pending_identity_questions', 'question', "question IN ('birth_date', 'id_last4')"),
    ('voice_calls', 'outcome', "outcome IN ('busy', 'canceled', 'completed', 'failed', 'no_answer', 'voicemail')"),
    ('approval_requests', 'status', "status IN ('approved', 'pending', 'rejected')"),
    ('arrangements', 'kind', "kind IN ('breathing_space', 'deferral', 'fee_waiver', 'plan', 'promise', 'reduced_plan')"),
    ('arrangements', 'status', "status IN ('active', 'broken', 'cancelled', 'completed')"),
    ('identity_checks', 'question', "question IN ('birth_date', 'both', 'id_last4')"),
    ('nlu_review_items', 'reason', "reason IN ('fallback', 'low_confidence', 'sample')"),
    ('nlu_review_items', 'status', "status IN ('approved', 'discarded', 'pending')"),
    ('arrangement_instalments', 'status', "status IN ('cancelled', 'due', 'missed', 'paid', 'part_paid')"),
)


def _by_table():
    tables = {}
    for table, column, condition in CHECKS:
        tables.setdefault(table, []).append((f"ck_{table}_{column}", condition))
    return tables


def upgrade() -> None:
    for table, checks in _by_table().items():
        with op.batch_alter_table(table) as batch:
            for name, condition in checks:
                batch.create_check_constraint(name, condition)
    if op.get_bind().dialect.name == "sqlite":
        _restore_partial_index()


def downgrade() -> None:
    for table, checks in _by_table().items():
        with op.batch_alter_table(table) as batch:
            for name, _ in checks:
                batch.drop_constraint(name, type_="check")
    if op.get_bind().dialect.name == "sqlite":
        _restore_partial_index()


def _restore_partial_index() -> None:
    # SQLite copies a table to change it, and the copy's indexes come from reflection,
    # which loses the WHERE of a partial index: at most one open handoff per conversation.
    op.drop_index("uq_handoffs_open_conversation", table_name="handoffs")
    op.create_index("uq_handoffs_open_conversation", "handoffs", ["conversation_id"], unique=True,
                    sqlite_where=sa.text("status != 'closed'"))
