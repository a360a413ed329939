"""a discussion's newest comments read backwards from an index, on PostgreSQL too

A discussion lists its comments (not replies) newest first, and publishing looks at the newest
two. ``ix_comment_thread`` (chapter, paragraph, parent, time) serves that on SQLite, whose
indexes end in the row's id; PostgreSQL does not read an index in order after ``IS NULL``
conditions and sorted the chapter's comments instead: 0.43 ms for the newest two of 1,200, 0.86
for a page of 20. Two partial indexes, one per kind of discussion, each ending in time and id,
give it both at once: 0.04 and 0.02 ms (issue 16).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 18:05:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: Union[str, None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ON_CHAPTER = "paragraph_id IS NULL AND parent_id IS NULL"
ON_PARAGRAPH = "paragraph_id IS NOT NULL AND parent_id IS NULL"


def upgrade() -> None:
    op.create_index('ix_comment_chapter_newest', 'comment', ['chapter_id', 'created_at', 'id'],
                    sqlite_where=sa.text(ON_CHAPTER), postgresql_where=sa.text(ON_CHAPTER))
    op.create_index('ix_comment_paragraph_newest', 'comment', ['paragraph_id', 'created_at', 'id'],
                    sqlite_where=sa.text(ON_PARAGRAPH), postgresql_where=sa.text(ON_PARAGRAPH))


def downgrade() -> None:
    op.drop_index('ix_comment_paragraph_newest', table_name='comment')
    op.drop_index('ix_comment_chapter_newest', table_name='comment')
