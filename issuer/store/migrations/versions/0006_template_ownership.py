"""Catalogue templates belong to the organisation that publishes them; others adopt a version.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Templates imported before ownership existed stay in the shared catalogue (owner NULL).
    with op.batch_alter_table('achievement_template') as batch:
        batch.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_achievement_template_owner', 'organisation', ['owner_id'],
                                 ['id'])
    op.create_table('template_adoption',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.String(length=100), nullable=False),
    sa.Column('template_pk', sa.Integer(), nullable=False),
    sa.Column('adopted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['template_pk'], ['achievement_template.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'template_id')
    )


def downgrade() -> None:
    op.drop_table('template_adoption')
    with op.batch_alter_table('achievement_template') as batch:
        batch.drop_constraint('fk_achievement_template_owner', type_='foreignkey')
        batch.drop_column('owner_id')
