"""the readable comments of each chapter and paragraph, counted from an index

Every page with a discussion shows how many comments each chapter and paragraph has: those not
deleted, blocked or hidden (``comments.services.comment_counts``). A partial index of exactly
those, by chapter and paragraph, lets the count read the index alone: 0.56 to 0.25 ms on
PostgreSQL, 0.45 to 0.24 on SQLite, for 2,000 comments (issue 16).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 17:30:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: Union[str, None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

READABLE = "deleted_at IS NULL AND blocked_at IS NULL AND hidden_at IS NULL"


def upgrade() -> None:
    op.create_index('ix_comment_readable', 'comment', ['chapter_id', 'paragraph_id'],
                    sqlite_where=sa.text(READABLE), postgresql_where=sa.text(READABLE))


def downgrade() -> None:
    op.drop_index('ix_comment_readable', table_name='comment')
