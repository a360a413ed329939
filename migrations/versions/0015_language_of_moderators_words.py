"""the language moderators wrote their explanations in

``comment.block_language`` and ``person_block.reason_language`` hold the language (an html lang:
"de", "en") of the words a moderator gave with a block, from the mode they wrote in, so pages in
another language mark them (``lang``) and screen readers read them in the right voice (staff
report M8). Existing rows have none: they are shown without a mark, as before.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 22:00:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('comment') as batch_op:
        batch_op.add_column(sa.Column('block_language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    with op.batch_alter_table('person_block') as batch_op:
        batch_op.add_column(sa.Column('reason_language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('person_block') as batch_op:
        batch_op.drop_column('reason_language')
    with op.batch_alter_table('comment') as batch_op:
        batch_op.drop_column('block_language')
