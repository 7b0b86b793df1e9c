"""A run's time series for the charts, built incrementally from the tailed event records.

`RunState` (the run store's reducer) keeps the latest and best values; charts also need the history.
`RunSeries.extend(records)` is fed exactly the records `RunRecord.refresh()` returned, so every event
is parsed once. The lists are append-only: a chart may read them from the UI thread while the poller
thread appends (list appends and slices are atomic under the GIL; readers use the shorter length).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workbench.tui.downsample import EmaSmoother

MEMORY_KINDS = ("cuda_allocated", "cuda_reserved", "cuda_peak", "rss", "activations")
GPU_FIELDS = ("nvml_used", "nvml_total", "utilization", "temperature", "power_w")


def as_float(value: Any) -> float | None:
    """Event values as floats; the log writes non-finite numbers as "nan"/"inf"/"-inf"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


@dataclass
class XY:
    """One series: x values and y values, appended together."""

    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)

    def add(self, x: float, y: float) -> None:
        # ys first: a reader takes min(len(xs), len(ys)), so it never sees an x without its y.
        self.ys.append(y)
        self.xs.append(x)

    def __len__(self) -> int:
        return min(len(self.xs), len(self.ys))

    def last(self) -> float | None:
        return self.ys[len(self) - 1] if len(self) else None


@dataclass
class RunSeries:
    t0: float | None = None  # the first event's time; time series are in seconds since then
    loss: XY = field(default_factory=XY)
    loss_smooth: XY = field(default_factory=XY)
    lr: XY = field(default_factory=XY)
    throughput: XY = field(default_factory=XY)
    step_time_ms: XY = field(default_factory=XY)
    # evaluation per weight set ("raw", "ema", "swa", …) and metric ("val_loss", "val_acc", …)
    eval: dict[str, dict[str, XY]] = field(default_factory=dict)
    memory: dict[str, XY] = field(default_factory=dict)  # bytes over time, by kind
    cpu_percent: XY = field(default_factory=XY)
    ram_percent: XY = field(default_factory=XY)
    gpus: dict[int, dict[str, XY]] = field(default_factory=dict)  # per GPU index, per NVML field
    version: int = 0  # bumped by every record that changed a series; charts redraw only on change
    _smoother: EmaSmoother = field(default_factory=EmaSmoother, repr=False)

    def extend(self, records: Iterable[dict[str, Any]]) -> bool:
        changed = False
        for record in records:
            changed |= self._apply(record)
        if changed:
            self.version += 1
        return changed

    def _elapsed(self, record: dict[str, Any]) -> float:
        t = as_float(record.get("t")) or 0.0
        if self.t0 is None:
            self.t0 = t
        return t - self.t0

    def _apply(self, r: dict[str, Any]) -> bool:
        kind = r.get("kind")
        elapsed = self._elapsed(r)
        if kind == "train":
            step = as_float(r.get("step"))
            if step is None:
                return False
            loss = as_float(r.get("loss"))
            if loss is not None:
                self.loss.add(step, loss)
                if math.isfinite(loss):
                    self.loss_smooth.add(step, self._smoother(loss))
            for key, target, scale in (("lr", self.lr, 1.0), ("throughput", self.throughput, 1.0),
                                       ("step_time_s", self.step_time_ms, 1000.0)):
                value = as_float(r.get(key))
                if value is not None:
                    target.add(step, value * scale)
            return True
        if kind == "eval":
            step = as_float(r.get("step"))
            if step is None:
                return False
            metrics = self.eval.setdefault(str(r.get("weights", "raw")), {})
            for key, value in r.items():
                if key.startswith("val_"):
                    number = as_float(value)
                    if number is not None:
                        metrics.setdefault(key, XY()).add(step, number)
            return True
        if kind == "memory":
            for key in MEMORY_KINDS:
                value = as_float(r.get(key))
                if value is not None:
                    self.memory.setdefault(key, XY()).add(elapsed, value)
            for key, target in (("cpu_percent", self.cpu_percent), ("ram_percent", self.ram_percent)):
                value = as_float(r.get(key))
                if value is not None:
                    target.add(elapsed, value)
            for gpu in r.get("gpus") or []:
                if not isinstance(gpu, dict):
                    continue
                per_gpu = self.gpus.setdefault(int(gpu.get("index", 0)), {})
                for key in GPU_FIELDS:
                    value = as_float(gpu.get(key))
                    if value is not None:
                        per_gpu.setdefault(key, XY()).add(elapsed, value)
            return True
        return kind in ("status", "plan", "event", "checkpoint")  # the overview and timeline change
