"""Named failures of the billing engine.

Every error carries a message written for the person who caused it: the chat handlers
and the CLI show `str(error)` as it is.
"""

from __future__ import annotations

from dataclasses import dataclass


class BillingError(Exception):
    """Base class: a refusal with a reason a user can act on."""


class InvalidAmount(BillingError, ValueError):
    """An amount that is not a finite, plain decimal within limits."""


class InvalidCurrency(BillingError, ValueError):
    """Not an ISO 4217 currency code."""


class CurrencyMismatch(BillingError, TypeError):
    """Arithmetic or comparison across two currencies."""


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field, e.g. ("client.email", "missing")."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class RecordInvalid(BillingError):
    """A record's data is malformed (wrong types, bad amounts). Lists every problem."""

    def __init__(self, problems: list[FieldProblem], record_id: str | None = None) -> None:
        self.problems = list(problems)
        self.record_id = record_id
        where = f"record {record_id}" if record_id else "record"
        super().__init__(f"{where} is invalid: " + "; ".join(str(p) for p in self.problems))


class RecordNotReady(BillingError):
    """A well-formed record that lacks what an invoice needs. Lists every missing field."""

    def __init__(self, record_id: str, problems: list[FieldProblem]) -> None:
        self.record_id = record_id
        self.problems = list(problems)
        super().__init__(
            f"record {record_id} is not ready to invoice: "
            + "; ".join(str(p) for p in self.problems)
        )


class InvoiceInvalid(BillingError):
    """A draft that can no longer be approved as it stands (e.g. its due date has passed)."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = list(problems)
        super().__init__(
            "this draft cannot be approved: "
            + "; ".join(str(p) for p in self.problems)
            + ". Reject it, fix the record and draft it again."
        )


class ImportFailed(BillingError):
    """A file of records with bad rows; nothing from it was imported."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            f"nothing imported, {len(self.problems)} problem(s): " + "; ".join(self.problems)
        )


class RecordNotFound(BillingError, LookupError):
    def __init__(self, record_id: str) -> None:
        self.record_id = record_id
        super().__init__(f"no record with ID {record_id!r}")


class InvoiceNotFound(BillingError, LookupError):
    def __init__(self, reference: str, hint: str = "") -> None:
        self.reference = reference
        super().__init__(f"no invoice {reference!r}" + (f" ({hint})" if hint else ""))


class InvalidReason(BillingError, ValueError):
    """A reason that is empty, too long or not plain text."""


class InvalidCategory(BillingError, ValueError):
    """A rejection category that is not one of status.REJECTION_CATEGORIES."""


class InvalidMonth(BillingError, ValueError):
    """A month that is not written YYYY-MM."""


class DocumentUnavailable(BillingError):
    """A PDF that cannot be had here (no number yet, or this process renders none)."""


class FileUnreadable(BillingError):
    """A file given on the command line that cannot be read or written."""


class IllegalTransition(BillingError):
    """A status change the transition table does not allow."""


class AlreadyDecided(IllegalTransition):
    """A draft that was already decided (double clicks, stale buttons). `by` is who decided;
    the message leaves them out, for an adapter to name them its own way."""

    def __init__(self, status: str, number: str | None = None, by: str | None = None) -> None:
        self.status = status
        self.number = number
        self.by = by
        what = f"already {status}"
        if number:
            what += f" as {number}"
        super().__init__(f"This invoice was {what}.")


class AlreadyHandled(BillingError):
    """A request that was already carried out (a repeated delivery of the same request).
    Nothing was changed this time; `invoice_id` is what the first one changed, if anything."""

    def __init__(self, key: str, invoice_id: int | None = None) -> None:
        self.key = key
        self.invoice_id = invoice_id
        super().__init__("This request was already handled; nothing was changed again.")


class NotAllowed(BillingError, PermissionError):
    """The user may not do this (not an approver, not the owner, four-eyes rule)."""


class NotAnApprover(NotAllowed):
    pass


class FourEyesRequired(NotAllowed):
    pass


class PaymentRefused(BillingError):
    """A payment that would overpay the balance, or on an invoice that takes none."""


class CreditRefused(BillingError):
    """A credit note that may not be drafted or issued: the reason says why."""


class StoreBusy(BillingError):
    """The database is held by someone else for longer than we wait; nothing was changed."""

    def __init__(self) -> None:
        super().__init__(
            "The invoice store is busy right now (another process is holding it); nothing "
            "was changed. Please try again in a moment."
        )


class ConfigError(BillingError):
    """Bad keys or values in the environment or the policy file: `problems` holds every one
    found, each a line naming its key (`invoice.language: 'xx' is not supported ...`); the
    message is those lines. The CLI exits 2 on it, as for a usage error."""

    def __init__(self, *problems: str) -> None:
        self.problems: tuple[str, ...] = problems
        super().__init__("\n".join(problems))

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), self.problems)

    def within(self, prefix: str) -> ConfigError:
        """The same problems, each line prefixed (`bad.toml: `)."""
        return ConfigError(*(f"{prefix}{problem}" for problem in self.problems))


class UnsupportedCharacters(BillingError):
    """Text no bundled font can show (e.g. CJK); names the characters."""

    def __init__(self, characters: str, field: str | None = None) -> None:
        self.characters = characters
        self.field = field
        listed = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in characters[:10])
        where = f" in {field}" if field else ""
        super().__init__(
            f"cannot render{where}: no bundled font has {listed}; "
            "supported scripts are Latin, Greek and Cyrillic"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # Survives the trip back from a render worker process with its fields intact.
        return (type(self), (self.characters, self.field))
