"""roles as data and the audit log

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 08:00:00.000000

``user_account.role`` (a free string: "participant", "moderator", "admin") becomes data:
``is_admin`` on the account for administrators, ``organisation_member`` (initiators of an
organisation) and ``project_moderator`` (moderators of a project); ``invitation`` holds
invitations to addresses without an account. An account that was "moderator" becomes a
moderator of every project that exists (what the old role let it see); "admin" becomes
``is_admin``. Downgrading maps back the same way. ``audit_entry`` is new.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

USERS = sa.table('user_account', sa.column('id', sa.Integer), sa.column('role', sa.String),
                 sa.column('is_admin', sa.Boolean))
PROJECTS = sa.table('project', sa.column('id', sa.Integer))
MODERATORS = sa.table('project_moderator', sa.column('user_id', sa.Integer), sa.column('project_id', sa.Integer),
                      sa.column('created_at', sa.DateTime))


def upgrade() -> None:
    op.create_table(
        'organisation_member',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('initiator')", name='organisation_member_role'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'organisation_id', name='uq_organisation_member'),
    )
    op.create_index('ix_organisation_member_organisation', 'organisation_member', ['organisation_id'])
    op.create_table(
        'project_moderator',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'project_id', name='uq_project_moderator'),
    )
    op.create_index('ix_project_moderator_project', 'project_moderator', ['project_id'])
    op.create_table(
        'invitation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('email_key', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('project_id', sa.Integer(), nullable=True),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('accepted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('withdrawn_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint("role IN ('initiator', 'moderator')", name='invitation_role'),
        sa.CheckConstraint("(role = 'initiator' AND organisation_id IS NOT NULL AND project_id IS NULL)"
                           " OR (role = 'moderator' AND project_id IS NOT NULL AND organisation_id IS NULL)",
                           name='invitation_scope'),
        sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_invitation_email', 'invitation', ['email_key'])
    op.create_table(
        'audit_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('object_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=True),
        sa.Column('project_id', sa.Integer(), nullable=True),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('details', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_audit_project_created', 'audit_entry', ['project_id', 'created_at'])
    op.create_index('ix_audit_actor', 'audit_entry', ['actor_id'])
    op.create_index('ix_audit_object', 'audit_entry', ['object_type', 'object_id'])

    with op.batch_alter_table('user_account') as batch_op:
        batch_op.add_column(sa.Column('is_admin', sa.Boolean(), nullable=False, server_default=sa.false()))
    connection = op.get_bind()
    connection.execute(USERS.update().where(USERS.c.role == 'admin').values(is_admin=True))
    moderators = [row.id for row in connection.execute(sa.select(USERS.c.id).where(USERS.c.role == 'moderator'))]
    projects = [row.id for row in connection.execute(sa.select(PROJECTS.c.id))]
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc)
    if moderators and projects:
        connection.execute(MODERATORS.insert(), [{"user_id": u, "project_id": p, "created_at": now}
                                                 for u in moderators for p in projects])
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.alter_column('is_admin', server_default=None)
        batch_op.drop_column('role')


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.add_column(sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                      server_default='participant'))
    connection = op.get_bind()
    connection.execute(USERS.update().where(USERS.c.id.in_(sa.select(MODERATORS.c.user_id))).values(role='moderator'))
    connection.execute(USERS.update().where(USERS.c.is_admin == sa.true()).values(role='admin'))
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.alter_column('role', server_default=None)
        batch_op.drop_column('is_admin')
    op.drop_index('ix_audit_object', table_name='audit_entry')
    op.drop_index('ix_audit_actor', table_name='audit_entry')
    op.drop_index('ix_audit_project_created', table_name='audit_entry')
    op.drop_table('audit_entry')
    op.drop_index('ix_invitation_email', table_name='invitation')
    op.drop_table('invitation')
    op.drop_index('ix_project_moderator_project', table_name='project_moderator')
    op.drop_table('project_moderator')
    op.drop_index('ix_organisation_member_organisation', table_name='organisation_member')
    op.drop_table('organisation_member')
