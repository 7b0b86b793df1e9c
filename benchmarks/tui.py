"""Terminal UI budgets: time to first frame, chart redraw with 100,000 points per series, metric latency.

* First frame: a fresh Python process starts the app headless; the clock runs from just before the
  process is spawned (interpreter start and imports included) until the app's `Ready` event, which
  Textual sends once the first frame is displayed. Measured on an empty workspace (opens the Builder)
  and on one with 20 finished runs (opens Runs). Budget: < 1.5 s.
* Chart redraw: three series of 100,000 points each in a 120x30 chart; one redraw = downsampling to the
  chart's width + loading plotext + building the plot text (what `render()` does). Budget: < 50 ms.
  The same chart without downsampling is timed once for comparison.
* Metric latency: an eval record is appended to a run's events.jsonl; the clock stops when the new value
  is on the (headless) screen. Budget: < 0.5 s.

    python benchmarks/tui.py [--repeat 5] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

FIRST_FRAME_BUDGET_S = 1.5
REDRAW_BUDGET_S = 0.050
LATENCY_BUDGET_S = 0.5

CHILD = r"""
import sys, time
from workbench.tui.app import WorkbenchApp

class FirstFrame(WorkbenchApp):
    def on_ready(self) -> None:
        print(f"READY {time.time():.6f}", flush=True)
        self.set_timer(0.3, self.exit)  # let the screen finish mounting, so the exit is clean

