"""A line chart that stays fast with 100,000-point series.

Two rules keep redraws cheap whatever the run length:

* every series is downsampled to the chart's width before plotting (min/max per column, so spikes stay);
* the chart redraws on a timer at most `REDRAW_HZ` times a second, and only if its data changed and it
  is on screen (a chart in a hidden tab or another screen costs nothing).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from workbench.tui.downsample import finite_pairs, minmax_downsample

REDRAW_HZ = 4.0
COLORS = ("cyan", "magenta", "green", "orange", "blue", "red", "yellow", "white")
# Without colour, series are told apart by their marker (the legend shows which is which).
MONO_MARKERS = ("•", "x", "+", "o", "*", "#", "=", "%")


_SGR = re.compile(r"\x1b\[([0-9;]*)m")


@lru_cache(maxsize=256)
def _style(codes: tuple[str, ...]) -> Style | None:
    """The style of a run of SGR codes (decoded once by rich, then cached: plotext uses only a few)."""
    if not codes:
        return None
    sample = Text.from_ansi("".join(f"\x1b[{c}m" for c in codes) + "x")
    return sample.spans[0].style if sample.spans else None  # type: ignore[return-value]


def ansi_to_text(ansi: str) -> Text:
    """plotext's output (SGR colour codes only) as a rich Text, ~4x faster than `Text.from_ansi`.

    The generic decoder handles every escape sequence a terminal knows; plotext writes only "set colour"
    and "reset", so a split on those codes is enough, and it keeps a redraw well inside its budget.
    """
    text = Text(no_wrap=True, end="")
    codes: list[str] = []
    parts = _SGR.split(ansi)
    for index, part in enumerate(parts):
        if index % 2:  # an SGR parameter string
            if part in ("", "0"):
                codes = []
            else:
                codes.append(part)
        elif part:
            text.append(part, _style(tuple(codes)))
    return text


@dataclass
class ChartSeries:
    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    yside: Literal["left", "right"] = "left"
    scale: float = 1.0  # applied after downsampling (e.g. bytes to MiB), so it costs nothing per point


class LineChart(PlotextPlot):
    DEFAULT_CSS = """
    LineChart { height: 1fr; width: 1fr; min-height: 6; }
    """

    def __init__(self, title: str, *, xlabel: str = "step", ylabel: str = "", right_label: str = "",
                 empty: str = "waiting for data", id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.chart_title = title
        self.xlabel = xlabel
        self.ylabel = ylabel
        self.right_label = right_label
        self.empty = empty
        self._series: list[ChartSeries] = []
        self._key: object = None
        self._dirty = True
        self.redraws = 0  # how many times the plot was rebuilt (tests check the rate limit)

    def on_mount(self) -> None:
        # PlotextPlot's own on_mount (theme set-up) runs too: Textual dispatches along the MRO.
        self.set_interval(1 / REDRAW_HZ, self._tick)

    def set_series(self, series: list[ChartSeries], key: object = None) -> None:
        """New data; `key` identifies it (e.g. run id and version): an unchanged key redraws nothing."""
        if key is not None and key == self._key:
            return
        self._key = key
        self._series = series
        self._dirty = True

    def on_resize(self) -> None:
        self._dirty = True

    def render(self) -> RenderResult:
        # As PlotextPlot.render, with the fast decoder for plotext's colour codes.
        plot = self.plt
        plot.plotsize(self.size.width, self.size.height)
        plot._set_size(self.size.width, self.size.height)
        plot.theme(self._get_plotext_theme_name(self.app.theme))
        return ansi_to_text(plot.build())

    def _tick(self) -> None:
        if self._dirty and self.is_on_screen and self.size.width > 0:
            self.redraw()

    def redraw(self) -> None:
        """Rebuild the plot from the current series (downsampled to the width) and repaint."""
        self._dirty = False
        self.redraws += 1
        self.prepare_plot(self.size.width or 80)
        self.refresh()

    def prepare_plot(self, width: int) -> int:
        """Load the downsampled series into plotext; returns the number of points plotted."""
        plt = self.plt
        plt.clear_figure()
        mono = self.app.no_color
        plotted = 0
        for index, series in enumerate(self._series):
            xs, ys = finite_pairs(series.xs, series.ys)
            if not xs:
                continue
            xs, ys = minmax_downsample(xs, ys, max(8, width))
            if series.scale != 1.0:
                ys = [y * series.scale for y in ys]
            plotted += len(xs)
            # A lone point (one evaluation so far) would be a single braille dot: draw it as a character.
            marker = MONO_MARKERS[index % len(MONO_MARKERS)] if mono or len(xs) == 1 else "braille"
            style = {"marker": marker} if mono else {"marker": marker, "color": COLORS[index % len(COLORS)]}
            plt.plot(xs, ys, label=series.label, yside=series.yside, **style)
        plt.title(self.chart_title if plotted else f"{self.chart_title} — {self.empty}")
        plt.xlabel(self.xlabel if plotted else "")
        if self.ylabel and plotted:
            plt.ylabel(self.ylabel)
        if self.right_label and plotted:
            plt.ylabel(self.right_label, yside="right")
        return plotted
