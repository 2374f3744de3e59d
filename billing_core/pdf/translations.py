"""The PDF's labels in the invoice's language: gettext catalogs (`locales/LANG/LC_MESSAGES/
invoice.po`), read with Babel and compiled in memory at first use (no build step, no
network). English is the source language: its labels are the msgids themselves.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "invoice"


def catalog_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language` (English, or a language without a catalog: the msgids)."""
    path = catalog_path(language)
    if language == "en" or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
