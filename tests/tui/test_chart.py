"""Charts: downsampled to the widget's width, redrawn at a bounded rate and only when on screen."""

from __future__ import annotations

import math

from textual.app import App, ComposeResult

from workbench.tui.widgets.chart import REDRAW_HZ, ChartSeries, LineChart


class ChartApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LineChart("test", id="chart")


async def test_a_100k_point_series_is_plotted_at_the_chart_width() -> None:
    app = ChartApp()
    async with app.run_test(size=(90, 24)) as pilot:
        chart = app.query_one(LineChart)
        n = 100_000
        xs = list(range(n))
        chart.set_series([ChartSeries("a", xs, [math.sin(x / 500) for x in xs]),
                          ChartSeries("b", xs, [math.cos(x / 500) for x in xs], yside="right")], key=1)
        plotted = chart.prepare_plot(chart.size.width)
        assert 0 < plotted <= 2 * (2 * chart.size.width + 2), "two series, at most ~2 points per column each"
        await pilot.pause(2 / REDRAW_HZ)
        assert chart.redraws >= 1


async def test_redraws_are_rate_limited_and_skip_unchanged_data() -> None:
    app = ChartApp()
    async with app.run_test(size=(90, 24)) as pilot:
        chart = app.query_one(LineChart)
        await pilot.pause(2 / REDRAW_HZ)
        before = chart.redraws
        xs: list[float] = []
        ys: list[float] = []
        for version in range(200):  # 200 updates arrive within a fraction of a second
            xs.append(version)
            ys.append(version * 0.5)
            chart.set_series([ChartSeries("a", xs, ys)], key=version)
        await pilot.pause(3 / REDRAW_HZ)
        after_burst = chart.redraws
        assert 1 <= after_burst - before <= 4, f"{after_burst - before} redraws for 200 updates"
        chart.set_series([ChartSeries("a", xs, ys)], key=199)  # same key: nothing new
        await pilot.pause(3 / REDRAW_HZ)
        assert chart.redraws == after_burst


async def test_non_finite_points_are_skipped_and_empty_charts_say_so() -> None:
    app = ChartApp()
    async with app.run_test(size=(60, 16)) as pilot:
        chart = app.query_one(LineChart)
        assert chart.prepare_plot(60) == 0
        chart.set_series([ChartSeries("loss", [1, 2, 3], [1.0, float("nan"), 0.5])], key=1)
        assert chart.prepare_plot(60) == 2
        await pilot.pause()


def test_fast_ansi_decoder_matches_rich() -> None:
    from rich.text import Text
    from textual_plotext.plot import Plot

    from workbench.tui.widgets.chart import ansi_to_text

    plot = Plot()
    xs = list(range(200))
    for i, color in enumerate(("cyan", "magenta", "green")):
        plot.plot(xs, [math.sin(x / 10) + i for x in xs], marker="braille", color=color, label=f"s{i}")
    plot.title("t")
    plot.plotsize(100, 25)
    plot._set_size(100, 25)
    ansi = plot.build()

    def styles(text: Text) -> list[list[str | None]]:
        rows = []
        for line in text.split("\n"):
            row: list[str | None] = [None] * len(line.plain)
            for span in line.spans:
                for k in range(span.start, min(span.end, len(row))):
                    row[k] = str(span.style)
            rows.append(row)
        return rows

    expected, fast = Text.from_ansi(ansi), ansi_to_text(ansi)
    assert fast.plain == expected.plain
    assert styles(fast) == styles(expected)
