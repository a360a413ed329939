"""moderation: blocked, hidden, highlighted and official comments, report counts, moderator notes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:00:00.000000

The report counters are filled from the reports that exist (open ones: not resolved).
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('comment') as batch_op:
        batch_op.add_column(sa.Column('blocked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('block_reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('block_text', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('hidden_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('highlighted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('report_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('open_report_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('official', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index('ix_comment_moderation', ['project_id', 'open_report_count', 'report_count'])
    op.execute("UPDATE comment SET report_count = (SELECT COUNT(*) FROM report WHERE report.comment_id = comment.id),"
               " open_report_count = (SELECT COUNT(*) FROM report WHERE report.comment_id = comment.id"
               " AND report.resolved_at IS NULL)")
    op.create_table(
        'moderator_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('comment_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('author_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_moderator_note_comment', 'moderator_note', ['comment_id', 'created_at'])
    op.create_index(op.f('ix_moderator_note_project_id'), 'moderator_note', ['project_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_moderator_note_project_id'), table_name='moderator_note')
    op.drop_index('ix_moderator_note_comment', table_name='moderator_note')
    op.drop_table('moderator_note')
    with op.batch_alter_table('comment') as batch_op:
        batch_op.drop_index('ix_comment_moderation')
        for column in ('official', 'open_report_count', 'report_count', 'reviewed_at', 'highlighted_at', 'hidden_at',
                       'block_text', 'block_reason', 'blocked_at'):
            batch_op.drop_column(column)
