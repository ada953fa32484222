"""The 1EdTech Open Badges 3.0 API: registered hosts, learners' grants, codes, tokens,
credentials hosts sent to learners, and a learner's pushes to another platform's API.

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'oauth_client',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('client_id', sa.String(64), nullable=False, unique=True),
        sa.Column('client_secret_sha256', sa.String(64), nullable=False),
        sa.Column('client_name', sa.String(200), nullable=False),
        sa.Column('client_uri', sa.String(500), nullable=False),
        sa.Column('logo_uri', sa.String(500), nullable=False),
        sa.Column('tos_uri', sa.String(500), nullable=False),
        sa.Column('policy_uri', sa.String(500), nullable=False),
        sa.Column('software_id', sa.String(200), nullable=False),
        sa.Column('software_version', sa.String(100), nullable=False),
        sa.Column('redirect_uris', sa.JSON(), nullable=False),
        sa.Column('scope', sa.String(1000), nullable=False),
        sa.Column('created_at', _WHEN, nullable=False),
    )
    op.create_table(
        'oauth_grant',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('client_pk', sa.Integer(), sa.ForeignKey('oauth_client.id'), nullable=False),
        sa.Column('learner_id', sa.Integer(), sa.ForeignKey('learner.id'), nullable=False),
        sa.Column('scope', sa.String(1000), nullable=False),
        sa.Column('created_at', _WHEN, nullable=False),
        sa.Column('revoked_at', _WHEN, nullable=True),
    )
    op.create_index('ix_oauth_grant_client_pk', 'oauth_grant', ['client_pk'])
    op.create_index('ix_oauth_grant_learner_id', 'oauth_grant', ['learner_id'])
    op.create_table(
        'oauth_code',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code_sha256', sa.String(64), nullable=False, unique=True),
        sa.Column('grant_id', sa.Integer(), sa.ForeignKey('oauth_grant.id'), nullable=False),
        sa.Column('redirect_uri', sa.String(500), nullable=False),
        sa.Column('code_challenge', sa.String(128), nullable=False),
        sa.Column('expires_at', _WHEN, nullable=False),
        sa.Column('used_at', _WHEN, nullable=True),
    )
    op.create_index('ix_oauth_code_grant_id', 'oauth_code', ['grant_id'])
    op.create_index('ix_oauth_code_expires_at', 'oauth_code', ['expires_at'])
    op.create_table(
        'oauth_token',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('token_sha256', sa.String(64), nullable=False, unique=True),
        sa.Column('grant_id', sa.Integer(), sa.ForeignKey('oauth_grant.id'), nullable=False),
        sa.Column('kind', sa.String(8), nullable=False),
        sa.Column('expires_at', _WHEN, nullable=False),
        sa.Column('used_at', _WHEN, nullable=True),
    )
    op.create_index('ix_oauth_token_grant_id', 'oauth_token', ['grant_id'])
    op.create_index('ix_oauth_token_expires_at', 'oauth_token', ['expires_at'])
    op.create_table(
        'received_credential',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('learner_id', sa.Integer(), sa.ForeignKey('learner.id'), nullable=False),
        sa.Column('grant_id', sa.Integer(), sa.ForeignKey('oauth_grant.id'), nullable=True),
        sa.Column('document_id', sa.String(500), nullable=False),
        sa.Column('signed_json', sa.Text(), nullable=False),
        sa.Column('compact_jws', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('issued_at', _WHEN, nullable=False),
        sa.Column('received_at', _WHEN, nullable=False),
    )
    op.create_index('ix_received_credential_learner_document', 'received_credential',
                    ['learner_id', 'document_id'], unique=True)
    op.create_table(
        'ob_push_request',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('state_sha256', sa.String(64), nullable=False, unique=True),
        sa.Column('credential_id', sa.Integer(), sa.ForeignKey('credential.id'),
                  nullable=False),
        sa.Column('platform', sa.String(500), nullable=False),
        sa.Column('token_url', sa.String(500), nullable=False),
        sa.Column('credentials_url', sa.String(500), nullable=False),
        sa.Column('client_id', sa.String(500), nullable=False),
        sa.Column('client_secret', sa.String(500), nullable=False),
        sa.Column('code_verifier', sa.String(128), nullable=False),
        sa.Column('expires_at', _WHEN, nullable=False),
    )
    op.create_index('ix_ob_push_request_credential_id', 'ob_push_request', ['credential_id'])
    op.create_index('ix_ob_push_request_expires_at', 'ob_push_request', ['expires_at'])


def downgrade() -> None:
    for column in ('credential_id', 'expires_at'):
        op.drop_index(f'ix_ob_push_request_{column}', table_name='ob_push_request')
    op.drop_table('ob_push_request')
    op.drop_index('ix_received_credential_learner_document', table_name='received_credential')
    op.drop_table('received_credential')
    for table, columns in (('oauth_token', ('grant_id', 'expires_at')),
                           ('oauth_code', ('grant_id', 'expires_at')),
                           ('oauth_grant', ('client_pk', 'learner_id'))):
        for column in columns:
            op.drop_index(f'ix_{table}_{column}', table_name=table)
        op.drop_table(table)
    op.drop_table('oauth_client')
