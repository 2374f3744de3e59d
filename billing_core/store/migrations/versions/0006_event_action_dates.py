"""index: invoice_events (action, effective_on)

Every report and digest total asks for the events of some actions on the business dates of
a period (approvals, payments, reversals, credit notes, rejections). With an index on the
date alone a month's query read every event of the month and then checked its action; at
100,000 invoices (bench/scale.py) the month report read the month's 60,000 events five times.
Adds an index; rewrites nothing.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_invoice_events_action_effective_on",
        "invoice_events",
        ["action", "effective_on"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_invoice_events_action_effective_on", table_name="invoice_events")
