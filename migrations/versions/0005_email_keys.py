"""email keys as mail sees addresses

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 06:00:00.000000

``email_key`` was NFKC and case-folded, so "ｎｅｗｖｉｃｔｉｍ@" (full-width) squatted
"newvictim@" and "straße@" collided with "strasse@": mail delivers each to another mailbox.
It is now what mail treats as one address: the local part lower-cased only, the domain in
lower case and IDNA (punycode) form (``webapp.accounts.models.email_key``, copied here so the
migration keeps its meaning when the code changes). Every stored key is computed again.

Should two accounts end up with one key (the old key folded more, so this cannot happen
for keys the old code made, but rows may come from elsewhere), the later one keeps its
old key and a warning names its id. Downgrading computes the old keys again the same way.
"""
import unicodedata
from typing import Sequence, Union

import idna
import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

USERS = sa.table('user_account', sa.column('id', sa.Integer), sa.column('email', sa.String),
                 sa.column('email_key', sa.String))


def mail_key(address: str) -> str:
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if not at:
        return address.lower()
    try:
        domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        pass
    return f"{local.lower()}@{domain.lower()}"


def folded_key(address: str) -> str:
    return unicodedata.normalize("NFKC", address).strip().casefold()


def recompute(key) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(USERS.c.id, USERS.c.email, USERS.c.email_key).order_by(USERS.c.id)).all()
    final = {row.id: row.email_key for row in rows}
    owner = {row.email_key: row.id for row in rows}
    for row in rows:
        new = key(row.email)
        if new == row.email_key:
            continue
        if owner.get(new, row.id) != row.id:
            print(f"0005: account {row.id} keeps its email key: {new!r} belongs to account {owner[new]}")
            continue
        del owner[final[row.id]]
        owner[new], final[row.id] = row.id, new
    before = {row.id: row.email_key for row in rows}
    changed = [(account, new) for account, new in final.items() if new != before[account]]
    # Two steps, so that no intermediate state holds one key twice (the column is unique).
    for account, _new in changed:
        connection.execute(USERS.update().where(USERS.c.id == account).values(email_key=f"0005:{account}"))
    for account, new in changed:
        connection.execute(USERS.update().where(USERS.c.id == account).values(email_key=new))


def upgrade() -> None:
    recompute(mail_key)


def downgrade() -> None:
    recompute(folded_key)
