"""The panels of the selected run: overview, loss, evaluation, VRAM, throughput, system, timeline, log.

Each panel has `show_run(view, reset)`: called with the monitor's lock held, when the selection changes
(`reset=True`) or the run's data changed. Charts only receive references to the run's series and a key;
they downsample and redraw on their own timer, at a bounded rate.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Log, Static

from workbench.tui import format as fmt
from workbench.tui.monitor import RunView
from workbench.tui.series import XY
from workbench.tui.widgets.chart import ChartSeries, LineChart

MIB = 1024 * 1024


def _mib(label: str, xy: XY) -> ChartSeries:
    return ChartSeries(label, xy.xs, xy.ys, scale=1 / MIB)


def headline(view: RunView) -> str:
    """The run list's "best" cell: best val accuracy over weight sets, else lowest val loss."""
    best = view.state.best_metric()
    if best is None:
        return "—"
    metric = "acc" if any("val_acc" in m for m in view.state.best.values()) else "loss"
    return f"{metric} {fmt.number(best[1])} {best[0]}"


class Panel(Vertical):
    def show_run(self, view: RunView | None, reset: bool) -> None:
        raise NotImplementedError


class HeaderChartPanel(Panel):
    """A text header over one chart; subclasses say what both show for a run."""

    def chart(self) -> LineChart:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        chart = self.chart()
        yield Static("", classes="panel-header", id=(chart.id or "chart").replace("-chart", "-header"))
        yield chart

    def show_run(self, view: RunView | None, reset: bool) -> None:
        header = self.query_one(".panel-header", Static)
        chart = self.query_one(LineChart)
        if view is None:
            header.update("")
            chart.set_series([], None)
            return
        text, series = self.describe(view, chart)
        header.update(text)
        chart.set_series(series, key=(view.id, view.series.version))

    def describe(self, view: RunView, chart: LineChart) -> tuple[Text, list[ChartSeries]]:
        """The header text and the chart's series for this run (may retitle the chart)."""
        raise NotImplementedError


