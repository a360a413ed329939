"""moderators' digest remembers up to when it has listed reports

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:00:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.add_column(sa.Column('report_digest_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.drop_column('report_digest_until')
