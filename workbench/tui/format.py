"""Small text formatters shared by the screens. Plain text first: everything must read without colour."""

from __future__ import annotations

import math
from typing import Any

# One symbol per status, so a status reads the same with NO_COLOR as with colour.
STATUS_SYMBOLS = {
    "starting": "…",
    "running": "●",
    "completed": "✓",
    "failed": "✗",
    "diverged": "⚠",
    "stopped": "■",
    "crashed": "!",
}
STATUS_STYLES = {
    "starting": "yellow",
    "running": "bold green",
    "completed": "green",
    "failed": "bold red",
    "diverged": "bold red",
    "stopped": "yellow",
    "crashed": "bold red",
}


def status_text(status: str) -> str:
    return f"{STATUS_SYMBOLS.get(status, '?')} {status}"


def progress_bar(fraction: float, width: int = 10) -> str:
    fraction = min(1.0, max(0.0, fraction))
    filled = int(round(fraction * width))
    return "█" * filled + "░" * (width - filled) + f" {fraction * 100:3.0f}%"


def duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def offset(seconds: float | None) -> str:
    """Time since the run started, `+m:ss` (relative, so it reads the same in any timezone)."""
    return "+" + duration(seconds) if seconds is not None else "   —"


def size(num_bytes: float | None) -> str:
    if num_bytes is None:
        return "—"
    value = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def number(value: Any, digits: int = 4) -> str:
    """A metric value: floats to `digits` significant digits, non-finite as written, missing as —."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value  # "nan"/"inf" as the event log writes them
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.{digits}g}"
    return str(value)


def count(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 1e9:
        return f"{value / 1e9:.1f}G"
    if value >= 1e6:
        return f"{value / 1e6:.1f}M"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:.0f}"


def metric_label(metric: tuple[str, float] | None) -> str:
    """`RunState.best_metric()` as a table cell: `0.9731 ema`."""
    if metric is None:
        return "—"
    weights, value = metric
    return f"{number(value)} {weights}"


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
