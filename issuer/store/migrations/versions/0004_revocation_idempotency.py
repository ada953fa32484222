"""Public revocation reasons (opt-in) and API idempotency keys with a unique constraint.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing reasons stay private: nobody chose to publish them.
    with op.batch_alter_table('credential') as batch:
        batch.add_column(sa.Column('revocation_reason_public', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table('api_idempotency_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'key')
    )


def downgrade() -> None:
    op.drop_table('api_idempotency_key')
    with op.batch_alter_table('credential') as batch:
        batch.drop_column('revocation_reason_public')
