"""The report's chart as PNG bytes: per currency, issued vs paid for the last 12 months and the
overdue aging bars. matplotlib with the Agg backend (no display, no network); CPU-bound, so
callers on an event loop run it in a thread.

Sized for Slack's image preview (1200 px wide, one 360 px row per currency, large type);
month and amount labels follow `locale` (Babel's CLDR data).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.numbers import format_compact_decimal, format_decimal, get_currency_symbol

from billing_core.metrics.facts import Tally
from billing_core.metrics.money_flow import AGING_BUCKETS, Aging


@dataclass(frozen=True)
class MonthMoney:
    """One month's issued and paid per currency."""

    first: date
    issued: Mapping[str, Tally]
    paid: Mapping[str, Tally]


ISSUED_COLOUR = "#3b6ea8"
PAID_COLOUR = "#5aa469"
AGING_COLOURS = ("#f2c14e", "#f08a4b", "#d1495b", "#8c1c2c")


def axis_amount(value: float, locale: str) -> str:
    """An axis label: grouped whole units below a million ("400,000", de: "400.000"), then
    the locale's short form ("1.1M", de: "1,1 Mio.")."""
    if abs(value) >= 1_000_000:
        return str(format_compact_decimal(value, locale=locale, fraction_digits=1))
    return str(format_decimal(round(value), format="#,##0", locale=locale))


def render_chart(
    months: Sequence[MonthMoney], aging: Mapping[str, Aging], locale: str = "en_US"
) -> bytes:
    """PNG bytes: one row per currency (sorted by code), issued vs paid bars per month on the
    left and the overdue balance per aging bucket on the right. With no money at all it still
    renders one row saying so, so callers always get a real image."""
    # The object API, not pyplot: no global figure state, so threads may render side by side;
    # the Agg canvas draws PNGs without any display.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    codes = sorted(
        {c for m in months for c in (*m.issued, *m.paid)} | {c for c, a in aging.items()}
    )
    rows = max(1, len(codes))
    fig = Figure(figsize=(12, 3.6 * rows), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 2, squeeze=False, width_ratios=(3, 1.3))
    # Month abbreviations, with the year under the first month and every January.
    labels = [
        format_date(m.first, "LLL", locale=locale)
        + (f"\n{m.first.year}" if n == 0 or m.first.month == 1 else "")
        for n, m in enumerate(months)
    ]
    if not codes:
        for ax in axes[0]:
            ax.axis("off")
        axes[0][0].text(0.5, 0.5, "No invoices issued or paid in these 12 months", ha="center")
    for row, code in enumerate(codes):
        money = FuncFormatter(lambda value, _pos: axis_amount(value, locale))
        unit = f"{code} ({get_currency_symbol(code, locale=locale)})"
        left, right = axes[row]
        xs = range(len(months))
        width = 0.4
        # Floats only to place pixels; every figure printed anywhere stays Decimal.
        issued = [float(m.issued.get(code, Tally()).amount) for m in months]
        paid = [float(m.paid.get(code, Tally()).amount) for m in months]
        left.bar([x - width / 2 for x in xs], issued, width, label="Issued", color=ISSUED_COLOUR)
        left.bar([x + width / 2 for x in xs], paid, width, label="Paid", color=PAID_COLOUR)
        left.set_xticks(list(xs), labels, fontsize=10)
        left.yaxis.set_major_formatter(money)
        left.set_ylabel(unit, fontsize=11)
        left.set_title(f"{code}: issued and paid per month", fontsize=13, loc="left")
        left.legend(fontsize=11, frameon=False, ncols=2, loc="lower right", bbox_to_anchor=(1, 1))
        left.spines[["top", "right"]].set_visible(False)
        buckets = aging.get(code, Aging()).buckets
        names = [label for label, _, _ in AGING_BUCKETS]
        right.bar(names, [float(buckets[n].amount) for n in names], color=AGING_COLOURS, width=0.6)
        right.yaxis.set_major_formatter(money)
        right.set_ylabel(unit, fontsize=11)
        right.tick_params(axis="x", labelsize=11)
        right.set_title(f"{code}: overdue, days past due", fontsize=13, loc="left")
        right.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
