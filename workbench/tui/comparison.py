"""What the Compare screen shows, as plain data (no Textual here, so it is unit-tested)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workbench.tui import format as fmt
from workbench.tui.monitor import RunView

ABSENT = "—"


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested config tables as dotted keys; an enabled technique with no parameters still shows up."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            flat.update(flatten(value, path))
        elif isinstance(value, dict):
            flat[path] = "on" if prefix == "techniques" else "{}"
        else:
            flat[path] = value
    return flat


def config_diff(configs: Sequence[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """Keys whose values differ between the configs (missing counts as different), sorted by key.

    `name` is left out: every run has its own and the column headers already show it.
    """
    flats = [flatten(c) for c in configs]
    keys = sorted(set().union(*flats) - {"name"}) if flats else []
    rows = []
    for key in keys:
        values = [f.get(key, ABSENT) for f in flats]
        if any(v != values[0] for v in values[1:]):
            rows.append((key, [ABSENT if v is ABSENT else fmt.number(v) if isinstance(v, float) else str(v) for v in values]))
    return rows


def metric_rows(views: Sequence[RunView]) -> list[tuple[str, list[str]]]:
    """Status, time, memory, throughput, then final and best validation metrics per weight set."""
    rows: list[tuple[str, list[str]]] = [
        ("status", [fmt.status_text(v.status) for v in views]),
        ("techniques", [", ".join(v.techniques) or "none" for v in views]),
        ("steps", [f"{v.state.step}/{v.state.total_steps or '?'}" for v in views]),
        ("wall time", [fmt.duration(v.state.current_wall_s()) for v in views]),
        ("throughput (median)", [_throughput(v) for v in views]),
    ]
    memory_kinds = sorted(set().union(*(v.state.memory_peak for v in views)))
    for kind in memory_kinds:
        rows.append((f"peak {kind}", [fmt.size(v.state.memory_peak.get(kind)) for v in views]))
    weight_sets = sorted(set().union(*(v.state.final for v in views), *(v.state.best for v in views)),
                         key=lambda w: (w != "raw", w))
    metrics = sorted({m for v in views for table in (v.state.final, v.state.best) for w in table.values()
                      for m in w if m.startswith("val_")})
    for which, attr in (("final", "final"), ("best", "best")):
        for weights in weight_sets:
            for metric in metrics:
                values = [getattr(v.state, attr).get(weights, {}).get(metric) for v in views]
                if any(x is not None for x in values):
                    rows.append((f"{which} {metric} [{weights}]", [fmt.number(x) for x in values]))
    return rows


def _throughput(view: RunView) -> str:
    value = view.state.median_throughput
    return ABSENT if value is None else f"{fmt.count(value)} {view.state.unit}/s"


def column_title(view: RunView) -> str:
    """A run's column header: its name and the last part of its id (names need not be unique)."""
    return f"{fmt.truncate(view.name, 18)} {view.id[-4:]}"
