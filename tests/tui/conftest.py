"""Fixtures for the UI tests: deterministic fake techniques, run directories written from events, a fake
trainer process, and helpers to wait for the app and read its screen as text.

The UI is tested against event logs that follow docs/events.md, written here, so these tests do not
depend on the real trainer (the tmux end-to-end test uses the real one).
"""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

import workbench.technique as technique_module
from workbench.technique import Needs, TechniqueParams, TechniqueSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
T0 = 1_700_000_000.0  # fixed event times: snapshots and relative times are deterministic


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run `async def` tests (Pilot) in a fresh event loop, without needing an async pytest plugin."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**args))
        return True
    return None


# --------------------------------------------------------------------------------------------- techniques
class EmaParams(TechniqueParams):
    decay: float = Field(0.999, gt=0.0, lt=1.0, description="EMA decay per optimizer step")
    warmup_steps: int = Field(0, ge=0, description="steps before the average starts")


class SwaParams(TechniqueParams):
    start_fraction: float = Field(0.75, gt=0.0, lt=1.0, description="fraction of training before SWA starts")
    swa_lr: float = Field(0.05, gt=0.0, description="constant learning rate during SWA")


class ShardParams(TechniqueParams):
    stage: int = Field(1, ge=1, le=3, description="ZeRO stage")


FAKE_SPECS = {
    "ema": TechniqueSpec(
        "ema", "Exponential moving average", "weight averaging",
        "Keeps a moving average of the weights and evaluates it beside the raw weights.",
        EmaParams, "tests:Nothing",
        card="## EMA\n\nAn average of the weights over recent steps.\n\n**When:** noisy late training.",
        weight_sets=("ema",)),
    "swa": TechniqueSpec(
        "swa", "Stochastic weight averaging", "weight averaging",
        "Averages weight snapshots taken along the end of training.",
        SwaParams, "tests:Nothing", card="## SWA\n\nAverages snapshots.", conflicts=("ema",)),
    "zero": TechniqueSpec(
        "zero", "ZeRO sharding", "distributed", "Shards optimizer state across data-parallel GPUs.",
        ShardParams, "tests:Nothing", card="## ZeRO", needs=Needs(device="cuda")),
}


@pytest.fixture(autouse=True)
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, TechniqueSpec]:
    """Every UI test sees the same three techniques, whatever plugins are installed."""
    monkeypatch.setattr(technique_module, "registry", lambda: dict(FAKE_SPECS))
    return FAKE_SPECS


@pytest.fixture(autouse=True)
def _no_color_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)


