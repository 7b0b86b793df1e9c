"""Shared fixtures: a temporary workspace, tiny configs, and the real `workbench` CLI as a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import tomli_w

REPO = Path(__file__).resolve().parents[1]
WORKBENCH = shutil.which("workbench") or str(Path(sys.executable).with_name("workbench"))

# A run that trains for real but finishes in seconds on two CPU cores.
TINY: dict[str, Any] = {
    "name": "tiny",
    "seed": 0,
    "model": {"name": "mlp", "width": 32, "depth": 1},
    "data": {"name": "digits", "batch_size": 64},
    "train": {"epochs": 2, "device": "cpu", "log_every": 5},
    "optim": {"name": "adamw", "lr": 3e-3},
    "techniques": {"ema": {"decay": 0.9}},
    "tracking": {"experiment": "tests"},
}


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


@pytest.fixture
def write_config(tmp_path: Path):
    def write(overrides: dict[str, Any] | None = None, name: str = "run.toml", base: dict[str, Any] = TINY) -> Path:
        path = tmp_path / name
        path.write_text(tomli_w.dumps(merge(base, overrides or {})))
        return path

    return write


@pytest.fixture
def cli(workspace: Path):
    """Run the installed `workbench` command in the workspace; returns the CompletedProcess."""

    def run(*args: str, timeout: float = 300, check: bool = False) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "WORKBENCH_WORKSPACE": str(workspace), "NO_COLOR": "1", "COLUMNS": "200"}
        proc = subprocess.run([WORKBENCH, *args], cwd=workspace, env=env, capture_output=True, text=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"workbench {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    return run


def show_json(cli, run_id: str) -> dict[str, Any]:
    return json.loads(cli("show", run_id, "--json", check=True).stdout)


def wait_for(predicate, timeout: float = 120.0, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")
