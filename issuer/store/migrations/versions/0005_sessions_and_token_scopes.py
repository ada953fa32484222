"""Server-side staff sessions, a device id on log-in failures, API token scopes and expiry.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_sha256')
    )
    op.create_index(op.f('ix_staff_session_user_id'), 'staff_session', ['user_id'], unique=False)
    with op.batch_alter_table('login_failure') as batch:
        batch.add_column(sa.Column('device', sa.String(length=64), nullable=True))
    # Tokens made before scopes existed keep doing everything they did.
    with op.batch_alter_table('api_token') as batch:
        batch.add_column(sa.Column('scopes', sa.String(length=100), nullable=False,
                                   server_default='read issue revoke learners'))
        batch.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_token') as batch:
        batch.drop_column('expires_at')
        batch.drop_column('scopes')
    with op.batch_alter_table('login_failure') as batch:
        batch.drop_column('device')
    op.drop_index(op.f('ix_staff_session_user_id'), table_name='staff_session')
    op.drop_table('staff_session')