# --------------------------------------------------------------------------------------------- run dirs
def run_events(*, techniques: Iterable[str] = ("ema",), steps: int = 300, status: str = "completed",
               seed: int = 0, pid: int | None = None, pid_started: float | None = None, cuda: bool = False,
               lr: float = 1e-3) -> list[dict[str, Any]]:
    """A plausible event log (docs/events.md) for a run of `steps` steps, 3 epochs, deterministic."""
    rng = random.Random(seed)
    techniques = list(techniques)
    events: list[dict[str, Any]] = []
    t = T0

    def add(kind: str, **fields: Any) -> None:
        events.append({"t": round(t, 3), "kind": kind, **fields})

    add("status", status="starting", pid=pid or 999_999, pid_started=pid_started, resume=False)
    add("status", status="running", pid=pid or 999_999, pid_started=pid_started)
    per_epoch = steps // 3
    weight_sets = ["raw", *[w for w in techniques if w in ("ema", "swa")]]
    add("plan", total_steps=steps, steps_per_epoch=per_epoch, epochs=3, unit="samples",
        device="cuda:0" if cuda else "cpu", parameters=26_314, techniques=techniques, weight_sets=weight_sets)
    for step in range(10, steps + 1, 10):
        t += 0.5
        loss = 2.3 * math.exp(-step / 120) + 0.05 + rng.random() * 0.1
        add("train", step=step, epoch=(step - 1) // per_epoch, loss=loss, lr=lr,
            step_time_s=0.012 + rng.random() * 0.002, throughput=10_000 + rng.random() * 800)
        if step % 30 == 0:
            memory: dict[str, Any] = {"rss": 400e6 + step * 1e5, "cpu_percent": 150 + rng.random() * 30,
                                      "ram_percent": 40 + rng.random()}
            if cuda:
                memory.update(cuda_allocated=1.5e9 + step * 1e6, cuda_reserved=2e9, cuda_peak=1.8e9,
                              gpus=[{"index": 0, "nvml_used": 2.5e9, "nvml_total": 80e9, "utilization": 90.0,
                                     "temperature": 65.0, "power_w": 250.0}])
            add("memory", **memory)
        if step % per_epoch == 0:
            for i, weights in enumerate(weight_sets):
                add("eval", step=step, epoch=step // per_epoch, weights=weights,
                    val_loss=0.5 * math.exp(-step / 150) + 0.05 - 0.01 * i,
                    val_acc=min(0.99, 0.8 + step / 2000 + 0.01 * i))
            add("checkpoint", step=step, epoch=step // per_epoch, path="checkpoints/last.pt")
        if step == 60 and "ema" in techniques:
            add("event", source="ema", message="EMA warmup finished")
    if status not in ("running", "starting"):
        t += 1
        extra: dict[str, Any] = {}
        if status == "failed":
            extra = {"error": "RuntimeError: CUDA error: device-side assert",
                     "traceback": "Traceback (most recent call last):\n  File \"engine.py\", line 1\nRuntimeError: boom"}
        add("status", status=status, **extra)
    return events


def config_toml(name: str, techniques: Iterable[str] = ("ema",), lr: float = 1e-3, seed: int = 0) -> str:
    tables = "".join(f"\n[techniques.{t}]\n" for t in techniques)
    return (f'name = "{name}"\nseed = {seed}\n\n[model]\nname = "cnn"\n\n[data]\nname = "digits"\n\n'
            f'[train]\nepochs = 3\ndevice = "cpu"\n\n[optim]\nname = "adamw"\nlr = {lr}\n{tables}')


def write_run(workspace: Path, run_id: str, *, name: str = "cnn-digits-ema", techniques: Iterable[str] = ("ema",),
              events: list[dict[str, Any]] | None = None, lr: float = 1e-3, seed: int = 0, log_lines: int = 12,
              **event_options: Any) -> Path:
    techniques = list(techniques)
    root = workspace / "runs" / run_id
    (root / "checkpoints").mkdir(parents=True, exist_ok=True)
    (root / "config.toml").write_text(config_toml(name, techniques, lr, seed), encoding="utf-8")
    if events is None:
        events = run_events(techniques=techniques, seed=seed, lr=lr, **event_options)
    (root / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    (root / "output.log").write_text("".join(f"[trainer] epoch line {i}\n" for i in range(log_lines)), encoding="utf-8")
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An empty workspace with a fixed directory name (it shows in the top bar of snapshots)."""
    root = tmp_path / "ws"
    (root / "runs").mkdir(parents=True)
    return root


@pytest.fixture
def sample_workspace(workspace: Path) -> Path:
    """Three finished runs: EMA (completed), plain with a higher lr on a GPU (failed), SWA (stopped)."""
    write_run(workspace, "20250101-120000-aaaa", name="cnn-digits-ema", techniques=["ema"])
    write_run(workspace, "20250101-130000-bbbb", name="cnn-digits-lr3e-3", techniques=[], lr=3e-3, seed=1,
              cuda=True, status="failed")
    write_run(workspace, "20250101-140000-cccc", name="cnn-digits-swa", techniques=["swa"], seed=2,
              status="stopped")
    return workspace


# --------------------------------------------------------------------------------------------- fake trainer
FAKE_TRAINER = r'''
import math, os, signal, sys, time
import psutil
from pathlib import Path
from workbench.runstore import EventWriter

run_dir = Path(sys.argv[1]); steps = int(sys.argv[2]); delay = float(sys.argv[3])
events = EventWriter(run_dir / "events.jsonl")
me = psutil.Process(os.getpid())
stop = {"asked": False}
signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__("asked", True))
events.write("status", status="running", pid=os.getpid(), pid_started=me.create_time())
events.write("plan", total_steps=steps, steps_per_epoch=steps, epochs=1, unit="samples", device="cpu",
             parameters=1234, techniques=["ema"], weight_sets=["raw", "ema"])
print("fake trainer started", flush=True)
for step in range(1, steps + 1):
    time.sleep(delay)
    events.write("train", step=step, epoch=0, loss=2.0 / step, lr=0.001, step_time_s=delay, throughput=64 / delay)
    if step % 5 == 0:
        events.write("memory", rss=1.0e8 + step, cpu_percent=90.0, ram_percent=30.0)
        for w in ("raw", "ema"):
            events.write("eval", step=step, epoch=0, weights=w, val_loss=1.0 / step, val_acc=1 - 1.0 / step)
        print(f"step {step}", flush=True)
    if stop["asked"]:
        events.write("checkpoint", step=step, epoch=0, path="checkpoints/last.pt")
        events.write("status", status="stopped", step=step)
        sys.exit(0)
events.write("status", status="completed")
'''


@pytest.fixture
def fake_launcher(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """Replace the UI's launch with a fake trainer process in a real run directory. Stop is the real one:
    it signals the process, and the fake trainer records `stopped` as the real one does.

    Returns a dict that the test can tune (`steps`, `delay`) and that collects the started processes.
    """
    from workbench.runstore import EventWriter
    from workbench.tui import actions

    script = tmp_path / "fake_trainer.py"
    script.write_text(FAKE_TRAINER, encoding="utf-8")
    state: dict[str, Any] = {"steps": 400, "delay": 0.05, "procs": [], "configs": []}

    def launch_run(workspace, config):  # type: ignore[no-untyped-def]
        import psutil

        state["configs"].append(config)
        paths = workspace.create_run(config.to_toml())
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        with open(paths.output_log, "ab") as log:
            proc = subprocess.Popen([sys.executable, str(script), str(paths.root), str(state["steps"]), str(state["delay"])],
                                    stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        state["procs"].append(proc)
        with EventWriter(paths.events) as events:
            events.write("status", status="starting", pid=proc.pid, pid_started=psutil.Process(proc.pid).create_time())
        return paths

    monkeypatch.setattr(actions, "launch_run", launch_run)
    yield state
    for proc in state["procs"]:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


# --------------------------------------------------------------------------------------------- app helpers
def screen_text(app: Any) -> str:
    """The current screen as plain text (what a user reads), via the compositor like a screenshot."""
    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None,
                      record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def wait_for(pilot: Any, predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        await pilot.pause(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{screen_text(pilot.app)}")


@pytest.fixture
def helpers() -> Any:
    class Helpers:
        screen_text = staticmethod(screen_text)
        wait_for = staticmethod(wait_for)
        write_run = staticmethod(write_run)
        run_events = staticmethod(run_events)
        T0 = T0

    return Helpers
