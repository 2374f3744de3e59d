"""events count on a business date (a payment's own DATE) in reports

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoice_events") as batch_op:
        batch_op.add_column(sa.Column("effective_on", sa.Date(), nullable=True))
        batch_op.create_index("ix_invoice_events_effective_on", ["effective_on"], unique=False)
    # Events from before this column: the UTC date they were recorded (the best we know).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE invoice_events SET effective_on = date(at) WHERE effective_on IS NULL")
    else:
        op.execute(
            "UPDATE invoice_events SET effective_on = (at AT TIME ZONE 'UTC')::date "
            "WHERE effective_on IS NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_events") as batch_op:
        batch_op.drop_index("ix_invoice_events_effective_on")
        batch_op.drop_column("effective_on")
