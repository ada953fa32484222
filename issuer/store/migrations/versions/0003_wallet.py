"""Wallet protocols: VC-API exchanges, OID4VCI credential offers and nonces (wallet_models.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wallet_exchange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exchange_sha256', sa.String(length=64), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('challenge', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('holder_did', sa.String(length=500), nullable=True),
    sa.Column('issued_credential_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], ),
    sa.ForeignKeyConstraint(['issued_credential_id'], ['credential.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('exchange_sha256')
    )
    op.create_index(op.f('ix_wallet_exchange_credential_id'), 'wallet_exchange',
                    ['credential_id'])
    op.create_index(op.f('ix_wallet_exchange_expires_at'), 'wallet_exchange', ['expires_at'])
    op.create_table('wallet_credential_offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offer_sha256', sa.String(length=64), nullable=False),
    sa.Column('code_sha256', sa.String(length=64), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('tx_code_sha256', sa.String(length=64), nullable=True),
    sa.Column('tx_code_failures', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('redeemed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('token_sha256', sa.String(length=64), nullable=True),
    sa.Column('token_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('offer_sha256'),
    sa.UniqueConstraint('code_sha256'),
    sa.UniqueConstraint('token_sha256')
    )
    op.create_index(op.f('ix_wallet_credential_offer_credential_id'), 'wallet_credential_offer',
                    ['credential_id'])
    op.create_index(op.f('ix_wallet_credential_offer_expires_at'), 'wallet_credential_offer',
                    ['expires_at'])
    op.create_table('wallet_nonce',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('nonce')
    )
    op.create_index(op.f('ix_wallet_nonce_expires_at'), 'wallet_nonce', ['expires_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_wallet_nonce_expires_at'), table_name='wallet_nonce')
    op.drop_table('wallet_nonce')
    op.drop_index(op.f('ix_wallet_credential_offer_expires_at'),
                  table_name='wallet_credential_offer')
    op.drop_index(op.f('ix_wallet_credential_offer_credential_id'),
                  table_name='wallet_credential_offer')
    op.drop_table('wallet_credential_offer')
    op.drop_index(op.f('ix_wallet_exchange_expires_at'), table_name='wallet_exchange')
    op.drop_index(op.f('ix_wallet_exchange_credential_id'), table_name='wallet_exchange')
    op.drop_table('wallet_exchange')
