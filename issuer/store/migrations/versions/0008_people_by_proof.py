"""A person is learner records linked by proof, never by a shared e-mail address.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('learner') as batch:
        batch.add_column(sa.Column('person_uuid', sa.String(length=36), nullable=True))
        batch.create_index('ix_learner_person_uuid', ['person_uuid'], unique=False)
    # Skill progress kept under an e-mail is kept under the learner record it was earned by.
    op.execute("UPDATE skill_award SET person_key = 'learner:' || learner_id "
               "WHERE person_key LIKE 'email:%' AND learner_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('learner') as batch:
        batch.drop_index('ix_learner_person_uuid')
        batch.drop_column('person_uuid')
