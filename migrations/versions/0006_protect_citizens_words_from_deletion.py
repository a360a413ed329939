"""protect citizens' words from deletion

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 08:00:00.000000

Until now deleting a project, chapter or paragraph deleted every comment on it (ON DELETE
CASCADE), deleting a comment deleted its replies, and deleting a comment deleted the reports
about it. From here on the database refuses (ON DELETE RESTRICT) to delete

- a project, chapter or paragraph that has comments (``comment.project_id``, ``chapter_id``,
  ``paragraph_id``),
- a comment that has replies (``comment.parent_id``: the app never deletes a comment row, an
  author's delete empties it and the replies stay, so only a stray DELETE is refused),
- a comment that has reports (``report.comment_id``: the moderation record stays whole).

Ratings still go with their comment (``rating.comment_id`` keeps CASCADE): they are counts,
not anyone's words. Downgrading restores CASCADE everywhere.

PostgreSQL drops each constraint by the name it has (read by reflection) and adds it again,
all in the migration's one transaction.

SQLite cannot alter a constraint, so ``report`` and ``comment`` are recreated (batch mode:
copy the rows into a new table, drop the old one, rename the new one). Were foreign keys
enforced, dropping the old ``comment`` table would first delete its rows, and with them, by
the old cascades, every rating and report. Enforcement is off on Alembic's own connections
(SQLite's default, and ``migrations/env.py`` never turns it on); handed a connection that
enforces them, the migration refuses before changing anything. (It does not switch
enforcement off itself: inside the migration's transaction it could not switch it on again,
and the caller's connection would go on unprotected.) The row counts of every table involved
are compared before and after, and the migration stops with an error if one changed; rows
that already pointed nowhere are named (``PRAGMA foreign_key_check``) and kept as they are.
"""
from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

#: The foreign keys this migration changes: (column, referred table) by table.
CHANGED = {
    "report": (("comment_id", "comment"),),
    "comment": (("project_id", "project"), ("chapter_id", "chapter"), ("paragraph_id", "paragraph"),
                ("parent_id", "comment")),
}
#: Tables whose rows must all be there afterwards.
COUNTED = ("project", "chapter", "paragraph", "comment", "rating", "report")
#: Names for SQLite's unnamed constraints when batch mode reflects them: PostgreSQL's own defaults.
NAMING = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}


def _names(bind, table: str) -> dict[str, str]:
    """The existing foreign keys' names by column (PostgreSQL); SQLite's have none and get NAMING's."""
    names = {}
    for key in sa.inspect(bind).get_foreign_keys(table):
        if len(key["constrained_columns"]) == 1:
            column = key["constrained_columns"][0]
            names[column] = key["name"] or NAMING["fk"] % {"table_name": table, "column_0_name": column}
    return names


def _counts(bind) -> dict[str, int]:
    return {table: bind.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() for table in COUNTED}


def _refuse_if_sqlite_enforces_foreign_keys(bind) -> None:
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "0006 recreates the comment table on SQLite; with foreign keys enforced, dropping the old "
            "table would delete every rating and report. Run it on a connection without "
            "PRAGMA foreign_keys=ON (`alembic upgrade head` and `make migrate` do)."
        )


def _name_orphans(bind) -> None:
    """Say which rows already pointed nowhere before the migration (they are kept as they are)."""
    for table in CHANGED:
        for row in bind.exec_driver_sql(f"PRAGMA foreign_key_check({table})").all():
            print(f"0006: {table} row {row[1]} refers to a missing row of {row[2]} (kept as it was)")


def _set_ondelete(ondelete: str) -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        _refuse_if_sqlite_enforces_foreign_keys(bind)
    before = _counts(bind)
    for table, keys in CHANGED.items():
        names = _names(bind, table)
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            for column, referred in keys:
                batch_op.drop_constraint(names[column], type_="foreignkey")
                batch_op.create_foreign_key(names[column], referred, [column], ["id"], ondelete=ondelete)
    after = _counts(bind)
    if after != before:
        raise RuntimeError(f"0006: rows changed while recreating the tables ({before} before, {after} after)")
    if sqlite:
        _name_orphans(bind)


def upgrade() -> None:
    _set_ondelete("RESTRICT")


def downgrade() -> None:
    _set_ondelete("CASCADE")
