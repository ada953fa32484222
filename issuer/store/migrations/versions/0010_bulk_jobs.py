"""Bulk issuance runs as a background job: its progress and each row's outcome are kept here.

On PostgreSQL the job queue's own tables (Huey's PostgresStorage, prefix `huey`) are created
here too, so the schema has one owner and starting many workers at once races on nothing.

Revision ID: 0010
Revises: 0013
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0013'
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)

# Huey 3.5's PostgresStorage schema (created with create_tables=False by the service).
HUEY_TABLES = (
    "create table if not exists huey_kv (queue text not null, key text not null, "
    "value bytea not null, primary key(queue, key))",
    "create table if not exists huey_schedule (id bigserial primary key, queue text not null, "
    "data bytea not null, timestamp double precision not null)",
    "create index if not exists huey_schedule_queue_timestamp on huey_schedule "
    "(queue, timestamp)",
    "create table if not exists huey_task (id bigserial primary key, queue text not null, "
    "data bytea not null, priority double precision not null default 0.0)",
    "create index if not exists huey_task_queue_priority_id on huey_task "
    "(queue, priority desc, id)",
    "create table if not exists huey_counter (queue text not null, key text not null, "
    "value bigint not null default 0, primary key(queue, key))",
)


def upgrade() -> None:
    op.create_table(
        'bulk_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=200), nullable=True),
        sa.Column('csv_data', sa.LargeBinary(), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('heartbeat_at', UTC, nullable=False),
        sa.Column('finished_at', UTC, nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.ForeignKeyConstraint(['session_id'], ['training_session.id']),
        sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_bulk_job_organisation_id', 'bulk_job', ['organisation_id'])
    op.create_table(
        'bulk_job_row',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('verdict', sa.String(length=16), nullable=False),
        sa.Column('message', sa.JSON(), nullable=True),
        sa.Column('credential_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['bulk_job.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['credential_id'], ['credential.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('job_id', 'line'),
    )
    if op.get_bind().dialect.name == 'postgresql':
        for statement in HUEY_TABLES:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in ('huey_counter', 'huey_task', 'huey_schedule', 'huey_kv'):
            op.execute(f'drop table if exists {table}')
    op.drop_table('bulk_job_row')
    op.drop_index('ix_bulk_job_organisation_id', table_name='bulk_job')
    op.drop_table('bulk_job')
