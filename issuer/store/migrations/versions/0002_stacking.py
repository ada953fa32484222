"""Stacks and endorsements: skill awards (one per person and skill), their parts, endorsements.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('endorsement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('endorser_id', sa.Integer(), nullable=False),
    sa.Column('template_pk', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('achievement_id', sa.String(length=500), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('signed_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['endorser_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['template_pk'], ['achievement_template.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uuid')
    )
    op.create_index(op.f('ix_endorsement_template_pk'), 'endorsement', ['template_pk'],
                    unique=False)
    op.create_table('skill_award',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_key', sa.String(length=80), nullable=False),
    sa.Column('skill_id', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('learner_id', sa.Integer(), nullable=True),
    sa.Column('template_pk', sa.Integer(), nullable=True),
    sa.Column('credential_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], ),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['template_pk'], ['achievement_template.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_key', 'skill_id')
    )
    op.create_table('skill_award_part',
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['skill_award.id'], ),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], ),
    sa.PrimaryKeyConstraint('award_id', 'credential_id')
    )
    op.create_index(op.f('ix_skill_award_part_credential_id'), 'skill_award_part',
                    ['credential_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_skill_award_part_credential_id'), table_name='skill_award_part')
    op.drop_table('skill_award_part')
    op.drop_table('skill_award')
    op.drop_index(op.f('ix_endorsement_template_pk'), table_name='endorsement')
    op.drop_table('endorsement')
