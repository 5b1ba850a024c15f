"""A live call's state between its webhooks (the last prompt, re-prompts, a pending
question) is kept on its row, so a call goes on through any gateway process, a restart and
an outage of Redis. It was kept in the gateway's state (Redis or memory) before: calls in
progress during the upgrade rebuild it from the store, as after a restart.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("voice_calls") as table:
        table.add_column(sa.Column("live_state", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("voice_calls") as table:
        table.drop_column("live_state")
