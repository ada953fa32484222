"""The status slots of credentials signed through the VC-API, so they can be revoked later.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'vc_api_status',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisation.id'),
                  nullable=False),
        sa.Column('credential_id', sa.Text(), nullable=False),
        sa.Column('status_list_id', sa.Integer(), sa.ForeignKey('status_list.id'),
                  nullable=False),
        sa.Column('status_index', sa.Integer(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_vc_api_status_organisation_credential', 'vc_api_status',
                    ['organisation_id', 'credential_id'])


def downgrade() -> None:
    op.drop_index('ix_vc_api_status_organisation_credential', table_name='vc_api_status')
    op.drop_table('vc_api_status')
