"""Make the DejaVu Sans subsets shipped in this folder. Run by hand, never at install time.

    .venv/bin/python billing_core/pdf/fonts/make_subset.py [--source-dir DIR]

Reads DejaVuSans.ttf and DejaVuSans-Bold.ttf (Debian/Ubuntu package fonts-dejavu-core puts
them in /usr/share/fonts/truetype/dejavu/) and writes DejaVuSans-Subset.ttf and
DejaVuSans-Bold-Subset.ttf next to this script. Commit the .ttf files it writes; the renderer
decides what it can print from their cmap (billing_core/pdf/bundled_fonts.py), so widening
SCRIPT_RANGES is the one place to add a script.

Why these options:
- Only the ranges below: the whole font is 700 KB per weight; these ranges decide what the
  renderer accepts. A PDF embeds only the glyphs it shows (billing_core/pdf/subsetting.py).
- No hinting, no OpenType layout tables: borb does no shaping or kerning, and PDF viewers
  ignore TrueType hinting at today's resolutions.
- No glyph names (post table format 3): fontTools then names each glyph after its cmap entry,
  and borb builds the PDF's ToUnicode map from those names. With DejaVu's own names two
  letters went wrong ("Omega" is U+2126 OHM SIGN in the Adobe Glyph List, so Greek Ω
  could not be encoded at all).
- The family name stays "DejaVu Sans": the licence only forbids "Bitstream", "Vera", "Arev"
  in the name of a modified font.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE_DIR = Path("/usr/share/fonts/truetype/dejavu")

WEIGHTS = {
    "DejaVuSans.ttf": "DejaVuSans-Subset.ttf",
    "DejaVuSans-Bold.ttf": "DejaVuSans-Bold-Subset.ttf",
}

# (first, last) code points, inclusive. Names and descriptions are NFC-normalised before the
# coverage check, so precomposed letters are enough and combining marks are left out.
SCRIPT_RANGES: list[tuple[int, int]] = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 Supplement: ß ø é ü £ ¥ § © « » ¼ ½ × ÷
    (0x0100, 0x017F),  # Latin Extended-A: Ł ő ş ž č ę
    (0x0180, 0x024F),  # Latin Extended-B: Ș ș Ț ț ǅ ƒ
    (0x02BB, 0x02BC),  # ʻ ʼ (Hawaiian okina, Ukrainian apostrophe)
    (0x02C6, 0x02C7),  # ˆ ˇ
    (0x02C9, 0x02C9),  # ˉ
    (0x02D8, 0x02DD),  # ˘ ˙ ˚ ˛ ˜ ˝
    (0x0370, 0x03FF),  # Greek and Coptic
    (0x0400, 0x045F),  # Cyrillic: Russian, Ukrainian, Belarusian, Serbian, Bulgarian, ...
    (0x0490, 0x04FF),  # Cyrillic extended: Ґ ґ, Kazakh, Tatar, Uzbek, Mongolian letters
    (0x2000, 0x206F),  # General Punctuation: – — ‘ ’ “ ” „ • … ‰ and the spaces babel emits
    (0x20A0, 0x20CF),  # Currency Symbols: € ₽ ₺ ₹ ₴ ₩ ₪ ₫ ₱ ₿
    (0x2116, 0x2116),  # №
    (0x2122, 0x2122),  # ™
    (0x2212, 0x2212),  # − minus sign
    (0x2215, 0x2215),  # ∕
    (0x2219, 0x2219),  # ∙
    (0x2264, 0x2265),  # ≤ ≥
]


def unicodes() -> list[int]:
    """Every code point the subset asks for (the font may lack a few; those stay out)."""
    return [cp for first, last in SCRIPT_RANGES for cp in range(first, last + 1)]


def options() -> subset.Options:
    opts = subset.Options()
    opts.hinting = False
    opts.layout_features = []
    opts.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM"]
    opts.glyph_names = False
    opts.notdef_outline = True  # a visible box rather than nothing, should one ever slip through
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the copyright and licence records
    opts.recalc_timestamp = False
    return opts


def make(source: Path, target: Path) -> None:
    font = TTFont(source, recalcTimestamp=False)  # keep the source date: same input, same bytes
    subsetter = subset.Subsetter(options())
    subsetter.populate(unicodes=unicodes())
    subsetter.subset(font)
    font.save(target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()[:16]
    covered = len(TTFont(target).getBestCmap())
    print(f"{target.name}: {target.stat().st_size} bytes, {covered} characters, sha256 {digest}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", type=Path, default=DEFAULT_SOURCE_DIR)
    args = parser.parse_args()
    for source_name, target_name in WEIGHTS.items():
        make(args.source_dir / source_name, HERE / target_name)


if __name__ == "__main__":
    main()
