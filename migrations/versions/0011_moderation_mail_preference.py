"""moderators' mail preference: each report, a daily digest (the default) or none

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:00:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.add_column(sa.Column('report_mail', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                      server_default='digest'))
        batch_op.create_check_constraint('user_report_mail', "report_mail IN ('each', 'digest', 'none')")


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.drop_constraint('user_report_mail', type_='check')
        batch_op.drop_column('report_mail')
