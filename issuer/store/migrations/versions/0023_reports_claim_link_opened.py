"""When a badge's claim link was first opened: the learner's path counts it, nothing more.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('credential') as batch:
        batch.add_column(sa.Column('claim_opened_at', sa.DateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('credential') as batch:
        batch.drop_column('claim_opened_at')
