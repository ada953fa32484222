"""Indexes the hot queries need once an organisation holds 100,000 badges.

Each one is used by a plan checked on PostgreSQL (see bench/bench_pages.py and the closing
note of issue 14): a learner's badges (stacking progress on every issuance, revocation and
badge page), a learner matched by e-mail in an organisation (intake, bulk), the latest badge
of a template in a language (achievement documents), the admin's newest-first list, and the
wallet copies of a listed badge.

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_credential_learner_id', 'credential', ['learner_id'])
    op.create_index('ix_credential_supersedes_id', 'credential', ['supersedes_id'])
    op.create_index('ix_credential_template_language_issued', 'credential',
                    ['template_pk', 'language', 'issued_at'])
    op.create_index('ix_credential_organisation_issued', 'credential',
                    ['organisation_id', 'issued_at', 'id'])
    op.create_index('ix_learner_organisation_email', 'learner',
                    ['organisation_id', sa.text('lower(email)')])


def downgrade() -> None:
    op.drop_index('ix_learner_organisation_email', table_name='learner')
    op.drop_index('ix_credential_organisation_issued', table_name='credential')
    op.drop_index('ix_credential_template_language_issued', table_name='credential')
    op.drop_index('ix_credential_supersedes_id', table_name='credential')
    op.drop_index('ix_credential_learner_id', table_name='credential')
