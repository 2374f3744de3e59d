"""One repository per aggregate; `billing_core.store.unit_of_work.UnitOfWork` hangs them off
one session (one transaction)."""
