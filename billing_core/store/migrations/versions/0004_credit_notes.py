"""credit notes and corrections: credits_id, credited, refunded, held_reason

- `invoices.credits_id` (NULL for invoices) names the invoice a credit note corrects;
  `invoices.credited` (0 for every existing invoice) is the sum of its issued credit notes,
  so balance = total - paid - credited. `invoices.refunded` (0) is what was paid back out
  of a refund owed; `invoices.held_reason` (NULL) marks an invoice on hold (not chased).
- The one-open-draft-per-record index now counts invoice drafts only (credit note drafts
  are not limited; their approval checks what is still creditable).
- Nothing else changes: existing rows keep their meaning (no credit notes existed).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_OLD_DRAFT = "status = 'draft'"
_NEW_DRAFT = "status = 'draft' AND credits_id IS NULL"


def _amount() -> sa.types.TypeEngine[object]:
    # As the model's Amount: ten-thousandths in an integer on SQLite, NUMERIC elsewhere.
    if op.get_bind().dialect.name == "sqlite":
        return sa.BigInteger()
    return sa.Numeric(18, 4)


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.add_column(sa.Column("credits_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("credited", _amount(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(
            sa.Column("refunded", _amount(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(sa.Column("held_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            "fk_invoices_credits_id_invoices", "invoices", ["credits_id"], ["id"]
        )
        batch_op.create_index("ix_invoices_credits_id", ["credits_id"], unique=False)
        batch_op.drop_index(
            "uq_invoices_open_draft",
            sqlite_where=sa.text(_OLD_DRAFT),
            postgresql_where=sa.text(_OLD_DRAFT),
        )
        batch_op.create_index(
            "uq_invoices_open_draft",
            ["record_id"],
            unique=True,
            sqlite_where=sa.text(_NEW_DRAFT),
            postgresql_where=sa.text(_NEW_DRAFT),
        )
    # The default served its purpose (existing rows hold 0); the model always writes it.
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.alter_column("credited", server_default=None)
        batch_op.alter_column("refunded", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.drop_index("uq_invoices_open_draft")
        batch_op.create_index(
            "uq_invoices_open_draft",
            ["record_id"],
            unique=True,
            sqlite_where=sa.text(_OLD_DRAFT),
            postgresql_where=sa.text(_OLD_DRAFT),
        )
        batch_op.drop_index("ix_invoices_credits_id")
        batch_op.drop_constraint("fk_invoices_credits_id_invoices", type_="foreignkey")
        batch_op.drop_column("held_reason")
        batch_op.drop_column("refunded")
        batch_op.drop_column("credited")
        batch_op.drop_column("credits_id")
