"""Rich renderings for the command line: run tables, the live progress view, show, compare, catalog."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from rich import box
from rich.console import Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from workbench.runstore import RunRecord, RunState
from workbench.technique import TechniqueSpec

STATUS_STYLE = {
    "starting": "cyan", "running": "bold cyan", "completed": "green", "failed": "bold red",
    "diverged": "red", "stopped": "yellow", "crashed": "bold magenta",
}


def human_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def when(t: float | None) -> str:
    return dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M") if t else "-"


def short_when(t: float | None) -> str:
    """Today's runs by time, older ones by date: keeps tables narrow."""
    if not t:
        return "-"
    stamp = dt.datetime.fromtimestamp(t)
    return stamp.strftime("%H:%M") if stamp.date() == dt.date.today() else stamp.strftime("%Y-%m-%d")


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLE.get(status, ""))


def best_text(state: RunState) -> str:
    best = state.best_metric()
    if best is None:
        return "-"
    weights, value = best
    metric = "acc" if any("val_acc" in m for m in state.best.values()) else "loss"
    return f"{metric} {value:.3f} {weights}"


def runs_table(records: list[RunRecord]) -> Table:
    # Compact (no box, one space between columns) so the table stays readable in an 80-column terminal.
    table = Table(title="runs", expand=False, box=box.SIMPLE_HEAD, padding=(0, 1), collapse_padding=True,
                  pad_edge=False, show_edge=False)
    table.add_column("id", no_wrap=True, min_width=20)
    table.add_column("name", overflow="ellipsis", max_width=28, min_width=8, no_wrap=True)
    table.add_column("status", no_wrap=True, min_width=9)
    table.add_column("techniques", overflow="ellipsis", no_wrap=True, min_width=6, max_width=24)
    table.add_column("done", justify="right", no_wrap=True, min_width=4)
    table.add_column("best val", no_wrap=True, min_width=13)
    table.add_column("started", no_wrap=True, min_width=5)
    for r in records:
        s = r.state
        started = short_when(s.started_at)
        table.add_row(r.id, r.name, status_text(r.status), ",".join(r.techniques) or "-",
                      f"{s.progress:.0%}" if s.total_steps else "-", best_text(s), started)
    return table


def metrics_table(state: RunState) -> Table:
    table = Table(title="validation", expand=False)
    for col in ("weights", "final loss", "final acc", "best loss", "best acc"):
        table.add_column(col)
    for weights in state.final:
        final, best = state.final[weights], state.best.get(weights, {})
        table.add_row(weights, *(f"{d[k]:.4f}" if k in d else "-" for d, k in
                                 ((final, "val_loss"), (final, "val_acc"), (best, "val_loss"), (best, "val_acc"))))
    return table


def live_view(record: RunRecord) -> Panel:
    s = record.state
    status = record.status
    header = Text.assemble((f"{record.name} ", "bold"), (f"{record.id}  ", "dim"), status_text(status))
    lines = Table.grid(padding=(0, 2))
    lines.add_column(style="dim")
    lines.add_column()
    total = s.total_steps or 0
    bar = ProgressBar(total=max(total, 1), completed=s.step, width=40)
    lines.add_row("step", Group(Text(f"{s.step}/{total}  epoch {s.epoch + 1}/{s.epochs or '?'}"), bar))
    lines.add_row("loss", f"{s.last_loss:.4f}" if isinstance(s.last_loss, float) else "-")
    lines.add_row("lr", f"{s.lr:.2e}" if s.lr is not None else "-")
    tput = s.throughputs[-1] if s.throughputs else None
    lines.add_row("throughput", f"{tput:,.0f} {s.unit}/s" if tput else "-")
    lines.add_row("memory", memory_line(s))
    lines.add_row("elapsed / ETA", f"{human_duration(s.current_wall_s(time.time()))} / {human_duration(s.eta_s())}")
    for weights, m in s.final.items():
        lines.add_row(Text(f"val [{weights}]"), f"loss {m.get('val_loss', float('nan')):.4f}  acc {m.get('val_acc', float('nan')):.4f}")
    if s.timeline:
        last = s.timeline[-1]
        lines.add_row("last event", Text(f"[{last['source']}] {last['message']}"))
    if s.error:
        lines.add_row("error", Text(s.error, style="red"))
    return Panel(lines, title=header, border_style=STATUS_STYLE.get(status, "white"))


def memory_line(s: RunState) -> str:
    sysm = s.system
    parts = []
    if "cuda_allocated" in sysm:
        parts.append(f"CUDA alloc {human_bytes(sysm['cuda_allocated'])} / reserved {human_bytes(sysm.get('cuda_reserved'))}")
    if "rss" in sysm:
        parts.append(f"process RSS {human_bytes(sysm['rss'])}")
    return "  ".join(parts) or "-"