FirstFrame(sys.argv[1]).run(headless=True, size=(100, 32))
"""


def write_runs(workspace: Path, count: int, steps: int = 600) -> None:
    """Finished runs following docs/events.md (train every 10 steps, eval per epoch, memory)."""
    for i in range(count):
        root = workspace / "runs" / f"20250101-{i:06d}-bench"
        (root / "checkpoints").mkdir(parents=True)
        (root / "config.toml").write_text(f'name = "bench-{i}"\n[optim]\nlr = 0.001\n[techniques.ema]\n')
        t = 1_700_000_000.0
        lines = [{"t": t, "kind": "status", "status": "running", "pid": 1},
                 {"t": t, "kind": "plan", "total_steps": steps, "epochs": 3, "unit": "samples", "device": "cpu"}]
        for step in range(10, steps + 1, 10):
            t += 0.5
            lines.append({"t": t, "kind": "train", "step": step, "loss": 2.0 / step, "lr": 1e-3,
                          "step_time_s": 0.01, "throughput": 6400.0})
            if step % 200 == 0:
                for w in ("raw", "ema"):
                    lines.append({"t": t, "kind": "eval", "step": step, "weights": w, "val_loss": 1 / step,
                                  "val_acc": 1 - 1 / step})
                lines.append({"t": t, "kind": "memory", "rss": 4e8, "cpu_percent": 100.0, "ram_percent": 10.0})
        lines.append({"t": t + 1, "kind": "status", "status": "completed"})
        (root / "events.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))


def first_frame_s(workspace: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    start = time.time()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(workspace)], capture_output=True, text=True,
                          timeout=60, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("READY "):
            return float(line.split()[1]) - start
    raise RuntimeError(f"the app did not report its first frame:\n{proc.stdout}\n{proc.stderr[-3000:]}")


async def chart_redraw(repeat: int) -> tuple[list[float], float, int]:
    from textual.app import App, ComposeResult

    from workbench.tui.widgets.chart import ChartSeries, LineChart

    class ChartApp(App[None]):
        def compose(self) -> ComposeResult:
            yield LineChart("benchmark", id="chart")

    n = 100_000
    xs = list(range(n))
    series = [ChartSeries(name, xs, [f(x / 3000) + 0.01 * math.sin(x) for x in xs])
              for name, f in (("sin", math.sin), ("cos", math.cos), ("tanh", math.tanh))]
    app = ChartApp()
    async with app.run_test(size=(120, 30)) as pilot:
        chart = app.query_one(LineChart)
        chart.set_series(series, key="bench")
        await pilot.pause()
        width = chart.size.width
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            points = chart.prepare_plot(width)
            chart.render()
            times.append(time.perf_counter() - t)
        # For comparison: the same plot without downsampling (what a naive chart would do).
        plt = chart.plt
        t = time.perf_counter()
        plt.clear_figure()
        for s in series:
            plt.plot(s.xs, s.ys, marker="braille")
        chart.render()
        naive = time.perf_counter() - t
    return times, naive, points


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """What the terminal shows, as text (the compositor's full frame, as a screenshot takes it)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), color_system=None, record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def metric_latency(workspace: Path, repeat: int) -> list[float]:
    from workbench.tui.app import WorkbenchApp

    run_dir = workspace / "runs" / "20250101-000000-bench"
    events = run_dir / "events.jsonl"
    app = WorkbenchApp(workspace)
    latencies = []
    async with app.run_test(size=(100, 32)) as pilot:
        while app.screen.__class__.__name__ != "RunsScreen" or app.screen.selected_id is None:
            await pilot.pause(0.05)
        app.screen.query_one("#run-table").select(run_dir.name)
        await pilot.pause(0.3)
        for i in range(repeat):
            marker = 0.5 + i * 0.01 + 0.001234
            start = time.perf_counter()
            with open(events, "a") as fh:
                fh.write(json.dumps({"t": time.time(), "kind": "eval", "step": 600, "weights": "raw",
                                     "val_loss": 0.1, "val_acc": marker}) + "\n")
            text = f"{marker:.4g}"
            while text not in screen_text(app):
                await pilot.pause(0.01)
                if time.perf_counter() - start > 5:
                    raise RuntimeError("the metric never reached the screen")
            latencies.append(time.perf_counter() - start)
            await pilot.pause(0.1)
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="exit 1 when a budget is exceeded")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "tui.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        empty.mkdir()
        busy = Path(tmp) / "busy"
        write_runs(busy, 20)
        first_frame_s(empty)  # warm the OS file cache (.pyc files): the first start after an install is slower
        empty_s = [first_frame_s(empty) for _ in range(args.repeat)]
        busy_s = [first_frame_s(busy) for _ in range(args.repeat)]
        redraw_s, naive_s, points = asyncio.run(chart_redraw(max(10, args.repeat * 4)))
        latency_s = asyncio.run(metric_latency(busy, args.repeat))

    result = {
        "first_frame_s": {"empty_workspace_median": statistics.median(empty_s), "empty_workspace_max": max(empty_s),
                          "20_runs_median": statistics.median(busy_s), "20_runs_max": max(busy_s),
                          "budget": FIRST_FRAME_BUDGET_S},
        "chart_redraw_s": {"series": 3, "points_per_series": 100_000, "points_plotted": points,
                           "median": statistics.median(redraw_s), "max": max(redraw_s),
                           "without_downsampling": naive_s, "budget": REDRAW_BUDGET_S},
        "metric_latency_s": {"median": statistics.median(latency_s), "max": max(latency_s),
                             "budget": LATENCY_BUDGET_S},
    }
    ff, rd, ml = result["first_frame_s"], result["chart_redraw_s"], result["metric_latency_s"]
    print(f"first frame, empty workspace : median {ff['empty_workspace_median']:.3f} s, max {ff['empty_workspace_max']:.3f} s"
          f"  (budget {FIRST_FRAME_BUDGET_S} s, ratio {ff['empty_workspace_max'] / FIRST_FRAME_BUDGET_S:.2f})")
    print(f"first frame, 20 runs         : median {ff['20_runs_median']:.3f} s, max {ff['20_runs_max']:.3f} s"
          f"  (budget {FIRST_FRAME_BUDGET_S} s, ratio {ff['20_runs_max'] / FIRST_FRAME_BUDGET_S:.2f})")
    print(f"chart redraw, 3 x 100k points: median {rd['median'] * 1000:.1f} ms, max {rd['max'] * 1000:.1f} ms"
          f"  (budget {REDRAW_BUDGET_S * 1000:.0f} ms, ratio {rd['median'] / REDRAW_BUDGET_S:.2f}; "
          f"{points} points plotted; without downsampling {naive_s * 1000:.0f} ms)")
    print(f"metric to screen             : median {ml['median'] * 1000:.0f} ms, max {ml['max'] * 1000:.0f} ms"
          f"  (budget {LATENCY_BUDGET_S * 1000:.0f} ms, ratio {ml['max'] / LATENCY_BUDGET_S:.2f})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    over = (ff["empty_workspace_max"] > FIRST_FRAME_BUDGET_S or ff["20_runs_max"] > FIRST_FRAME_BUDGET_S
            or rd["median"] > REDRAW_BUDGET_S or ml["max"] > LATENCY_BUDGET_S)
    if over:
        print("OVER BUDGET")
    return 1 if (over and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
