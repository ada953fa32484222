"""Accounts without a developer: invitations and password resets, an address reusable once its
account is deactivated, and an optional second factor.

Revision ID: 0009
Revises: 0013
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0013'
branch_labels = None
depends_on = None

# SQLite's unique constraint from 0001 has no name; this convention names it for the batch.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    unique = ('user_account_email_key' if op.get_bind().dialect.name == 'postgresql'
              else 'uq_user_account_email')
    with op.batch_alter_table('user_account', naming_convention=NAMING) as batch:
        batch.drop_constraint(unique, type_='unique')
        batch.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch.create_index('ix_user_account_email', ['email'], unique=False)
    op.create_index('ux_user_account_active_email', 'user_account', ['email'], unique=True,
                    sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
    op.create_table(
        'account_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('token_sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_sha256'),
    )
    op.create_index('ix_account_token_user_id', 'account_token', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_account_token_user_id', table_name='account_token')
    op.drop_table('account_token')
    op.drop_index('ux_user_account_active_email', table_name='user_account')
    with op.batch_alter_table('user_account', naming_convention=NAMING) as batch:
        batch.drop_index('ix_user_account_email')
        batch.drop_column('totp_last_step')
        batch.drop_column('totp_secret')
        batch.create_unique_constraint('uq_user_account_email', ['email'])
