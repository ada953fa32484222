"""A badge may be suspended (reversibly) and reinstated: when, and why (kept for the audit);
an endorsement has a revocation slot, set when its endorser withdraws it.

Revision ID: 0027
Revises: 0025
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('credential') as batch:
        batch.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('suspension_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('endorsement') as batch:
        batch.add_column(sa.Column('status_list_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('status_index', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_endorsement_status_list_id_status_list', 'status_list',
                                 ['status_list_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('endorsement') as batch:
        batch.drop_constraint('fk_endorsement_status_list_id_status_list', type_='foreignkey')
        batch.drop_column('status_index')
        batch.drop_column('status_list_id')
    with op.batch_alter_table('credential') as batch:
        batch.drop_column('suspension_reason')
        batch.drop_column('suspended_at')
