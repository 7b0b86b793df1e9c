"""The tracker interface the trainer talks to.

Trackers must never block the training step: `track` only enqueues. Aim has had no release since
May 2025, so everything Aim-specific stays behind this interface (workbench/tracking/aim_tracker.py).
"""

from __future__ import annotations

from typing import Any, Protocol


class Tracker(Protocol):
    def start(
        self, *, name: str, experiment: str, hparams: dict[str, Any], tags: list[str], resume_id: str | None
    ) -> str:
        """Open (or, with resume_id, reopen) the tracked run; returns its id."""

    def track(self, name: str, value: float, *, step: int | None, epoch: int | None, context: dict[str, str]) -> None:
        """Record one metric value. Must return at once."""

    def close(self) -> None:
        """Flush, close, and make the run readable by the tracker's own readers."""


class NullTracker:
    """Tracks nothing: for benchmarks' baselines and library use without a workspace."""

    def start(self, *, name: str, experiment: str, hparams: dict[str, Any], tags: list[str], resume_id: str | None) -> str:
        return resume_id or ""

    def track(self, name: str, value: float, *, step: int | None, epoch: int | None, context: dict[str, str]) -> None:
        pass

    def close(self) -> None:
        pass
