"""Audit events that belong to no invoice: the policy a process started with."""

from __future__ import annotations

import hashlib
from datetime import datetime

from billing_core.usecases.engine import Engine

POLICY_LOADED = "policy_loaded"


class Auditing:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def policy_sha256(self) -> str:
        """SHA-256 (hex) of the policy in force, as parsed (defaults included): `repr` of the
        frozen dataclasses, so the same file and defaults always give the same hash."""
        return hashlib.sha256(repr(self.engine.policy).encode("utf-8")).hexdigest()

    async def policy_loaded(self, source: str | None, now: datetime) -> str:
        """Record in the audit trail that a process started with this policy (issue 15: the
        trail says under which rules approvals were given); returns the hash. `source`: the
        policy file's path, None for the built-in defaults."""
        digest = self.policy_sha256()
        async with self.engine.store.unit_of_work() as uow:
            uow.history.audit(
                now, POLICY_LOADED, "invoicebot", {"sha256": digest, "source": source}
            )
        return digest
