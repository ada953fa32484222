"""Each learner's consent, recorded at enrolment; the organisation's privacy contact and address.

Revision ID: 0014
Revises: 0019
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'learner_consent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('learner_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('given', sa.Boolean(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_by_token_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['learner_id'], ['learner.id']),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id']),
        sa.ForeignKeyConstraint(['recorded_by_token_id'], ['api_token.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('learner_id', 'purpose'),
    )
    with op.batch_alter_table('organisation') as batch:
        batch.add_column(sa.Column('privacy_email', sa.String(length=320), nullable=True))
        batch.add_column(sa.Column('street_address', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('postal_code', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('organisation') as batch:
        for column in ('postal_code', 'street_address', 'privacy_email'):
            batch.drop_column(column)
    op.drop_table('learner_consent')
