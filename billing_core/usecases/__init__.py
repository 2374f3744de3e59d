"""Use cases by capability, each a small class over the ports (`ports.py`).

`Billing` (billing.py) wires them over one store, one policy and the subscribers of the
domain events; callers (CLI, chat handlers, REST API, scheduler) pass who acts and `now`.
"""

from billing_core.usecases.billing import Billing

__all__ = ["Billing"]
