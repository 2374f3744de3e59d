"""Alembic environment: runs on the connection `billing_core.store.engine` hands it."""

from alembic import context

from billing_core.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we only run migrations programmatically
    raise RuntimeError("run migrations with `invoicebot db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
