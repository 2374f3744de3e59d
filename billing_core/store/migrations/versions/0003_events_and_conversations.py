"""domain events for subscribers, conversations out of the invoice, withdrawn drafts, Action names

- `conversations` takes each invoice's chat thread (workspace, channel, thread, buttons
  message, the PDFs shared there) out of `invoices` and `documents`; threads stay intact.
- `outbox` rows become domain events for a named subscriber: `kind` (chat instructions such
  as publish_draft) becomes `event` (draft_created, ...), every existing row belongs to the
  "slack" subscriber, and numbered invoices without a stored final PDF get one queued for the
  "documents" subscriber (before, only a successful chat delivery rendered it).
- History rewrite, done once here, before anything is built on the events: the loose action
  strings become `Action` values ("send" -> "mark_sent", "payment" -> "part_pay" or
  "settle"), and drafts withdrawn because the chat refused them (stored as rejections)
  become `withdrawn`, so the correction figures count only people's rejections.
- `request_keys` for idempotent requests.

Revision ID: 0003
Revises: 0002
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KIND_TO_EVENT = {
    "publish_draft": "draft_created",
    "publish_approval": "invoice_approved",
    "publish_rejection": "draft_rejected",
    "nudge": "nudge_due",
    "digest": "digest_due",
}
NOTE_TO_EVENT = {"sent": "invoice_sent", "paid": "payment_recorded", "void": "invoice_voided"}


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)

    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("adapter", sa.String(length=16), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("thread", sa.String(length=32), nullable=True),
        sa.Column("actions_message", sa.String(length=32), nullable=True),
        sa.Column("posted", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name="fk_conversations_invoice_id_invoices"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
        sa.UniqueConstraint("adapter", "invoice_id", name="uq_conversations_adapter_invoice"),
    )
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.create_index("ix_conversations_invoice_id", ["invoice_id"], unique=False)

    posted: dict[int, dict[str, str]] = {}
    for invoice_id, kind, file_id in bind.execute(
        sa.text(
            "SELECT invoice_id, kind, posted_file_id FROM documents "
            "WHERE posted_file_id IS NOT NULL"
        )
    ):
        posted.setdefault(invoice_id, {})[f"{kind}_pdf"] = file_id
    threads = bind.execute(
        sa.text(
            "SELECT id, team_id, channel_id, thread_ts, buttons_ts FROM invoices "
            "WHERE channel_id IS NOT NULL"
        )
    ).all()
    conversations = sa.table(
        "conversations",
        sa.column("adapter", sa.String),
        sa.column("invoice_id", sa.Integer),
        sa.column("workspace", sa.String),
        sa.column("channel", sa.String),
        sa.column("thread", sa.String),
        sa.column("actions_message", sa.String),
        sa.column("posted", sa.JSON),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    if threads:
        op.bulk_insert(
            conversations,
            [
                {
                    "adapter": "slack",
                    "invoice_id": row.id,
                    "workspace": row.team_id,
                    "channel": row.channel_id,
                    "thread": row.thread_ts,
                    "actions_message": row.buttons_ts,
                    "posted": posted.get(row.id, {}),
                    "updated_at": now,
                }
                for row in threads
            ],
        )

    with op.batch_alter_table("invoices") as batch_op:
        for column in ("team_id", "channel_id", "thread_ts", "buttons_ts"):
            batch_op.drop_column(column)
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("posted_file_id")

    # -- the outbox: domain events per subscriber -------------------------------------------
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_pending")
        batch_op.drop_constraint("uq_outbox_dedupe_key", type_="unique")
        batch_op.add_column(sa.Column("consumer", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("event", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("progress", sa.JSON(), nullable=True))
    for row_id, kind, payload in bind.execute(sa.text("SELECT id, kind, payload FROM outbox")):
        event = KIND_TO_EVENT.get(kind)
        if kind == "invoice_event":
            event = NOTE_TO_EVENT.get(str((_json(payload) or {}).get("action")), "invoice_sent")
        bind.execute(
            sa.text("UPDATE outbox SET consumer = 'slack', event = :event WHERE id = :id"),
            {"event": event or kind, "id": row_id},
        )
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.alter_column("consumer", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("event", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column("kind")
        batch_op.alter_column(
            "next_attempt_at", existing_type=sa.DateTime(timezone=True), nullable=True
        )
        batch_op.create_unique_constraint(
            "uq_outbox_consumer_dedupe_key", ["consumer", "dedupe_key"]
        )
        batch_op.create_index(
            "ix_outbox_pending", ["consumer", "done_at", "next_attempt_at"], unique=False
        )
    missing_final = bind.execute(
        sa.text(
            "SELECT id FROM invoices WHERE number IS NOT NULL AND id NOT IN "
            "(SELECT invoice_id FROM documents WHERE kind = 'final')"
        )
    ).all()
    outbox = sa.table(
        "outbox",
        sa.column("consumer", sa.String),
        sa.column("event", sa.String),
        sa.column("invoice_id", sa.Integer),
        sa.column("payload", sa.JSON),
        sa.column("dedupe_key", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("attempts", sa.Integer),
        sa.column("next_attempt_at", sa.DateTime(timezone=True)),
    )
    if missing_final:
        op.bulk_insert(
            outbox,
            [
                {
                    "consumer": "documents",
                    "event": "invoice_approved",
                    "invoice_id": invoice_id,
                    "payload": {"invoice_id": invoice_id},
                    "dedupe_key": f"invoice_approved:{invoice_id}",
                    "created_at": now,
                    "attempts": 0,
                    "next_attempt_at": None,
                }
                for (invoice_id,) in missing_final
            ],
        )

    # -- the history: Action values, and withdrawals that are not rejections ------------------
    op.execute("UPDATE invoice_events SET action = 'mark_sent' WHERE action = 'send'")
    op.execute(
        "UPDATE invoice_events SET action = 'settle' WHERE action = 'payment' AND to_status = 'paid'"
    )
    op.execute("UPDATE invoice_events SET action = 'part_pay' WHERE action = 'payment'")
    op.execute("UPDATE invoice_events SET to_status = 'withdrawn' WHERE action = 'withdraw'")
    op.execute(
        "UPDATE invoices SET status = 'withdrawn', rejection_category = NULL "
        "WHERE status = 'rejected' AND id IN "
        "(SELECT invoice_id FROM invoice_events WHERE action = 'withdraw')"
    )

    op.create_table(
        "request_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_request_keys"),
    )
    with op.batch_alter_table("request_keys") as batch_op:
        batch_op.create_index("ix_request_keys_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("request_keys")
    op.execute(
        "UPDATE invoices SET status = 'rejected', rejection_category = 'other' "
        "WHERE status = 'withdrawn'"
    )
    op.execute("UPDATE invoice_events SET to_status = 'rejected' WHERE action = 'withdraw'")
    op.execute("UPDATE invoice_events SET action = 'payment' WHERE action IN ('part_pay', 'settle')")
    op.execute("UPDATE invoice_events SET action = 'send' WHERE action = 'mark_sent'")
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM outbox WHERE consumer <> 'slack'"))
    event_to_kind = {v: k for k, v in KIND_TO_EVENT.items()}
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_pending")
        batch_op.drop_constraint("uq_outbox_consumer_dedupe_key", type_="unique")
        batch_op.add_column(sa.Column("kind", sa.String(length=32), nullable=True))
    bind.execute(
        sa.text("UPDATE outbox SET next_attempt_at = created_at WHERE next_attempt_at IS NULL")
    )
    for row_id, event in bind.execute(sa.text("SELECT id, event FROM outbox")):
        kind = event_to_kind.get(event, "invoice_event")
        bind.execute(sa.text("UPDATE outbox SET kind = :k WHERE id = :id"), {"k": kind, "id": row_id})
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column(
            "next_attempt_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.drop_column("event")
        batch_op.drop_column("consumer")
        batch_op.drop_column("progress")
        batch_op.create_unique_constraint("uq_outbox_dedupe_key", ["dedupe_key"])
        batch_op.create_index("ix_outbox_pending", ["done_at", "next_attempt_at"], unique=False)
    with op.batch_alter_table("documents") as batch_op:
        batch_op.add_column(sa.Column("posted_file_id", sa.String(length=32), nullable=True))
    with op.batch_alter_table("invoices") as batch_op:
        for column in ("team_id", "channel_id", "thread_ts", "buttons_ts"):
            batch_op.add_column(sa.Column(column, sa.String(length=32), nullable=True))
    for row in bind.execute(
        sa.text(
            "SELECT invoice_id, workspace, channel, thread, actions_message FROM conversations "
            "WHERE adapter = 'slack'"
        )
    ):
        bind.execute(
            sa.text(
                "UPDATE invoices SET team_id = :w, channel_id = :c, thread_ts = :t, "
                "buttons_ts = :b WHERE id = :id"
            ),
            {"w": row.workspace, "c": row.channel, "t": row.thread, "b": row.actions_message,
             "id": row.invoice_id},
        )  # fmt: skip
    op.drop_table("conversations")
