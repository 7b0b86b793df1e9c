"""Runs and Compare, driven with the keyboard (Pilot): existing runs, launch → live panels → stop, actions."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

from textual.widgets import DataTable, Log

from workbench.tui import actions
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.builder import BuilderScreen
from workbench.tui.screens.compare import CompareScreen
from workbench.tui.screens.runs import RunsScreen
from workbench.tui.widgets.chart import LineChart
from workbench.tui.widgets.run_table import RunTable

SIZE = (100, 32)


def runs_screen(app: WorkbenchApp) -> RunsScreen | None:
    return app.screen if isinstance(app.screen, RunsScreen) else None


async def test_runs_started_before_the_ui_are_listed_with_their_history(sample_workspace: Path, helpers) -> None:
    app = WorkbenchApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await helpers.wait_for(pilot, lambda: runs_screen(app), what="the Runs screen")
        table = screen.query_one(RunTable)
        await helpers.wait_for(pilot, lambda: table.row_count == 3, what="three runs")
        text = helpers.screen_text(app)
        assert "■ stopped" in text and "✗ failed" in text and "✓ completed" in text
        assert "acc 0.96 ema" in text, "best metric over weight sets"
        assert table.selected_id == "20250101-140000-cccc", "newest first, selected"
        await pilot.press("down", "down")  # the EMA run
        assert screen.selected_id == "20250101-120000-aaaa"
        assert "EMA warmup finished" not in text
        for panel in ("loss", "eval", "vram", "throughput", "system"):
            screen.query_one("#run-panels").active = f"panel-{panel}"
            charts = list(screen.query(f"#{panel}-panel LineChart").results(LineChart))
            await helpers.wait_for(pilot, lambda: all(c.redraws and c.prepare_plot(80) for c in charts),
                                   what=f"the {panel} charts to draw data")
        assert "No CUDA device: showing the trainer's process memory (RSS)" in str(
            screen.query_one("#vram-header").render())
        screen.query_one("#run-panels").active = "panel-timeline"
        await helpers.wait_for(pilot, lambda: "EMA warmup finished" in helpers.screen_text(app), what="the timeline")
        assert "+0:03  ema" in helpers.screen_text(app), "times are relative to the start"
        screen.query_one("#run-panels").active = "panel-log"
        log = screen.query_one("#output-log", Log)
        await helpers.wait_for(pilot, lambda: log.line_count >= 12, what="the output.log tail")


async def test_launch_shows_the_run_live_then_stop(workspace: Path, helpers, fake_launcher) -> None:
    app = WorkbenchApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        builder = await helpers.wait_for(pilot, lambda: isinstance(app.screen, BuilderScreen) and app.screen)
        await pilot.press("space", "f5")  # EMA on, launch
        screen = await helpers.wait_for(pilot, lambda: runs_screen(app), what="the switch to Runs")
        await helpers.wait_for(pilot, lambda: screen.selected_id is not None, what="the new run, selected")
        assert fake_launcher["configs"][0].technique_keys == ["ema"] and builder.draft.enabled == ["ema"]
        run_id = screen.selected_id
        await helpers.wait_for(pilot, lambda: "● running" in helpers.screen_text(app), what="running")
        screen.query_one("#run-panels").active = "panel-loss"
        chart = screen.query_one("#loss-chart", LineChart)
        await helpers.wait_for(pilot, lambda: chart.redraws and chart.prepare_plot(80) > 10, what="loss points")
        screen.query_one("#run-panels").active = "panel-eval"
        await helpers.wait_for(pilot, lambda: screen.query_one("#eval-acc-chart", LineChart).prepare_plot(80),
                               what="eval points for raw and ema")
        assert {s.label for s in screen.query_one("#eval-acc-chart", LineChart)._series} == {"raw", "ema"}
        screen.query_one("#run-panels").active = "panel-log"
        await helpers.wait_for(pilot, lambda: "fake trainer started" in helpers.screen_text(app), what="output.log")

        await pilot.press("s")
        await helpers.wait_for(pilot, lambda: "Stop cnn-digits-ema?" in helpers.screen_text(app), what="confirm")
        await pilot.press("y")
        await helpers.wait_for(pilot, lambda: app.monitor.get(run_id).status == "stopped", what="stopped")
        await helpers.wait_for(pilot, lambda: "■ stopped" in helpers.screen_text(app), what="stopped on screen")
        assert fake_launcher["procs"][0].wait(timeout=10) == 0


async def test_a_new_metric_is_on_screen_quickly(workspace: Path, helpers, fake_launcher) -> None:
    fake_launcher["delay"] = 0.2
    app = WorkbenchApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await helpers.wait_for(pilot, lambda: isinstance(app.screen, BuilderScreen))
        await pilot.press("f5")
        screen = await helpers.wait_for(pilot, lambda: runs_screen(app) and app.screen.selected_id and app.screen)
        events = workspace / "runs" / screen.selected_id / "events.jsonl"
        await helpers.wait_for(pilot, lambda: "● running" in helpers.screen_text(app))
        started = time.monotonic()
        with open(events, "a") as fh:
            fh.write(json.dumps({"t": time.time(), "kind": "eval", "step": 3, "weights": "raw",
                                 "val_loss": 0.123456, "val_acc": 0.987654}) + "\n")
        await helpers.wait_for(pilot, lambda: "0.9877" in helpers.screen_text(app), what="the new metric")
        latency = time.monotonic() - started
        assert latency < 1.0, f"a metric took {latency:.2f} s to reach the screen (budget 0.5 s)"


async def test_new_from_run_copies_the_config_into_the_builder(sample_workspace: Path, helpers) -> None:
    app = WorkbenchApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await helpers.wait_for(pilot, lambda: runs_screen(app))
        await helpers.wait_for(pilot, lambda: screen.query_one(RunTable).row_count == 3)
        await pilot.press("down")  # the failed lr=3e-3 run
        await pilot.press("n")
        builder = await helpers.wait_for(pilot, lambda: isinstance(app.screen, BuilderScreen) and app.screen)
        assert builder.draft.value("optim.lr") == 0.003 and builder.draft.value("name") == "cnn-digits-lr3e-3"
        assert builder.source == "run 20250101-130000-bbbb"
        assert builder.validation.ok


async def test_aim_ui_resume_and_guards(sample_workspace: Path, helpers, monkeypatch) -> None:
    started: list[object] = []
    resumed: list[str] = []
    handle = SimpleNamespace(url="http://127.0.0.1:43800", ssh_line="ssh -L 43800:127.0.0.1:43800 me@gpu-box",
                             stop=lambda: started.append("stopped"))
    monkeypatch.setattr(actions, "start_aim_ui", lambda ws: started.append(ws) or handle)
    monkeypatch.setattr(actions, "resume_run", lambda ws, run_id: resumed.append(run_id) or 1)
    app = WorkbenchApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await helpers.wait_for(pilot, lambda: runs_screen(app))
        await helpers.wait_for(pilot, lambda: screen.query_one(RunTable).row_count == 3)
        await pilot.press("a")
        await helpers.wait_for(pilot, lambda: "ssh -L 43800:127.0.0.1:43800 me@gpu-box" in helpers.screen_text(app),
                               what="the Aim dialog")
        assert "http://127.0.0.1:43800" in helpers.screen_text(app)
        await pilot.press("escape")
        await pilot.press("a")  # the second time reuses the running server
        await helpers.wait_for(pilot, lambda: "ssh -L" in helpers.screen_text(app))
        assert len(started) == 1
        await pilot.press("escape")

        await pilot.press("u")  # the newest run is stopped: it resumes
        await helpers.wait_for(pilot, lambda: resumed == ["20250101-140000-cccc"], what="resume")
        await pilot.press("down", "down", "u")  # a completed run does not
        await pilot.press("s")  # and is not running: nothing to stop
        await pilot.pause(0.2)
        assert resumed == ["20250101-140000-cccc"]
        assert not any("Stop " in n.message and "?" in n.message for n in app._notifications)
    assert started[-1] == "stopped", "the Aim UI started by this session stops when it quits"


async def test_compare_marked_runs(sample_workspace: Path, helpers) -> None:
    app = WorkbenchApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await helpers.wait_for(pilot, lambda: runs_screen(app))
        await helpers.wait_for(pilot, lambda: screen.query_one(RunTable).row_count == 3)
        await pilot.press("x", "down", "x", "f3")
        compare = await helpers.wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen)
        assert compare.selected_ids == ["20250101-140000-cccc", "20250101-130000-bbbb"]
        metrics = compare.query_one("#compare-metrics", DataTable)
        await helpers.wait_for(pilot, lambda: metrics.row_count > 5, what="the metrics table")
        labels = [str(metrics.get_row_at(i)[0]) for i in range(metrics.row_count)]
        assert "best val_acc [swa]" in labels and "wall time" in labels and any(label.startswith("peak cuda") for label in labels)
        config = compare.query_one("#compare-config", DataTable)
        rows = {str(config.get_row_at(i)[0]): [str(c) for c in config.get_row_at(i)[1:]] for i in range(config.row_count)}
        assert rows["optim.lr"] == ["0.001", "0.003"] and rows["techniques.swa"] == ["on", "—"]
        await pilot.press("c")  # none selected: a hint instead of tables
        await helpers.wait_for(pilot, lambda: "Pick two or more runs" in helpers.screen_text(app))


async def test_no_color_stays_readable(sample_workspace: Path, helpers, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = WorkbenchApp(sample_workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await helpers.wait_for(pilot, lambda: runs_screen(app))
        await helpers.wait_for(pilot, lambda: screen.query_one(RunTable).row_count == 3)
        assert app.no_color
        text = helpers.screen_text(app)
        assert "[F2 Runs]" in text, "the current screen is marked by brackets, not only colour"
        assert "■ stopped" in text and "✗ failed" in text, "statuses carry symbols"
        await pilot.press("right_square_bracket", "right_square_bracket")  # Eval: two weight sets
        await pilot.press("down", "down")
        chart = screen.query_one("#eval-acc-chart", LineChart)
        await helpers.wait_for(pilot, lambda: chart.redraws and "•" in helpers.screen_text(app) and "x" in helpers.screen_text(app),
                               what="distinct markers per weight set")


async def test_command_palette_reaches_screens_and_runs(sample_workspace: Path, helpers) -> None:
    app = WorkbenchApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await helpers.wait_for(pilot, lambda: runs_screen(app))
        await helpers.wait_for(pilot, lambda: screen.query_one(RunTable).row_count == 3)
        await pilot.press("ctrl+p")
        await pilot.press(*"go to compare")
        await helpers.wait_for(pilot, lambda: "Go to Compare" in helpers.screen_text(app), what="the command")
        await pilot.press("enter")
        await helpers.wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), what="Compare")
        await pilot.press("ctrl+p")
        await pilot.press(*"show run cnn-digits-ema")
        await helpers.wait_for(pilot, lambda: "20250101-120000-aaaa" in helpers.screen_text(app), what="the run")
        await pilot.press("enter")
        runs = await helpers.wait_for(pilot, lambda: runs_screen(app), what="Runs")
        await helpers.wait_for(pilot, lambda: runs.selected_id == "20250101-120000-aaaa", what="the run selected")
