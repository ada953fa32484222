"""Trainer comments and evidence photos travel with a badge only when the learner agreed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Evaluations saved before stay private: their photos are no longer served by URL; badges
    # already signed keep the texts they carry.
    with op.batch_alter_table('assessment') as batch:
        batch.add_column(sa.Column('evidence_public', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('assessment') as batch:
        batch.drop_column('evidence_public')
