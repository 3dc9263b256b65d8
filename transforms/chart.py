"""The coverage-by-village chart: 60+ first-dose coverage per village against the target,
highest first, titled with the township and the cut-off date so that it reads on its own.

Chinese labels need a CJK font; without one matplotlib draws empty boxes, so the chart
refuses to draw rather than ship them. ``make`` installs a free one (see the Makefile).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from functools import cache

from matplotlib import font_manager
from matplotlib.figure import Figure

from transforms.numbers import chinese_date, rate_pct, target_pct
from transforms.report_model import VillageCoverage
from transforms.vocabulary import (
    CHART_AXIS_LABEL,
    CHART_FONTS,
    CHART_TARGET_LABEL,
    CHART_TITLE,
)

BELOW_TARGET_COLOR = "#c0392b"
AT_TARGET_COLOR = "#2e6da4"


class NoCjkFont(RuntimeError):
    """No font that can draw Chinese is installed."""


@cache
def cjk_font_path() -> str:
    """The file of the first installed font of CHART_FONTS."""
    for family in CHART_FONTS:
        try:
            return font_manager.findfont(
                font_manager.FontProperties(family=family), fallback_to_default=False
            )
        except ValueError:
            continue
    raise NoCjkFont(
        f"none of the fonts {', '.join(CHART_FONTS)} is installed; the chart's Chinese labels "
        "would show as empty boxes. Install one, e.g. `apt-get install fonts-wqy-microhei`."
    )


def chart_order(villages: tuple[VillageCoverage, ...]) -> list[VillageCoverage]:
    """The villages with a rate, highest coverage first; equal rates in master-data order."""
    shown = [v for v in villages if v.v60_dose1_pct is not None]
    return sorted(shown, key=lambda v: -v.v60_dose1_pct)


def chart_title(township: str, cutoff: dt.date) -> str:
    """The chart's one title: township and cut-off date, as the file may travel alone."""
    return CHART_TITLE.format(township=township, date=chinese_date(cutoff))


def coverage_figure(
    villages: tuple[VillageCoverage, ...], target: Decimal, township: str, cutoff: dt.date
) -> Figure:
    """A horizontal bar per village (highest coverage at the top), the target as a line."""
    font = font_manager.FontProperties(fname=cjk_font_path())
    shown = chart_order(villages)
    names = [v.village for v in shown]
    rates = [float(v.v60_dose1_pct) for v in shown]
    colors = [BELOW_TARGET_COLOR if v.v60_dose1_pct < target else AT_TARGET_COLOR for v in shown]
    # A bare Figure (not pyplot): no display backend, no global state between runs.
    figure = Figure(figsize=(8, 0.38 * max(len(shown), 4) + 1.4), dpi=150)
    axes = figure.subplots()
    positions = list(range(len(shown)))
    axes.barh(positions, rates, color=colors, height=0.65)
    axes.set_yticks(positions, names, fontproperties=font)
    axes.invert_yaxis()
    axes.set_xlim(0, 105)
    axes.axvline(float(target), color="#555555", linestyle="--", linewidth=1)
    axes.text(
        float(target),
        -0.9,
        f"{CHART_TARGET_LABEL} {target_pct(target)} ",
        fontproperties=font,
        ha="right",
        fontsize=9,
    )
    for y, v in zip(positions, shown, strict=True):
        axes.text(
            float(v.v60_dose1_pct) + 0.8,
            y,
            rate_pct(v.v60_dose1_pct),
            va="center",
            fontproperties=font,
            fontsize=8,
        )
    axes.set_xlabel(CHART_AXIS_LABEL, fontproperties=font)
    axes.set_title(chart_title(township, cutoff), fontproperties=font, pad=18)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return figure


def render_coverage_chart(
    villages: tuple[VillageCoverage, ...], target: Decimal, township: str, cutoff: dt.date
) -> bytes:
    """The coverage figure as PNG, without the software's name, so that the same figures give
    the same bytes."""
    figure = coverage_figure(villages, target, township, cutoff)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
