"""The second factor's secret is sealed at rest (a longer column) and gets recovery codes.

Secrets stored in the clear before this revision are sealed the next time they are read (the
migration cannot: the key passphrase is not the database's).

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.alter_column('totp_secret', existing_type=sa.String(length=64),
                           type_=sa.String(length=128), existing_nullable=True)
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=False),
        sa.Column('code_sha256', sa.String(length=64), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_recovery_code_user_id', 'recovery_code', ['user_id'])


def downgrade() -> None:
    op.drop_index('ix_recovery_code_user_id', table_name='recovery_code')
    op.drop_table('recovery_code')
    with op.batch_alter_table('user_account') as batch:
        batch.alter_column('totp_secret', existing_type=sa.String(length=128),
                           type_=sa.String(length=64), existing_nullable=True)
