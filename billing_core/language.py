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


def language_tag(text: str) -> str | None:
    """The catalog language `text` names (a key of LOCALE_OF), or None.

    Case, `-` or `_` aside, as people write tags: "DE", "de-de", "de_DE" and "de-DE" are "de".
    A region other than the language's own locale ("de-CH", "en-GB") is None: its number and
    date formats would silently be de_DE's or en_US's; `[invoice] locale` sets those.
    """
    language, _, region = text.strip().replace("_", "-").lower().partition("-")
    if language not in LOCALE_OF:
        return None
    if region and f"{language}_{region.upper()}" != LOCALE_OF[language]:
        return None
    return language


def language_problem(language: str) -> str | None:
    """Why `language` cannot be an invoice's language, or None when it can (see
    `language_tag` for the spellings taken)."""
    if language_tag(language) is not None:
        return None
    return (
        f"{language[:20]!r} is not supported (use one of: {', '.join(SUPPORTED)}; any case, "
        "like DE or de-DE; another region's number and date formats are set with "
        "[invoice] locale, like de_CH)"
    )
