"""The pilot's reporting: partner targets, learners' 3- and 6-month follow-ups, and an
anonymous count of a badge page's views per day.

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0015'
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'partner_target',
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisation.id'),
                  primary_key=True),
        sa.Column('learners', sa.Integer(), nullable=False),
        sa.Column('micro_trainings', sa.Integer(), nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
        sa.Column('updated_by_id', sa.Integer(), sa.ForeignKey('user_account.id'),
                  nullable=True),
    )
    op.create_table(
        'learner_outcome',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisation.id'),
                  nullable=False),
        sa.Column('learner_id', sa.Integer(), sa.ForeignKey('learner.id'), nullable=False),
        sa.Column('months', sa.Integer(), nullable=False),
        sa.Column('situation', sa.String(32), nullable=False),
        sa.Column('observed_on', sa.Date(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), sa.ForeignKey('user_account.id'),
                  nullable=True),
        sa.Column('recorded_at', UTC, nullable=False),
        sa.UniqueConstraint('learner_id', 'months'),
        sa.CheckConstraint('months IN (3, 6)', name='ck_learner_outcome_months'),
    )
    op.create_index('ix_learner_outcome_organisation_id', 'learner_outcome',
                    ['organisation_id'])
    op.create_table(
        'credential_view_day',
        sa.Column('credential_id', sa.Integer(), sa.ForeignKey('credential.id'),
                  primary_key=True),
        sa.Column('day', sa.Date(), primary_key=True),
        sa.Column('views', sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('credential_view_day')
    op.drop_index('ix_learner_outcome_organisation_id', 'learner_outcome')
    op.drop_table('learner_outcome')
    op.drop_table('partner_target')
