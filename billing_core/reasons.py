"""Reasons people give (a rejection, a void, later a credit or a dispute). Pure.

A reason is stored, printed in threads and reports, and exported to auditors: it must be
plain text. Control characters are refused rather than stripped, so what was typed is what
is kept; NUL in particular is refused by PostgreSQL's text type, and the same input must get
the same answer on every backend.
"""

from __future__ import annotations

import unicodedata

from billing_core.errors import InvalidReason

MAX_REASON_LENGTH = 2000
_ALLOWED_CONTROLS = {"\n", "\t"}


def check_reason(text: str, what: str) -> str:
    """`text` stripped, or InvalidReason saying what is wrong (`what`: "a rejection")."""
    reason = unicodedata.normalize("NFC", text.strip())
    if not reason:
        raise InvalidReason(f"{what} needs a reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidReason(f"the reason is too long (at most {MAX_REASON_LENGTH} characters)")
    bad = [
        c for c in reason if unicodedata.category(c) in ("Cc", "Cs") and c not in _ALLOWED_CONTROLS
    ]
    if bad:
        raise InvalidReason(f"the reason contains control character U+{ord(bad[0]):04X}")
    return reason
