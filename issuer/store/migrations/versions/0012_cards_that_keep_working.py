"""A printed claim link lives until its card is declared lost; a code the learner chooses guards it.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('credential') as batch:
        batch.add_column(sa.Column('claim_version', sa.Integer(), nullable=False,
                                   server_default='1'))
        batch.add_column(sa.Column('earlier_claim_token_sha256', sa.String(length=64),
                                   nullable=True))
        batch.add_column(sa.Column('claim_code_hash', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('claim_code_failures', sa.Integer(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('claim_code_locked_until', sa.DateTime(timezone=True),
                                   nullable=True))
        batch.create_unique_constraint('uq_credential_earlier_claim_token_sha256',
                                       ['earlier_claim_token_sha256'])


def downgrade() -> None:
    with op.batch_alter_table('credential') as batch:
        batch.drop_constraint('uq_credential_earlier_claim_token_sha256', type_='unique')
        for column in ('claim_code_locked_until', 'claim_code_failures', 'claim_code_hash',
                       'earlier_claim_token_sha256', 'claim_version'):
            batch.drop_column(column)
