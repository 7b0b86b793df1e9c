"""The workspace on disk: `runs/<run-id>/…` and `.aim/`.

The run directory is the single source of truth for every front end. A run's files:

    config.toml     the fully resolved config (written once, before the trainer starts)
    events.jsonl    the append-only event log (docs/events.md)
    output.log      the trainer's stdout and stderr
    checkpoints/    last.pt, written atomically
    summary.json    the final summary, written when the trainer stops for any reason

This module imports no torch, so the TUI uses it directly.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.compat import tomllib
from workbench.errors import RunNotFound
from workbench.runstore.events import EventTail
from workbench.runstore.state import RunState

WORKSPACE_ENV = "WORKBENCH_WORKSPACE"


@dataclass
class RunPaths:
    root: Path

    @property
    def id(self) -> str:
        return self.root.name

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def events(self) -> Path:
        return self.root / "events.jsonl"

    @property
    def output_log(self) -> Path:
        return self.root / "output.log"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def last_checkpoint(self) -> Path:
        return self.checkpoints / "last.pt"

    @property
    def summary(self) -> Path:
        return self.root / "summary.json"


@dataclass
class RunRecord:
    """A run as front ends see it: its paths, recorded config and folded state."""

    paths: RunPaths
    config: dict[str, Any]
    state: RunState
    tail: EventTail = field(repr=False, default=None)  # type: ignore[assignment]

    @classmethod
    def load(cls, paths: RunPaths) -> RunRecord:
        config = tomllib.loads(paths.config.read_text(encoding="utf-8")) if paths.config.exists() else {}
        record = cls(paths, config, RunState(), EventTail(paths.events))
        record.refresh()
        return record

    def refresh(self) -> list[dict[str, Any]]:
        """Apply events appended since the last refresh; returns them."""
        new = self.tail.read_new()
        self.state.apply_all(new)
        return new

    @property
    def id(self) -> str:
        return self.paths.id

    @property
    def name(self) -> str:
        return self.config.get("name") or self.id

    @property
    def techniques(self) -> list[str]:
        return sorted(self.config.get("techniques", {}))

    @property
    def status(self) -> str:
        return self.state.effective_status()

    def to_json(self) -> dict[str, Any]:
        summary = self.state.summary()
        return {
            "id": self.id,
            "name": self.name,
            "status": summary.pop("status"),
            "techniques": self.techniques,
            "config": self.config,
            "pid": self.state.pid if self.state.effective_status() in ("starting", "running") else None,
            "started": self.state.started_at,
            "ended": self.state.ended_at,
            "path": str(self.paths.root),
            **summary,
        }


class Workspace:
    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root or os.environ.get(WORKSPACE_ENV) or ".").resolve()

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def aim_dir(self) -> Path:
        return self.root / ".aim"

    def run_paths(self, run_id: str) -> RunPaths:
        return RunPaths(self.runs_dir / run_id)

    def run_ids(self) -> list[str]:
        if not self.runs_dir.is_dir():
            return []
        # Directories still being created start with "." and are not runs yet.
        return sorted(p.name for p in self.runs_dir.iterdir() if p.is_dir() and not p.name.startswith("."))

    def runs(self) -> list[RunRecord]:
        return [RunRecord.load(self.run_paths(rid)) for rid in self.run_ids()]

    def find(self, ref: str) -> RunRecord:
        """A run by exact id, unique id prefix, or name (the newest run of that name)."""
        ids = self.run_ids()
        if ref in ids:
            return RunRecord.load(self.run_paths(ref))
        prefixed = [rid for rid in ids if rid.startswith(ref)]
        if len(prefixed) == 1:
            return RunRecord.load(self.run_paths(prefixed[0]))
        if len(prefixed) > 1:
            raise RunNotFound(f"run {ref!r} is ambiguous: it prefixes {', '.join(prefixed[:5])}; give more of the id")
        named = [r for r in self.runs() if r.name == ref]
        if named:
            return named[-1]
        raise RunNotFound(f"no run {ref!r} in {self.runs_dir} (see `workbench ls`)")

    def new_run_id(self) -> str:
        return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)

    def create_run(self, config_toml: str) -> RunPaths:
        """Create runs/<id>/ with its config, atomically: a half-made run directory is never visible."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        run_id = self.new_run_id()
        staging = self.runs_dir / f".{run_id}.tmp"
        staging.mkdir()
        try:
            (staging / "checkpoints").mkdir()
            (staging / "config.toml").write_text(config_toml, encoding="utf-8")
            (staging / "events.jsonl").touch()
            os.rename(staging, self.runs_dir / run_id)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return self.run_paths(run_id)

    def remove_run(self, paths: RunPaths) -> None:
        shutil.rmtree(paths.root, ignore_errors=True)


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
