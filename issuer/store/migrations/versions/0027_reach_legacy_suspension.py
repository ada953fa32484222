"""A badge may be suspended (reversibly) and reinstated: when, and why (kept for the audit).

Revision ID: 0027
Revises: 0023
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('credential') as batch:
        batch.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('suspension_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('credential') as batch:
        batch.drop_column('suspension_reason')
        batch.drop_column('suspended_at')
