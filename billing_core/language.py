"""Invoice languages: which are supported, and the locale each formats numbers and dates in.

Pure. The labels themselves are gettext catalogs (billing_core/pdf/locales/*/LC_MESSAGES/
invoice.po) read with Babel; English is the source language (the msgids).
"""

from __future__ import annotations

# The locale a language's invoices use unless `[invoice] locale` is set in the policy file.
LOCALE_OF: dict[str, str] = {
    "en": "en_US",
    "de": "de_DE",
    "fr": "fr_FR",
    "es": "es_ES",
    "it": "it_IT",
    "nl": "nl_NL",
    "pl": "pl_PL",
}
SUPPORTED = tuple(LOCALE_OF)


def language_problem(language: str) -> str | None:
    """Why `language` cannot be an invoice's language, or None when it can."""
    if language in LOCALE_OF:
        return None
    return f"{language[:20]!r} is not supported (use one of: {', '.join(SUPPORTED)})"
