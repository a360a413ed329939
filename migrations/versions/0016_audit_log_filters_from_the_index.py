"""the audit log's filters read from an index

A project's audit log lists, as its filters, the actions that occur in it and the people who
acted; with 10,000 entries reading them from the rows took longer than the whole page should
(issue 16). Two covering indexes serve them: (project, action) and (project, who acted).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 09:40:00.000000
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_audit_project_action', 'audit_entry', ['project_id', 'action'])
    op.create_index('ix_audit_project_actor', 'audit_entry', ['project_id', 'actor_id', 'former_actor_id', 'actor_name'])


def downgrade() -> None:
    op.drop_index('ix_audit_project_actor', table_name='audit_entry')
    op.drop_index('ix_audit_project_action', table_name='audit_entry')
