"""Folding a run's events into its current state.

One reducer serves every reader: `workbench ls/show/compare`, the live CLI view, the TUI panels, and the
trainer itself when it writes `summary.json` at the end. Feed it records as they are tailed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

import psutil

from workbench.runstore.events import ACTIVE_STATUSES


def process_alive(pid: int | None, started: float | None) -> bool:
    """True if `pid` is the very process recorded (guards against pid reuse via its start time)."""
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(proc.create_time() - started) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


@dataclass
class RunState:
    status: str = "starting"
    pid: int | None = None
    pid_started: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None
    traceback: str | None = None
    diverged_step: int | None = None
    # plan
    total_steps: int | None = None
    steps_per_epoch: int | None = None
    epochs: int | None = None
    unit: str = "samples"
    device: str | None = None
    parameters: int | None = None
    weight_sets: list[str] = field(default_factory=lambda: ["raw"])
    tracking_id: str | None = None  # the Aim run hash, reused on resume
    # progress
    step: int = 0
    epoch: int = 0
    last_loss: float | None = None
    lr: float | None = None
    throughputs: list[float] = field(default_factory=list)
    step_times: list[float] = field(default_factory=list)
    # evaluation: latest and best per weight set
    final: dict[str, dict[str, float]] = field(default_factory=dict)
    best: dict[str, dict[str, float]] = field(default_factory=dict)
    memory_peak: dict[str, float] = field(default_factory=dict)
    system: dict[str, Any] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    last_checkpoint_step: int | None = None
    # wall time excludes the gaps while a run was stopped or crashed
    wall_s: float = 0.0
    _segment_start: float | None = None
    _last_t: float | None = None

    def apply(self, record: dict[str, Any]) -> None:
        kind = record.get("kind")
        t = record.get("t")
        if t is not None:
            self._last_t = t
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(record)

    def apply_all(self, records: list[dict[str, Any]]) -> RunState:
        for r in records:
            self.apply(r)
        return self

    # -- handlers ------------------------------------------------------------------------------
    def _on_status(self, r: dict[str, Any]) -> None:
        status = r["status"]
        t = r.get("t")
        if status == "starting" and self.status == "running" and r.get("pid") == self.pid:
            return  # the launcher's note arrived after the trainer already said it runs
        if status in ACTIVE_STATUSES:
            if self.started_at is None:
                self.started_at = t
            if self._segment_start is None:
                self._segment_start = t
            self.ended_at = None
            self.error = self.traceback = None
            self.pid = r.get("pid", self.pid)
            self.pid_started = r.get("pid_started", self.pid_started)
        else:
            self._close_segment(t)
            self.ended_at = t
            self.pid = None
        if status == "failed":
            self.error = r.get("error")
            self.traceback = r.get("traceback")
        if status == "diverged":
            self.diverged_step = r.get("step")
        self.status = status
        self.timeline.append({"t": t, "source": "status", "message": status + (f": {r['error']}" if r.get("error") else "")})

    def _close_segment(self, t: float | None) -> None:
        if self._segment_start is not None and t is not None:
            self.wall_s += max(0.0, t - self._segment_start)
        self._segment_start = None

    def _on_plan(self, r: dict[str, Any]) -> None:
        self.total_steps = r.get("total_steps")
        self.steps_per_epoch = r.get("steps_per_epoch")
        self.epochs = r.get("epochs")
        self.unit = r.get("unit", self.unit)
        self.device = r.get("device")
        self.parameters = r.get("parameters")
        self.weight_sets = r.get("weight_sets", self.weight_sets)
        self.tracking_id = r.get("tracking_id", self.tracking_id)

    def _on_train(self, r: dict[str, Any]) -> None:
        self.step = r.get("step", self.step)
        self.epoch = r.get("epoch", self.epoch)
        self.last_loss = r.get("loss")
        self.lr = r.get("lr")
        if r.get("throughput"):
            self.throughputs.append(r["throughput"])
        if r.get("step_time_s"):
            self.step_times.append(r["step_time_s"])

    def _on_eval(self, r: dict[str, Any]) -> None:
        weights = r.get("weights", "raw")
        metrics = {k: v for k, v in r.items() if k.startswith("val_") and isinstance(v, (int, float))}
        self.final[weights] = {**metrics, "step": r.get("step", self.step)}
        best = self.best.setdefault(weights, {})
        for name, value in metrics.items():
            better = max if name.endswith("acc") else min
            best[name] = value if name not in best else better(best[name], value)

    def _on_memory(self, r: dict[str, Any]) -> None:
        self.system = {k: v for k, v in r.items() if k not in ("t", "kind")}
        for key, value in r.items():
            if key in ("t", "kind", "cpu_percent", "ram_percent", "gpus") or not isinstance(value, (int, float)):
                continue
            self.memory_peak[key] = max(self.memory_peak.get(key, 0.0), float(value))

    def _on_event(self, r: dict[str, Any]) -> None:
        self.timeline.append({"t": r.get("t"), "source": r.get("source", "engine"), "message": r.get("message", "")})

    def _on_checkpoint(self, r: dict[str, Any]) -> None:
        self.last_checkpoint_step = r.get("step")
        self.timeline.append({"t": r.get("t"), "source": "checkpoint", "message": f"checkpoint saved at step {r.get('step')}"})

    # -- derived -------------------------------------------------------------------------------
    def effective_status(self) -> str:
        """`running`/`starting` whose process is gone is `crashed`."""
        if self.status in ACTIVE_STATUSES and not process_alive(self.pid, self.pid_started):
            return "crashed"
        return self.status

    @property
    def progress(self) -> float:
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    @property
    def median_throughput(self) -> float | None:
        return statistics.median(self.throughputs) if self.throughputs else None

    def current_wall_s(self, now: float | None = None) -> float:
        if self._segment_start is not None:
            end = now if now is not None else (self._last_t or self._segment_start)
            return self.wall_s + max(0.0, end - self._segment_start)
        return self.wall_s

    def eta_s(self, now: float | None = None) -> float | None:
        if not self.total_steps or not self.step_times or self.status not in ACTIVE_STATUSES:
            return None
        recent = self.step_times[-20:]
        return max(0, self.total_steps - self.step) * statistics.median(recent)

    def best_metric(self) -> tuple[str, float] | None:
        """The headline number for tables: best val accuracy over all weight sets (else lowest loss)."""
        candidates = [(w, m["val_acc"]) for w, m in self.best.items() if "val_acc" in m]
        if candidates:
            return max(candidates, key=lambda c: c[1])
        candidates = [(w, m["val_loss"]) for w, m in self.best.items() if "val_loss" in m]
        return min(candidates, key=lambda c: c[1]) if candidates else None

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.effective_status(),
            "step": self.step,
            "epoch": self.epoch,
            "total_steps": self.total_steps,
            "device": self.device,
            "parameters": self.parameters,
            "metrics": {"final": self.final, "best": self.best},
            "memory": self.memory_peak,
            "throughput": self.median_throughput,
            "throughput_unit": f"{self.unit}/s",
            "wall_s": round(self.current_wall_s(), 3),
            "error": self.error,
            "diverged_step": self.diverged_step,
            "last_checkpoint_step": self.last_checkpoint_step,
        }