class OverviewPanel(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static("", id="overview-body")

    def show_run(self, view: RunView | None, reset: bool) -> None:
        body = self.query_one("#overview-body", Static)
        if view is None:
            body.update(Text("No run selected. Runs started from the CLI or the Builder (F1) appear here.",
                             style="dim"))
            return
        state = view.state
        lines = Text()
        lines.append(f"{view.name}", style="bold")
        lines.append(f"  {view.id}\n", style="dim")
        lines.append(fmt.status_text(view.status), style=fmt.STATUS_STYLES.get(view.status, ""))
        lines.append(f"   {fmt.progress_bar(state.progress, 16)}   step {state.step}/{state.total_steps or '?'}"
                     f"   epoch {min(state.epoch + 1, state.epochs or state.epoch + 1)}/{state.epochs or '?'}")
        eta = state.eta_s() if view.active else None
        if eta is not None:
            lines.append(f"   ETA {fmt.duration(eta)}")
        lines.append("\n")
        lines.append(f"device {state.device or '?'} · {fmt.count(state.parameters)} parameters · "
                     f"techniques: {', '.join(view.techniques) or 'none'} · wall {fmt.duration(state.current_wall_s())}\n")
        if state.median_throughput is not None:
            lines.append(f"throughput {fmt.count(state.median_throughput)} {state.unit}/s (median)"
                         f" · last loss {fmt.number(state.last_loss)} · lr {fmt.number(state.lr, 3)}\n")
        if state.memory_peak:
            peaks = " · ".join(f"{k} {fmt.size(v)}" for k, v in sorted(state.memory_peak.items()))
            lines.append(f"peak memory: {peaks}\n")
        if state.error:
            lines.append(f"error: {state.error}\n", style="bold red")
        if state.diverged_step is not None:
            lines.append(f"diverged at step {state.diverged_step} (loss became NaN/Inf); "
                         f"last good checkpoint: step {state.last_checkpoint_step}\n", style="bold red")
        if view.status == "crashed":
            lines.append("the trainer process is gone without a final status: press u to resume from the last "
                         "checkpoint\n", style="bold red")
        parts: list = [lines]
        weight_sets = sorted(set(state.final) | set(state.best), key=lambda w: (w != "raw", w))
        if weight_sets:
            table = Table(box=None, pad_edge=False, header_style="bold", title_justify="left")
            table.add_column("weights")
            for column in ("val_loss", "val_acc", "best loss", "best acc", "at step"):
                table.add_column(column, justify="right")
            for w in weight_sets:
                final, best = state.final.get(w, {}), state.best.get(w, {})
                table.add_row(w, fmt.number(final.get("val_loss")), fmt.number(final.get("val_acc")),
                              fmt.number(best.get("val_loss")), fmt.number(best.get("val_acc")),
                              str(final.get("step", "—")))
            parts.append(table)
        if state.traceback:
            parts.append(Text("\n" + state.traceback.rstrip()[-2000:], style="red"))
        body.update(Group(*parts))


class LossPanel(Panel):
    def compose(self) -> ComposeResult:
        yield LineChart("Train loss (raw, smoothed)", xlabel="step", id="loss-chart")

    def show_run(self, view: RunView | None, reset: bool) -> None:
        chart = self.query_one(LineChart)
        if view is None:
            chart.set_series([], key=None)
            return
        s = view.series
        chart.set_series([ChartSeries("raw", s.loss.xs, s.loss.ys), ChartSeries("smoothed", s.loss_smooth.xs, s.loss_smooth.ys)],
                         key=(view.id, s.version))


class EvalPanel(Panel):
    def compose(self) -> ComposeResult:
        with Horizontal():
            yield LineChart("Val loss per weight set", xlabel="step", id="eval-loss-chart")
            yield LineChart("Val accuracy per weight set", xlabel="step", id="eval-acc-chart")

    def show_run(self, view: RunView | None, reset: bool) -> None:
        loss_chart = self.query_one("#eval-loss-chart", LineChart)
        acc_chart = self.query_one("#eval-acc-chart", LineChart)
        if view is None:
            loss_chart.set_series([], None)
            acc_chart.set_series([], None)
            return
        s = view.series
        weight_sets = sorted(s.eval, key=lambda w: (w != "raw", w))
        loss_chart.set_series([ChartSeries(w, s.eval[w]["val_loss"].xs, s.eval[w]["val_loss"].ys)
                               for w in weight_sets if "val_loss" in s.eval[w]], key=(view.id, s.version))
        acc_chart.set_series([ChartSeries(w, s.eval[w]["val_acc"].xs, s.eval[w]["val_acc"].ys)
                              for w in weight_sets if "val_acc" in s.eval[w]], key=(view.id, s.version))


class VramPanel(HeaderChartPanel):
    def chart(self) -> LineChart:
        return LineChart("Memory (MiB)", xlabel="seconds", id="vram-chart")

    def describe(self, view: RunView, chart: LineChart) -> tuple[Text, list[ChartSeries]]:
        s, system = view.series, view.state.system
        cuda = [k for k in ("cuda_allocated", "cuda_reserved", "cuda_peak") if k in s.memory]
        text = Text()
        series: list[ChartSeries] = []
        if cuda or s.gpus:
            chart.chart_title = "GPU memory (MiB)"
            if cuda:
                text.append("CUDA  " + " · ".join(f"{k.removeprefix('cuda_')} {fmt.size(system.get(k))}" for k in cuda) + "\n")
            for kind in cuda:
                series.append(_mib(kind.removeprefix("cuda_"), s.memory[kind]))
            for index, fields in sorted(s.gpus.items()):
                used, total = fields.get("nvml_used"), fields.get("nvml_total")
                text.append(f"GPU{index} NVML used {fmt.size(used.last() if used else None)} / "
                            f"{fmt.size(total.last() if total else None)}\n")
                if used:
                    series.append(_mib(f"gpu{index} nvml used", used))
        else:
            chart.chart_title = "Process memory, RSS (MiB) — no CUDA device"
            text.append("No CUDA device: showing the trainer's process memory (RSS), not VRAM. ", style="bold")
            text.append(f"RSS now {fmt.size(system.get('rss'))} · peak {fmt.size(view.state.memory_peak.get('rss'))}")
            if "rss" in s.memory:
                series.append(_mib("rss", s.memory["rss"]))
        text.rstrip()
        if "activations" in s.memory:
            text.append(f" · activations (estimate) {fmt.size(system.get('activations'))}")
            series.append(_mib("activations (est.)", s.memory["activations"]))
        return text, series


class ThroughputPanel(HeaderChartPanel):
    def chart(self) -> LineChart:
        return LineChart("Throughput", xlabel="step", right_label="step ms", id="throughput-chart")

    def describe(self, view: RunView, chart: LineChart) -> tuple[Text, list[ChartSeries]]:
        s, state = view.series, view.state
        unit = f"{state.unit}/s"
        chart.chart_title = f"Throughput ({unit}, left) and step time (ms, right)"
        text = Text(f"now {fmt.count(s.throughput.last())} {unit} · median {fmt.count(state.median_throughput)} {unit}"
                    f" · step time {fmt.number(s.step_time_ms.last(), 3)} ms")
        return text, [ChartSeries(unit, s.throughput.xs, s.throughput.ys),
                      ChartSeries("step ms", s.step_time_ms.xs, s.step_time_ms.ys, yside="right")]


class SystemPanel(HeaderChartPanel):
    def chart(self) -> LineChart:
        return LineChart("System load (%)", xlabel="seconds", id="system-chart")

    def describe(self, view: RunView, chart: LineChart) -> tuple[Text, list[ChartSeries]]:
        s, system = view.series, view.state.system
        text = Text(f"CPU {fmt.number(system.get('cpu_percent'), 3)}% (trainer process) · "
                    f"RAM {fmt.number(system.get('ram_percent'), 3)}% (machine)")
        series = [ChartSeries("cpu %", s.cpu_percent.xs, s.cpu_percent.ys),
                  ChartSeries("ram %", s.ram_percent.xs, s.ram_percent.ys)]
        for index, fields in sorted(s.gpus.items()):
            parts = []
            for key, label, unit in (("utilization", "util", "%"), ("temperature", "temp", "°C"), ("power_w", "power", " W")):
                if key in fields:
                    parts.append(f"{label} {fmt.number(fields[key].last(), 3)}{unit}")
            text.append(f"\nGPU{index}: " + " · ".join(parts))
            if "utilization" in fields:
                series.append(ChartSeries(f"gpu{index} util %", fields["utilization"].xs, fields["utilization"].ys))
        return text, series


class _AppendOnlyPanel(Panel):
    """A Log widget fed only the lines that are new since the last refresh (never re-rendered whole)."""

    LOG_ID = ""
    MAX_LINES = 2000

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._seen = 0

    def compose(self) -> ComposeResult:
        yield Log(id=self.LOG_ID, max_lines=self.MAX_LINES)

    def show_run(self, view: RunView | None, reset: bool) -> None:
        log = self.query_one(Log)
        if reset:
            log.clear()
            self._seen = 0
        if view is None:
            return
        lines, self._seen = self.new_lines(view, self._seen)
        if lines:
            log.write_lines(lines)

    def new_lines(self, view: RunView, seen: int) -> tuple[list[str], int]:
        """The lines after the first `seen`, and the new count seen."""
        raise NotImplementedError


class TimelinePanel(_AppendOnlyPanel):
    """Technique events ("SWA phase started"), status changes and checkpoints, time since start."""

    LOG_ID = "timeline-log"
    MAX_LINES = 5000

    def new_lines(self, view: RunView, seen: int) -> tuple[list[str], int]:
        timeline = view.state.timeline
        start = view.state.started_at or (timeline[0]["t"] if timeline and timeline[0].get("t") else None)
        lines = []
        for entry in timeline[seen:]:
            t = entry.get("t")
            when = fmt.offset(t - start if (t is not None and start is not None) else None)
            lines.append(f"{when:>9}  {entry.get('source', ''):<12} {entry.get('message', '')}")
        return lines, len(timeline)


class LogPanel(_AppendOnlyPanel):
    """The tail of the trainer's output.log (stdout and stderr)."""

    LOG_ID = "output-log"

    def new_lines(self, view: RunView, seen: int) -> tuple[list[str], int]:
        new = view.log_total - seen
        if new <= 0:
            return [], seen
        kept = list(view.log_lines)  # a bounded deque: only its tail survives a long gap
        return kept[-min(new, len(kept)):], view.log_total
