"""one number that every write raises: what logged-in readers' kept pages are keyed by

``content_version`` holds one row; every transaction that writes to a table a page reads raises
``n`` by one (``webapp/contentversion.py``), so a page kept for a logged-in reader under the old
number is never served again once anything it shows has changed (issue 16).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 11:30:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    table = op.create_table(
        'content_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(table, [{"id": 1, "n": 0}])


def downgrade() -> None:
    op.drop_table('content_version')
