"""audit trail: audit_events, a hash chain started by this migration

- `audit_events` holds one row per event (id, at, kind, invoice_id, actor, payload,
  prev_hash, hash); billing_core.audit says what the hash covers. Ids are written by the
  application under the chain's lock (no autoincrement).
- The chain starts here with a `chain_started` event (actor "migration") saying how many
  history rows existed before it: those are not in the chain (they were never hashed when
  written), and the trail says so. Every later history row gets its event in the same
  transaction.

Revision ID: 0005
Revises: 0004
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from billing_core.audit import GENESIS, event_hash
from billing_core.store.repositories.audit import audit_key

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"], unique=False)
    op.create_index(
        op.f("ix_audit_events_invoice_id"), "audit_events", ["invoice_id"], unique=False
    )
    bind = op.get_bind()
    existing = bind.execute(sa.text("SELECT count(*) FROM invoice_events")).scalar_one()
    at = datetime.now(UTC).replace(microsecond=0)
    fields = {
        "id": 1,
        "at": at,
        "kind": "chain_started",
        "invoice_id": None,
        "actor": "migration",
        "payload": {
            "migration": revision,
            "history_rows_before": int(existing),
            "note": "the chain starts here; history rows written before it are not chained",
        },
        "prev_hash": GENESIS,
    }
    # SQLite stores naive UTC text (as the model's UtcDateTime does).
    stored_at = at.replace(tzinfo=None) if bind.dialect.name == "sqlite" else at
    op.bulk_insert(table, [{**fields, "at": stored_at, "hash": event_hash(audit_key(), **fields)}])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_events_invoice_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_at"), table_name="audit_events")
    op.drop_table("audit_events")
