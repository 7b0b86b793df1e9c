"""Watching the workspace: every run, its folded state, chart series and log tail.

`WorkspaceMonitor.poll()` does all the file and process I/O and is called from a worker thread. It
tails each run's event log incrementally (`RunRecord.refresh()` reads only the bytes appended since the
last call) and returns the ids of runs that changed. The UI thread reads the views while holding
`monitor.lock`, because the poller mutates `RunState` dicts in place.

Runs started from the CLI, by another UI, or before this UI opened are found the same way: they are
directories under `runs/`. Nothing here talks to a trainer.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.compat import tomllib
from workbench.runstore import (
    ACTIVE_STATUSES,
    EventTail,
    LineTail,
    RunRecord,
    RunState,
    Workspace,
)
from workbench.tui.series import RunSeries

LOG_LINES_KEPT = 2000
LOG_INITIAL_BYTES = 64 * 1024  # on first view, a long output.log is read from its last 64 KiB only
SLOW_POLL_EVERY = 8  # finished runs are checked every 8th poll (a CLI `resume` can revive them)


class TextTail(LineTail):
    """New complete lines of the trainer's output.log, as text; a long log is read from its end."""

    def __init__(self, path: Path, initial_bytes: int = LOG_INITIAL_BYTES) -> None:
        super().__init__(path, start_bytes=initial_bytes)

    def read_new(self) -> list[str]:
        # A progress bar's carriage returns would garble a log view: keep only the last rewrite.
        return [line.decode("utf-8", "replace").rsplit("\r", 1)[-1] for line in self.read_lines()]


@dataclass
class RunView:
    """One run as the UI shows it. Mutated only by the poller, under the monitor's lock."""

    record: RunRecord
    series: RunSeries = field(default_factory=RunSeries)
    status: str = "starting"  # effective status (crashed is inferred), computed by the poller
    log_lines: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_LINES_KEPT))
    log_total: int = 0  # lines ever appended to log_lines: a view writes only the ones it has not seen
    log_tail: TextTail | None = None
    version: int = 0  # bumped on any change the UI should show

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def state(self) -> RunState:
        return self.record.state

    @property
    def config(self) -> dict[str, Any]:
        return self.record.config

    @property
    def techniques(self) -> list[str]:
        return self.record.techniques

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def load_view(workspace: Workspace, run_id: str) -> RunView:
    paths = workspace.run_paths(run_id)
    try:
        config = tomllib.loads(paths.config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        config = {}
    record = RunRecord(paths, config, RunState(), EventTail(paths.events))
    view = RunView(record)
    view.series.extend(record.refresh())
    view.status = record.status
    return view


class WorkspaceMonitor:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.views: dict[str, RunView] = {}
        self.lock = threading.RLock()
        self.focus_id: str | None = None  # the run whose output.log is tailed (the selected one)
        self._polls = 0

    def ordered(self) -> list[RunView]:
        """Newest first (run ids start with their creation time)."""
        with self.lock:
            return [self.views[k] for k in sorted(self.views, reverse=True)]

    def get(self, run_id: str | None) -> RunView | None:
        return self.views.get(run_id) if run_id else None

    def poll(self) -> set[str]:
        """One round of I/O: new runs, new events, status changes, log lines. Returns changed run ids."""
        self._polls += 1
        changed: set[str] = set()
        ids = self.workspace.run_ids()
        # New runs are loaded outside the lock (a long log takes a while), then published together, so
        # the UI never shows a half-loaded workspace (and its first selection is the newest run).
        new = {run_id: load_view(self.workspace, run_id) for run_id in ids if run_id not in self.views}
        changed.update(new)
        with self.lock:
            self.views.update(new)
            for run_id in [k for k in self.views if k not in ids]:
                del self.views[run_id]  # deleted from disk
                changed.add(run_id)
        thorough = self._polls % SLOW_POLL_EVERY == 0
        for run_id, view in list(self.views.items()):
            if run_id in changed:
                continue
            if view.active or thorough or run_id == self.focus_id:
                if self._refresh(view):
                    changed.add(run_id)
        focus = self.views.get(self.focus_id or "")
        if focus is not None and self._tail_log(focus):
            changed.add(focus.id)
        return changed

    def _refresh(self, view: RunView) -> bool:
        record = view.record
        with self.lock:
            new = record.refresh() if record.tail.has_new() else []
            if new:
                view.series.extend(new)
            status = record.status  # psutil check for live runs: a vanished process is `crashed`
            if new or status != view.status:
                view.status = status
                view.version += 1
                return True
        return False

    def _tail_log(self, view: RunView) -> bool:
        if view.log_tail is None:
            view.log_tail = TextTail(view.record.paths.output_log)
        lines = view.log_tail.read_new()
        if not lines:
            return False
        with self.lock:
            view.log_lines.extend(lines)
            view.log_total += len(lines)
            view.version += 1
        return True
