"""what outlives a deleted account: blocks, and a stable pseudonym for staff actions

- ``person_block.user_id`` is emptied (SET NULL) instead of deleting the block with the account
  (CASCADE), and the block keeps keyed hashes of the address and the username and the name
  (``person_key``, ``name_key``, ``person_name``) while it holds: deleting the account no
  longer lifts a block (security report N3).
- ``audit_entry.former_actor_id`` and ``moderator_note.former_author_id`` keep the number of a
  deleted staff member's account, so their entries read "deleted account 7" (N5).
- SQLite gives ``user_account`` AUTOINCREMENT: a deleted account's number is never given to a
  new one (the table is recreated in batch mode; see 0006 on foreign keys and SQLite).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:00:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

#: Names for SQLite's unnamed constraints when batch mode reflects them: PostgreSQL's own defaults.
NAMING = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}


def _user_fk(bind) -> str:
    for key in sa.inspect(bind).get_foreign_keys("person_block"):
        if key["constrained_columns"] == ["user_id"]:
            return key["name"] or NAMING["fk"] % {"table_name": "person_block", "column_0_name": "user_id"}
    raise RuntimeError("0014: person_block.user_id has no foreign key")


def _refuse_if_sqlite_enforces_foreign_keys(bind) -> None:
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("0014 recreates tables on SQLite; with foreign keys enforced, dropping the old "
                           "user_account table would delete what refers to it. Run it without PRAGMA foreign_keys=ON "
                           "(`alembic upgrade head` and `make migrate` do).")


def upgrade() -> None:
    bind = op.get_bind()
    _refuse_if_sqlite_enforces_foreign_keys(bind)
    name = _user_fk(bind)
    with op.batch_alter_table('person_block', naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(name, type_="foreignkey")
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(name, 'user_account', ['user_id'], ['id'], ondelete='SET NULL')
        batch_op.add_column(sa.Column('person_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('person_name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False,
                                      server_default=''))
    op.create_index('ix_person_block_person_key', 'person_block', ['person_key'])
    op.create_index('ix_person_block_name_key', 'person_block', ['name_key'])
    with op.batch_alter_table('audit_entry') as batch_op:
        batch_op.add_column(sa.Column('former_actor_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('moderator_note') as batch_op:
        batch_op.add_column(sa.Column('former_author_id', sa.Integer(), nullable=True))
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table('user_account', recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass


def downgrade() -> None:
    bind = op.get_bind()
    _refuse_if_sqlite_enforces_foreign_keys(bind)
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table('user_account', recreate="always", table_kwargs={"sqlite_autoincrement": False}):
            pass
    with op.batch_alter_table('moderator_note') as batch_op:
        batch_op.drop_column('former_author_id')
    with op.batch_alter_table('audit_entry') as batch_op:
        batch_op.drop_column('former_actor_id')
    op.drop_index('ix_person_block_name_key', table_name='person_block')
    op.drop_index('ix_person_block_person_key', table_name='person_block')
    op.execute("DELETE FROM person_block WHERE user_id IS NULL")  # blocks of deleted accounts: the old schema had none
    name = _user_fk(bind)
    with op.batch_alter_table('person_block', naming_convention=NAMING) as batch_op:
        batch_op.drop_column('person_name')
        batch_op.drop_column('name_key')
        batch_op.drop_column('person_key')
        batch_op.drop_constraint(name, type_="foreignkey")
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(name, 'user_account', ['user_id'], ['id'], ondelete='CASCADE')
