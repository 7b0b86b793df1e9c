"""Aim as the tracker: one Aim run per workbench run, written from a background thread.

The training step only puts a tuple on a queue; a daemon thread owns the Aim `Run` object and does all
of Aim's I/O, so a slow disk or Aim's own locking never stalls training.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import Any

from workbench.tracking.repo import ensure_aim_repo, index_run

_CLOSE = object()
log = logging.getLogger("workbench.tracking")


class AimTracker:
    def __init__(self, aim_dir: Path) -> None:
        self.aim_dir = aim_dir
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.run_hash: str | None = None

    def start(self, *, name: str, experiment: str, hparams: dict[str, Any], tags: list[str], resume_id: str | None) -> str:
        ensure_aim_repo(self.aim_dir)
        self._thread = threading.Thread(
            target=self._worker, args=(name, experiment, hparams, tags, resume_id), name="aim-tracker", daemon=True
        )
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        assert self.run_hash is not None
        return self.run_hash

    def track(self, name: str, value: float, *, step: int | None, epoch: int | None, context: dict[str, str]) -> None:
        self._queue.put((name, value, step, epoch, context))

    def close(self) -> None:
        if self._thread is None:
            return
        self._queue.put(_CLOSE)
        self._thread.join()
        self._thread = None
        if self.run_hash:
            index_run(self.aim_dir, self.run_hash)

    def _worker(self, name: str, experiment: str, hparams: dict[str, Any], tags: list[str], resume_id: str | None) -> None:
        from aim import Run

        try:
            # System metrics come from workbench telemetry (tracked as `system.*`), so Aim's own
            # system tracking stays off: each figure is recorded once.
            common = dict(repo=str(self.aim_dir.parent), system_tracking_interval=None, capture_terminal_logs=False)
            if resume_id:
                # The previous trainer is gone (stopped or killed): take over its run even if it left a lock.
                run = Run(run_hash=resume_id, force_resume=True, **common)
            else:
                run = Run(experiment=experiment, **common)
                run.name = name
                for tag in tags:
                    run.add_tag(tag)
            run["hparams"] = hparams
            self.run_hash = run.hash
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        failed_once = False
        while True:
            item = self._queue.get()
            if item is _CLOSE:
                break
            metric, value, step, epoch, context = item
            try:
                run.track(value, name=metric, step=step, epoch=epoch, context=context)
            except Exception:  # one bad write must not stop the archive, nor ever the training
                if not failed_once:
                    log.exception("Aim could not record %s; later failures are not reported", metric)
                failed_once = True
        run.close()
