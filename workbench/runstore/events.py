"""The run's event log: `runs/<id>/events.jsonl`, append-only, one JSON object per line.

The schema is documented in docs/events.md. Every record has `t` (Unix seconds) and `kind`.
Writers append whole lines with a single write on an O_APPEND descriptor, so a reader never sees a
partial record from a live writer, and the launcher and the trainer may both append.
Readers tail the file incrementally by byte offset: nothing is ever re-read.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any, Iterator

# Statuses a run can be in. `crashed` is never written: it is inferred when a run claims to be
# running but its trainer process is gone (kill -9, OOM killer, machine reboot).
ACTIVE_STATUSES = ("starting", "running")
FINAL_STATUSES = ("completed", "failed", "diverged", "stopped", "crashed")


def _clean(value: Any) -> Any:
    # JSON has no NaN/Inf; a diverged loss is recorded as a string so the log stays valid JSON.
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class EventWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, kind: str, **fields: Any) -> dict[str, Any]:
        record = {"t": round(time.time(), 4), "kind": kind, **_clean(fields)}
        os.write(self._fd, (json.dumps(record, separators=(",", ":")) + "\n").encode())
        return record

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LineTail:
    """New complete lines of a growing file, read by byte offset: nothing is ever read twice.

    `start_bytes` (optional) starts near the end of a long file instead of at its beginning; the
    first, probably partial, line is then skipped.
    """

    def __init__(self, path: Path, start_bytes: int | None = None) -> None:
        self.path = path
        self.offset: int | None = None if start_bytes is not None else 0
        self.start_bytes = start_bytes or 0
        self._partial = b""

    def has_new(self) -> bool:
        try:
            return self.path.stat().st_size != (self.offset or 0) or self.offset is None
        except FileNotFoundError:
            return False

    def read_lines(self) -> list[bytes]:
        skip_first = False
        try:
            with open(self.path, "rb") as fh:
                if self.offset is None:
                    end = fh.seek(0, os.SEEK_END)
                    self.offset = max(0, end - self.start_bytes)
                    skip_first = self.offset > 0  # landed mid-line
                fh.seek(self.offset)
                chunk = fh.read()
        except FileNotFoundError:
            return []
        if not chunk:
            return []
        self.offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()  # an incomplete last line waits for the next read
        return lines[1:] if skip_first else lines


class EventTail(LineTail):
    """Reads new complete event records since the last call."""

    def read_new(self) -> list[dict[str, Any]]:
        records = []
        for line in self.read_lines():
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a torn line (e.g. disk full) is skipped, never fatal
        return records


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    yield from EventTail(path).read_new()
