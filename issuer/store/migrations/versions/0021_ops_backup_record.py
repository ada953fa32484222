"""When each whole-instance backup was written, and its size: the coordinator's Backups page.

Backups stay a command (`sky-badges backup`): the file holds every organisation's data and
encrypted keys, so no web account may download it. The pages only say when the last one was
made, so that a missed backup is noticed.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'backup_record',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('size_bytes', sa.BigInteger(), nullable=False),
        sa.Column('rows', sa.BigInteger(), nullable=False),
        sa.Column('files', sa.Integer(), nullable=False),
        sa.Column('revision', sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('backup_record')
