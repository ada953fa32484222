"""A revocation names its reason from a fixed list, so a reader sees it in their language.

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('credential') as batch:
        batch.add_column(sa.Column('revocation_reason_code', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('credential') as batch:
        batch.drop_column('revocation_reason_code')
