"""roles only for accounts whose address is confirmed

An account can be registered with anyone's address; until it is confirmed nothing shows that its
password belongs to the address's owner. Roles given to such accounts before (staff report N1)
are withdrawn here: the people are invited again by the staff pages, and the invitation's link
proves the address.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 20:00:00.000000
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNCONFIRMED = "SELECT id FROM user_account WHERE email_confirmed_at IS NULL"


def upgrade() -> None:
    op.execute(f"DELETE FROM project_moderator WHERE user_id IN ({UNCONFIRMED})")
    op.execute(f"DELETE FROM organisation_member WHERE user_id IN ({UNCONFIRMED})")
    op.execute("UPDATE user_account SET is_admin = false WHERE email_confirmed_at IS NULL")


def downgrade() -> None:
    pass  # the roles withdrawn were given in error; they are not given back
