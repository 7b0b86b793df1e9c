"""What the engine reports goes two places: the run's event log (for front ends) and the tracker (Aim).

Metric layout in the tracker (PRODUCT.md): `loss`, `accuracy`, `lr`, `throughput`, `step_time` with a
`subset` context (train | val) and, for evaluation, a `weights` context (raw | ema | swa | …), so the
Aim UI overlays EMA-vs-raw by grouping on `context.weights`. System telemetry is tracked once, under
Aim's `__system__` prefix, and Aim's own system tracking is off.
"""

from __future__ import annotations

import logging
from typing import Any

from workbench.runstore import EventWriter
from workbench.tracking import Tracker

log = logging.getLogger("workbench.trainer")

_TRACKED_METRIC_NAMES = {"val_loss": "loss", "val_acc": "accuracy"}


class RunRecorder:
    def __init__(self, events: EventWriter, tracker: Tracker, total_steps: int = 0, unit: str = "samples") -> None:
        self.events = events
        self.tracker = tracker
        self.total_steps = total_steps
        self.unit = unit

    def train(self, *, step: int, epoch: int, loss: float, lr: float, step_time_s: float, throughput: float) -> None:
        self.events.write("train", step=step, epoch=epoch, loss=loss, lr=lr, step_time_s=step_time_s, throughput=throughput)
        ctx = {"subset": "train"}
        for name, value in (("loss", loss), ("lr", lr), ("throughput", throughput), ("step_time", step_time_s)):
            self.tracker.track(name, value, step=step, epoch=epoch, context=ctx)
        log.info("step %d/%d  epoch %d  loss %.4f  lr %.2e  %.0f %s/s", step, self.total_steps, epoch, loss, lr,
                 throughput, self.unit)

    def eval(self, *, step: int, epoch: int, weights: str, metrics: dict[str, float]) -> None:
        self.events.write("eval", step=step, epoch=epoch, weights=weights, **metrics)
        for key, value in metrics.items():
            name = _TRACKED_METRIC_NAMES.get(key, key)
            self.tracker.track(name, value, step=step, epoch=epoch, context={"subset": "val", "weights": weights})
        log.info("eval step %d [%s] %s", step, weights, "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()))

    def memory(self, sample: dict[str, Any]) -> None:
        record = self.events.write("memory", **sample)
        for key, value in record.items():
            if key not in ("t", "kind", "gpus") and isinstance(value, (int, float)):
                self.tracker.track(f"__system__{key}", float(value), step=None, epoch=None, context={})
        for gpu in sample.get("gpus", []):
            for key in ("nvml_used", "utilization", "temperature", "power_w"):
                if key in gpu:
                    self.tracker.track(f"__system__gpu_{key}", gpu[key], step=None, epoch=None,
                                       context={"gpu": str(int(gpu["index"]))})

    def event(self, source: str, message: str, **data: Any) -> None:
        self.events.write("event", source=source, message=message, **({"data": data} if data else {}))
        log.info("[%s] %s", source, message)

    def checkpoint(self, *, step: int, epoch: int, path: str) -> None:
        self.events.write("checkpoint", step=step, epoch=epoch, path=path)
        log.info("checkpoint saved at step %d", step)
