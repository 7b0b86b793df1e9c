"""The event log and the folded run state (torch-free)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from workbench.errors import RunNotFound
from workbench.runstore import EventTail, EventWriter, RunState, Workspace


def test_tail_reads_only_new_complete_lines(tmp_path):
    path = tmp_path / "events.jsonl"
    tail = EventTail(path)
    assert tail.read_new() == []  # no file yet is not an error
    with EventWriter(path) as w:
        w.write("train", step=1, loss=2.0)
    assert [r["step"] for r in tail.read_new()] == [1]
    assert tail.read_new() == []
    with open(path, "a") as fh:  # a writer caught mid-line: the half line waits
        fh.write('{"t": 1, "kind": "train", "st')
    assert tail.read_new() == []
    with open(path, "a") as fh:
        fh.write('ep": 2}\n')
    assert [r["step"] for r in tail.read_new()] == [2]


def test_non_finite_values_stay_valid_json(tmp_path):
    path = tmp_path / "events.jsonl"
    with EventWriter(path) as w:
        w.write("train", step=1, loss=float("nan"))
    assert json.loads(path.read_text())["loss"] == "nan"


def test_state_folds_metrics_best_and_memory():
    s = RunState()
    s.apply_all([
        {"t": 10.0, "kind": "status", "status": "running", "pid": 1},
        {"t": 10.5, "kind": "plan", "total_steps": 100, "unit": "samples", "weight_sets": ["raw", "ema"]},
        {"t": 11.0, "kind": "train", "step": 50, "loss": 1.0, "throughput": 100.0, "step_time_s": 0.1},
        {"t": 12.0, "kind": "eval", "step": 50, "weights": "raw", "val_loss": 0.5, "val_acc": 0.8},
        {"t": 12.0, "kind": "eval", "step": 50, "weights": "ema", "val_loss": 0.4, "val_acc": 0.85},
        {"t": 13.0, "kind": "eval", "step": 100, "weights": "raw", "val_loss": 0.6, "val_acc": 0.9},
        {"t": 13.0, "kind": "memory", "rss": 100.0, "cpu_percent": 50.0},
        {"t": 13.5, "kind": "memory", "rss": 80.0, "activations": 7.0},
        {"t": 14.0, "kind": "status", "status": "completed"},
    ])
    assert s.progress == 0.5 and s.status == "completed"
    assert s.final["raw"]["val_acc"] == 0.9 and s.best["raw"] == {"val_loss": 0.5, "val_acc": 0.9}
    assert s.best_metric() == ("raw", 0.9)
    assert s.memory_peak == {"rss": 100.0, "activations": 7.0}
    assert s.wall_s == 4.0 and s.median_throughput == 100.0


def test_running_without_a_live_process_is_crashed():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    s = RunState().apply_all([{"t": 1.0, "kind": "status", "status": "running", "pid": dead.pid}])
    assert s.effective_status() == "crashed"
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        import psutil

        started = psutil.Process(live.pid).create_time()
        s = RunState().apply_all([{"t": 1.0, "kind": "status", "status": "running", "pid": live.pid,
                                   "pid_started": started}])
        assert s.effective_status() == "running"
        # the same pid with another start time is another process (pid reuse)
        s = RunState().apply_all([{"t": 1.0, "kind": "status", "status": "running", "pid": live.pid,
                                   "pid_started": started - 1000}])
        assert s.effective_status() == "crashed"
    finally:
        live.kill()
        live.wait()


def test_launcher_note_after_the_trainer_does_not_regress_status():
    s = RunState().apply_all([
        {"t": 1.0, "kind": "status", "status": "running", "pid": 42},
        {"t": 1.1, "kind": "status", "status": "starting", "pid": 42},
    ])
    assert s.status == "running"


def test_find_by_prefix_and_name_and_atomic_creation(tmp_path):
    ws = Workspace(tmp_path)
    a = ws.create_run('name = "alpha"\n')
    b = ws.create_run('name = "beta"\n')
    assert not list(ws.runs_dir.glob(".*"))  # no staging directories left
    assert ws.find(a.id).id == a.id
    assert ws.find("beta").id == b.id
    differ = next(i for i, (x, y) in enumerate(zip(a.id, b.id)) if x != y)
    assert ws.find(b.id[: differ + 1]).id == b.id  # the shortest unique prefix is enough
    with pytest.raises(RunNotFound, match="no run 'gamma'"):
        ws.find("gamma")
    common = a.id[:4]
    with pytest.raises(RunNotFound, match="ambiguous"):
        ws.find(common)
