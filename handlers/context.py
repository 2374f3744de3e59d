"""What every listener needs, handed over by the composition root (`bot.server`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from billing_core.service import Billing
from handlers.delivery import SlackDelivery


@dataclass
class HandlerContext:
    billing: Billing
    delivery: SlackDelivery
    clock: Callable[[], datetime]
    team_id: str | None = None  # this workspace, from auth.test; other teams are refused

    def foreign_team(self, team_id: str | None) -> bool:
        """True for a payload claiming another workspace than the one we are installed in."""
        return bool(self.team_id and team_id and team_id != self.team_id)


FOREIGN_TEAM = "This invoicebot is installed in another workspace; nothing was changed."
