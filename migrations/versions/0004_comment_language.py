"""comment language

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 09:40:00.000000

Each comment keeps the language it was written in, so pages in another mode can mark it
with ``lang``. Comments written before were all German ("de").
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='de'))


def downgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('language')
