"""Text as the PDF prints it: cleaned of what no font should draw, and wrapped to a width."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing_core.pdf.bundled_fonts import EmbeddedFont


def clean(text: str, *, multiline: bool = False) -> str:
    """NFC, no invisible format characters (soft hyphen, bidi marks), tabs as spaces."""
    text = unicodedata.normalize("NFC", text)
    if any(unicodedata.category(c) == "Cf" or c in "\t\r\v\f" for c in text):
        text = "".join(
            " " if c in "\t\v\f" else c
            for c in text.replace("\r\n", "\n").replace("\r", "\n")
            if unicodedata.category(c) != "Cf"
        )
    if not multiline:
        text = text.replace("\n", " ")
    return text.strip()


def address_lines(address: str) -> list[str]:
    """The address's non-empty lines, each cleaned."""
    lines = (line.strip() for line in clean(address, multiline=True).split("\n"))
    return [line for line in lines if line]


_NO_LINE_START = frozenset({"–", "—", "-", "/", "·", "•", ":", ";", "!", "?", "»", "«", "%"})


def wrap(text: str, font: EmbeddedFont, size: float, width: float) -> list[str]:
    """Lines of `text` no wider than `width`: breaks at spaces, and inside a word only when
    the word alone is wider than the line (after a hyphen or slash if one is close)."""
    lines: list[str] = []
    space = font.width(" ", size)
    for paragraph in text.split("\n"):
        words: list[str] = []
        for word in paragraph.split(" "):
            if not word:
                continue
            if words and word in _NO_LINE_START:
                words[-1] = f"{words[-1]} {word}"  # a dash never starts a line
            else:
                words.append(word)
        line, line_width = "", 0.0
        for word in words:
            word_width = font.width(word, size)
            if line and line_width + space + word_width <= width + 0.01:
                line, line_width = f"{line} {word}", line_width + space + word_width
                continue
            if line:
                lines.append(line)
            if word_width <= width + 0.01:
                line, line_width = word, word_width
                continue
            pieces = _break_word(word, font, size, width)
            lines.extend(pieces[:-1])
            line = pieces[-1]
            line_width = font.width(line, size)
        if line or not words:
            lines.append(line)
    # Blank lines at either end (an address ending in "\n") would only add space.
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    return lines


def _break_word(word: str, font: EmbeddedFont, size: float, width: float) -> list[str]:
    pieces = []
    while word and font.width(word, size) > width + 0.01:
        total, fit = 0.0, 0
        for char in word:
            total += font.width(char, size)
            if total > width + 0.01:
                break
            fit += 1
        fit = max(fit, 1)
        soft = max((word.rfind(c, 0, fit) for c in "-/_.,;:)"), default=-1)
        if soft + 1 >= fit / 2:
            fit = soft + 1
        pieces.append(word[:fit])
        word = word[fit:]
    pieces.append(word)
    return pieces
