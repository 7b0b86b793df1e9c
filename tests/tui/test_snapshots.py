"""Snapshot tests of each screen (pytest-textual-snapshot), with deterministic runs and fake techniques.

Update after an intended visual change with `--snapshot-update`, and review the SVGs in the diff.
"""

from __future__ import annotations

from pathlib import Path

from workbench.tui.app import WorkbenchApp
from workbench.tui.widgets.chart import LineChart
from workbench.tui.widgets.run_table import RunTable

WIDE = (100, 32)
SMALL = (80, 24)


def settle(helpers, rows: int = 0, panel: str | None = None, select: str | None = None):  # type: ignore[no-untyped-def]
    """A run_before that waits for the runs to load and every visible chart to draw."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        if rows:
            await helpers.wait_for(pilot, lambda: app.screen.query(RunTable) and app.screen.query_one(RunTable).row_count == rows,
                                   what=f"{rows} runs")
        if select:
            app.screen.query_one(RunTable).select(select)
        if panel:
            app.screen.query_one("#run-panels").active = f"panel-{panel}"
        await pilot.pause(0.1)
        await helpers.wait_for(pilot, lambda: all(c.redraws and not c._dirty for c in app.screen.query(LineChart)
                                                  if c.is_on_screen), what="charts drawn")
        app.clear_notifications()
        await pilot.pause(0.05)

    return run_before


def test_builder_techniques_with_a_conflict(workspace: Path, helpers, snap_compare) -> None:
    app = WorkbenchApp(workspace)
    assert snap_compare(app, press=["space", "down", "space"], terminal_size=WIDE)


def test_builder_base_run_80x24(workspace: Path, helpers, snap_compare) -> None:
    app = WorkbenchApp(workspace)
    assert snap_compare(app, press=["shift+tab", "left"], terminal_size=SMALL)


def test_builder_review(workspace: Path, helpers, snap_compare) -> None:
    app = WorkbenchApp(workspace)
    assert snap_compare(app, press=["space", "shift+tab", "right"], terminal_size=WIDE)


def test_runs_overview(sample_workspace: Path, helpers, snap_compare) -> None:
    app = WorkbenchApp(sample_workspace)
    assert snap_compare(app, terminal_size=WIDE, run_before=settle(helpers, rows=3, select="20250101-120000-aaaa"))


def test_runs_failed_run_80x24(sample_workspace: Path, helpers, snap_compare) -> None:
    app = WorkbenchApp(sample_workspace)
    assert snap_compare(app, terminal_size=SMALL, run_before=settle(helpers, rows=3, select="20250101-130000-bbbb"))


def test_runs_loss_80x24(sample_workspace: Path, helpers, snap_compare) -> None:
    app = WorkbenchApp(sample_workspace)
    assert snap_compare(app, terminal_size=SMALL,
                        run_before=settle(helpers, rows=3, panel="loss", select="20250101-120000-aaaa"))


def test_runs_eval_ema_vs_raw(sample_workspace: Path, helpers, snap_compare) -> None:
    app = WorkbenchApp(sample_workspace)
    assert snap_compare(app, terminal_size=WIDE,
                        run_before=settle(helpers, rows=3, panel="eval", select="20250101-120000-aaaa"))


def test_runs_vram_with_cuda(sample_workspace: Path, helpers, snap_compare) -> None:
    app = WorkbenchApp(sample_workspace)
    assert snap_compare(app, terminal_size=WIDE,
                        run_before=settle(helpers, rows=3, panel="vram", select="20250101-130000-bbbb"))


def test_runs_timeline(sample_workspace: Path, helpers, snap_compare) -> None:
    app = WorkbenchApp(sample_workspace)
    assert snap_compare(app, terminal_size=SMALL,
                        run_before=settle(helpers, rows=3, panel="timeline", select="20250101-120000-aaaa"))


def test_compare_metrics(sample_workspace: Path, helpers, snap_compare) -> None:
    app = WorkbenchApp(sample_workspace, initial_mode="compare")
    app.compare_marks.update({"20250101-120000-aaaa", "20250101-140000-cccc"})
    assert snap_compare(app, terminal_size=WIDE, run_before=settle(helpers))


def test_compare_curves(sample_workspace: Path, helpers, snap_compare) -> None:
    app = WorkbenchApp(sample_workspace, initial_mode="compare")
    app.compare_marks.update({"20250101-120000-aaaa", "20250101-130000-bbbb"})

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await helpers.wait_for(pilot, lambda: len(pilot.app.screen.selected_ids) == 2, what="two runs picked")
        pilot.app.screen.query_one("#compare-tabs").active = "compare-curves-tab"
        await settle(helpers)(pilot)

    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)