def show_view(record: RunRecord) -> Group:
    s = record.state
    info = Table.grid(padding=(0, 2))
    info.add_column(style="dim")
    info.add_column()
    info.add_row("id", record.id)
    info.add_row("name", record.name)
    info.add_row("status", status_text(record.status))
    info.add_row("techniques", ", ".join(record.techniques) or "none")
    info.add_row("progress", f"step {s.step}/{s.total_steps or '?'}  epoch {min(s.epoch + 1, s.epochs or s.epoch + 1)}/{s.epochs or '?'}")
    info.add_row("device", s.device or "-")
    info.add_row("started", when(s.started_at))
    info.add_row("wall time", human_duration(s.current_wall_s(time.time())))
    tput = s.median_throughput
    info.add_row("throughput", f"{tput:,.0f} {s.unit}/s (median)" if tput else "-")
    info.add_row("peak memory", "  ".join(f"{k} {human_bytes(v)}" for k, v in s.memory_peak.items()) or "-")
    if s.error:
        info.add_row("error", Text(s.error, style="red"))
    if s.diverged_step is not None:
        info.add_row("diverged at", f"step {s.diverged_step}")
    events = Table(title="events", expand=False)
    events.add_column("time")
    events.add_column("source")
    events.add_column("message")
    # Checkpoints are frequent; the technique and status events are what a reader looks for.
    shown = [e for e in s.timeline if e["source"] != "checkpoint"][-20:]
    if s.last_checkpoint_step is not None:
        info.add_row("last checkpoint", f"step {s.last_checkpoint_step}")
    for e in shown:
        events.add_row(dt.datetime.fromtimestamp(e["t"]).strftime("%H:%M:%S") if e["t"] else "-", e["source"], e["message"])
    return Group(info, metrics_table(s), events)


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


def compare_view(records: list[RunRecord]) -> Group:
    flat = [flatten(r.config) for r in records]
    keys = sorted(set().union(*flat))
    diff = Table(title="config differences", expand=False)
    diff.add_column("key")
    for r in records:
        diff.add_column(f"{r.name}\n{r.id}")
    for key in keys:
        values = [f.get(key, "—") for f in flat]
        if len({repr(v) for v in values}) > 1:
            diff.add_row(key, *(str(v) for v in values))
    metrics = Table(title="metrics per weight set", expand=False)
    metrics.add_column("metric")
    for r in records:
        metrics.add_column(r.name)
    weight_sets = sorted({w for r in records for w in r.state.final}, key=lambda w: (w != "raw", w))
    for weights in weight_sets:
        for kind in ("final", "best"):
            for name in ("val_loss", "val_acc"):
                row = []
                for r in records:
                    d = getattr(r.state, kind).get(weights, {})
                    row.append(f"{d[name]:.4f}" if name in d else "-")
                metrics.add_row(Text(f"{kind} {name} [{weights}]"), *row)
    metrics.add_row("status", *(status_text(r.status) for r in records))
    metrics.add_row("wall time", *(human_duration(r.state.current_wall_s()) for r in records))
    metrics.add_row("throughput", *(f"{r.state.median_throughput:,.0f}" if r.state.median_throughput else "-" for r in records))
    for kind in sorted({k for r in records for k in r.state.memory_peak}):
        metrics.add_row(f"peak {kind}", *(human_bytes(r.state.memory_peak.get(kind)) for r in records))
    return Group(diff, metrics)


def catalog_table(specs: dict[str, TechniqueSpec]) -> Table:
    table = Table(title="techniques", expand=False)
    for col in ("key", "category", "what it does", "conflicts"):
        table.add_column(col)
    for spec in sorted(specs.values(), key=lambda s: (s.category, s.key)):
        table.add_row(spec.key, spec.category, spec.summary, ", ".join(spec.conflicts) or "-")
    return table


def technique_view(spec: TechniqueSpec) -> Group:
    params = Table(title=f"[techniques.{spec.key}] parameters", expand=False)
    for col in ("name", "type", "default", "allowed", "meaning"):
        params.add_column(col)
    for row in spec.param_fields():
        params.add_row(row["name"], row["type"], repr(row["default"]), row["constraints"] or "-", row["description"])
    head = Text.assemble((spec.title, "bold"), f"  ({spec.key}, {spec.category})")
    extra = Text(f"conflicts: {', '.join(spec.conflicts) or 'none'}    needs: {spec.needs.describe()}")
    return Group(head, Markdown(spec.card or spec.summary), params, extra)
