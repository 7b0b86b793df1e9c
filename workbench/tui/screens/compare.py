"""Compare: pick two or more runs; their config differences, metrics per weight set, and overlaid curves."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Footer,
    SelectionList,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.selection_list import Selection

from workbench.tui.comparison import column_title, config_diff, metric_rows
from workbench.tui.monitor import RunView
from workbench.tui.widgets.chart import ChartSeries, LineChart
from workbench.tui.widgets.topbar import TopBar

REBUILD_EVERY_S = 1.0  # live runs change the tables at most this often (a rebuild resets the scroll)


class CompareScreen(Screen):
    BINDINGS = [
        Binding("a", "select_all", "All"),
        Binding("c", "clear", "None"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._picker_ids: list[str] = []
        self._labels: dict[str, str] = {}
        self._dirty = True
        self._shown_versions: tuple = ()

    def compose(self) -> ComposeResult:
        yield TopBar("compare")
        yield SelectionList[str](id="compare-picker")
        yield Static("", id="compare-hint")
        with TabbedContent(id="compare-tabs"):
            with TabPane("Metrics", id="compare-metrics-tab"):
                yield DataTable(id="compare-metrics", cursor_type="row", zebra_stripes=True)
            with TabPane("Config diff", id="compare-config-tab"):
                yield DataTable(id="compare-config", cursor_type="row", zebra_stripes=True)
            with TabPane("Curves", id="compare-curves-tab"):
                with Horizontal():
                    yield LineChart("Train loss (smoothed)", xlabel="step", id="compare-loss")
                    yield LineChart("Val accuracy (per weight set)", xlabel="step", id="compare-acc")
        yield Footer()

    @property
    def monitor(self):  # type: ignore[no-untyped-def]
        return self.app.monitor  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        self.set_interval(REBUILD_EVERY_S, self._rebuild_if_dirty)
        self.on_screen_resume()
        self.query_one(SelectionList).focus()

    def on_screen_resume(self) -> None:
        self._sync_picker()
        picker = self.query_one(SelectionList)
        for run_id in self.app.compare_marks:  # type: ignore[attr-defined]
            if run_id in self._picker_ids:
                picker.select(run_id)
        self._dirty = True
        self._rebuild_if_dirty()

    def on_runs_changed(self, changed: set[str] | None) -> None:
        self._sync_picker()
        if changed is None or set(changed) & set(self.selected_ids):
            self._dirty = True

    def _sync_picker(self) -> None:
        picker = self.query_one(SelectionList)
        with self.monitor.lock:
            views = self.monitor.ordered()
        ids = [v.id for v in views]
        if ids == self._picker_ids:
            return
        # The app's marks are the source of truth: they survive the picker being rebuilt, and runs
        # marked in Runs (x) before they reached this list are picked when they arrive.
        selected = set(picker.selected) | self.app.compare_marks  # type: ignore[attr-defined]
        self._labels = {v.id: f"{v.name}  ({v.id})" for v in views}
        picker.clear_options()
        picker.add_options([Selection(self._label(v.id, v.id in selected), v.id, v.id in selected, id=v.id)
                            for v in views])
        self._picker_ids = ids

    def _label(self, run_id: str, on: bool) -> Text:
        # "[x]" in the text too: the widget's own check box differs only by colour, invisible with NO_COLOR.
        # (Text, not str: a str prompt is parsed as markup, and "[x]" would vanish as a tag.)
        return Text(f"{'[x]' if on else '[ ]'} {self._labels.get(run_id, run_id)}")

    def _relabel(self) -> None:
        picker = self.query_one(SelectionList)
        selected = set(picker.selected)
        for run_id in self._picker_ids:
            picker.replace_option_prompt(run_id, self._label(run_id, run_id in selected))

    @property
    def selected_ids(self) -> list[str]:
        picked = set(self.query_one(SelectionList).selected)
        return [i for i in self._picker_ids if i in picked]

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        self._relabel()
        self.app.compare_marks.clear()  # type: ignore[attr-defined]
        self.app.compare_marks.update(self.selected_ids)  # type: ignore[attr-defined]
        self._dirty = True
        self._rebuild_if_dirty()

    def action_select_all(self) -> None:
        self.query_one(SelectionList).select_all()

    def action_clear(self) -> None:
        self.query_one(SelectionList).deselect_all()

    # -- the comparison ---------------------------------------------------------------------------------
    def _rebuild_if_dirty(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        with self.monitor.lock:
            views = [v for v in (self.monitor.get(i) for i in self.selected_ids) if v is not None]
            versions = tuple((v.id, v.version) for v in views)
            if versions == self._shown_versions:
                return
            self._shown_versions = versions
            self._rebuild(views)

    def _rebuild(self, views: list[RunView]) -> None:
        hint = self.query_one("#compare-hint", Static)
        tabs = self.query_one("#compare-tabs", TabbedContent)
        if len(views) < 2:
            hint.update("Pick two or more runs: move with ↑/↓, space selects (x marks runs in Runs).")
            hint.display = True
            tabs.display = False
            return
        hint.display = False
        tabs.display = True
        titles = [column_title(v) for v in views]
        self._fill(self.query_one("#compare-metrics", DataTable), "metric", titles, metric_rows(views))
        diff = config_diff([v.config for v in views])
        if not diff:
            diff = [("(no differences)", ["" for _ in views])]
        self._fill(self.query_one("#compare-config", DataTable), "config key", titles, diff)
        loss_series, acc_series = [], []
        for view, title in zip(views, titles):
            s = view.series
            loss_series.append(ChartSeries(title, s.loss_smooth.xs, s.loss_smooth.ys))
            for weights in sorted(s.eval, key=lambda w: (w != "raw", w)):
                if "val_acc" in s.eval[weights]:
                    xy = s.eval[weights]["val_acc"]
                    acc_series.append(ChartSeries(f"{title} {weights}", xy.xs, xy.ys))
        key = tuple((v.id, v.series.version) for v in views)
        self.query_one("#compare-loss", LineChart).set_series(loss_series, key=key)
        self.query_one("#compare-acc", LineChart).set_series(acc_series, key=key)

    @staticmethod
    def _fill(table: DataTable, first: str, titles: list[str], rows: list[tuple[str, list[str]]]) -> None:
        table.clear(columns=True)
        table.add_column(first, key="__label")
        for index, title in enumerate(titles):
            table.add_column(title, key=f"run{index}")
        for label, values in rows:
            # Text, not str: a DataTable parses str cells as markup, and "[raw]" or a run name may look like it.
            table.add_row(Text(label), *(Text(v) for v in values))
