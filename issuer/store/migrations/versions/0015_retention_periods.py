"""Each organisation chooses how long evidence photos and learners' contact data are kept.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisation') as batch:
        batch.add_column(sa.Column('evidence_retention_months', sa.Integer(), nullable=False,
                                   server_default='12'))
        batch.add_column(sa.Column('contact_retention_months', sa.Integer(), nullable=False,
                                   server_default='24'))


def downgrade() -> None:
    with op.batch_alter_table('organisation') as batch:
        batch.drop_column('contact_retention_months')
        batch.drop_column('evidence_retention_months')
