"""Starting, stopping and resuming trainer processes.

Each trainer runs as its own process in its own session (`start_new_session`), so closing the
terminal, the SSH connection or the UI never stops it. The launcher never talks to a trainer after
starting it: everything goes through the run directory (events) and signals (stop).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil

from workbench.config import RunConfig
from workbench.errors import WorkbenchError
from workbench.runstore import EventWriter, RunPaths, RunRecord, Workspace
from workbench.tracking.repo import ensure_aim_repo


def launch(workspace: Workspace, config: RunConfig) -> RunPaths:
    """Create the run directory for an already-validated config and start its trainer."""
    ensure_aim_repo(workspace.aim_dir)
    paths = workspace.create_run(config.to_toml())
    try:
        start_trainer(workspace, paths)
    except BaseException:
        workspace.remove_run(paths)
        raise
    return paths


def start_trainer(workspace: Workspace, paths: RunPaths, *, resume: bool = False) -> int:
    cmd = [sys.executable, "-m", "workbench.trainer", str(paths.root)]
    if resume:
        cmd.append("--resume")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(paths.output_log, "ab") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=workspace.root,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session: a closed terminal or UI sends it no SIGHUP
            env=env,
        )
    try:
        started = psutil.Process(proc.pid).create_time()
    except psutil.NoSuchProcess:
        started = None
    with EventWriter(paths.events) as events:
        events.write("status", status="starting", pid=proc.pid, pid_started=started, resume=resume)
    return proc.pid


def request_stop(record: RunRecord) -> None:
    """Ask a running trainer to checkpoint and stop (SIGTERM) without waiting for it."""
    status = record.status
    if status not in ("starting", "running"):
        raise WorkbenchError(f"run {record.id} is {status}, not running: nothing to stop")
    assert record.state.pid is not None
    try:
        os.kill(record.state.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass  # it ended meanwhile; its final status says how


def stop(record: RunRecord, *, timeout: float = 60.0) -> str:
    """Request a stop, then wait for the trainer to record its final status."""
    request_stop(record)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record.refresh()
        if record.status not in ("starting", "running"):
            return record.status
        time.sleep(0.2)
    raise WorkbenchError(f"run {record.id} did not stop within {timeout:.0f} s; its pid is {record.state.pid}")


def resume(workspace: Workspace, record: RunRecord) -> int:
    status = record.status
    if status not in ("stopped", "crashed", "failed", "diverged"):
        raise WorkbenchError(f"run {record.id} is {status}; only a stopped or crashed run can be resumed")
    if not record.paths.last_checkpoint.exists():
        raise WorkbenchError(
            f"run {record.id} has no checkpoint to resume from ({record.paths.last_checkpoint} is missing); "
            "start a new run with `workbench run`"
        )
    ensure_aim_repo(workspace.aim_dir)
    return start_trainer(workspace, record.paths, resume=True)
