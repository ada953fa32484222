"""Evaluations sent from a trainer's phone queue: a version per assessment, every submission kept.

`assessment.version` counts the saves of an evaluation; a form carries the version it was loaded
with, so an evaluation made on a stale copy (another phone saved in between) is a conflict the
trainer settles, never a silent overwrite. `evaluation_submission` keeps each submission sent
with a client-generated id: a replay of the same id is answered, never applied twice, and both
sides of a conflict stay on record.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assessment') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                   server_default='1'))
    op.create_table(
        'evaluation_submission',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisation.id'),
                  nullable=False),
        sa.Column('client_id', sa.String(64), nullable=False),
        sa.Column('assessment_id', sa.Integer(), sa.ForeignKey('assessment.id'),
                  nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=True),
        sa.Column('base_version', sa.Integer(), nullable=True),
        sa.Column('levels', sa.JSON(), nullable=False),
        sa.Column('comments', sa.JSON(), nullable=False),
        sa.Column('narrative', sa.Text(), nullable=True),
        sa.Column('evidence_public', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('activity_start', sa.Date(), nullable=True),
        sa.Column('activity_end', sa.Date(), nullable=True),
        sa.Column('action', sa.String(8), nullable=False),
        sa.Column('outcome', sa.String(16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolved_by', sa.Integer(), sa.ForeignKey('user_account.id'),
                  nullable=True),
        sa.UniqueConstraint('organisation_id', 'client_id',
                            name='uq_evaluation_submission_client'),
    )
    op.create_index('ix_evaluation_submission_assessment_id', 'evaluation_submission',
                    ['assessment_id'])


def downgrade() -> None:
    op.drop_index('ix_evaluation_submission_assessment_id', table_name='evaluation_submission')
    op.drop_table('evaluation_submission')
    with op.batch_alter_table('assessment') as batch:
        batch.drop_column('version')
