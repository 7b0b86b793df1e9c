"""The UI's plain-Python models: the Builder draft, the run series, the workspace monitor, compare tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from workbench.runstore import EventTail, Workspace
from workbench.tui.comparison import config_diff, flatten, metric_rows
from workbench.tui.draft import (
    BuilderDraft,
    base_fields,
    fields_of,
    text_to_value,
    value_to_text,
)
from workbench.tui.monitor import TextTail, WorkspaceMonitor, load_view
from workbench.tui.series import RunSeries


# ------------------------------------------------------------------------------------------- draft
def test_toggling_a_technique_puts_its_table_in_the_config(fake_registry) -> None:
    draft = BuilderDraft()
    assert draft.toggle("ema") is True
    draft.set("techniques.ema.decay", 0.99)
    validation = draft.validate()
    assert validation.ok, validation.problems
    assert validation.config.techniques["ema"] == {"decay": 0.99, "warmup_steps": 0}
    assert "[techniques.ema]" in validation.config.to_toml()
    assert draft.toggle("ema") is False
    assert "techniques" not in draft.to_raw()
    assert draft.params["ema"] == {"decay": 0.99}, "parameters are kept while the toggle is off"


def test_conflicts_show_for_both_sides_and_block_validation(fake_registry) -> None:
    draft = BuilderDraft()
    draft.toggle("ema")
    notes = draft.technique_notes()
    assert notes["swa"] == ["conflicts with ema"], "a disabled technique warns before it is enabled"
    draft.toggle("swa")
    validation = draft.validate()
    assert not validation.ok
    assert any("conflicts with techniques.swa" in p.message for p in validation.problems)
    assert validation.notes["ema"] == ["conflicts with swa"]


def test_unmet_needs_are_reported_with_the_reason(fake_registry) -> None:
    draft = BuilderDraft()
    draft.set("train.device", "cpu")
    assert any("needs a CUDA device" in n for n in draft.technique_notes()["zero"])


def test_bad_values_are_reported_at_their_key_path(fake_registry) -> None:
    draft = BuilderDraft()
    draft.set("train.epochs", 0)
    draft.toggle("ema")
    draft.set("techniques.ema.decay", 1.5)
    validation = draft.validate()
    paths = {p.path for p in validation.problems}
    assert {"train.epochs", "techniques.ema.decay"} <= paths
    assert draft.param_problems("ema")[0].path == "techniques.ema.decay"


def test_unset_restores_the_default_and_drops_empty_tables(fake_registry) -> None:
    draft = BuilderDraft()
    draft.set("optim.lr", 0.01)
    draft.set("optim.lr", None)
    assert draft.to_raw() == {}


def test_load_keeps_known_keys_and_reports_unknown_ones(fake_registry) -> None:
    draft = BuilderDraft()
    dropped = draft.load({"name": "x", "train": {"epochs": 2, "epoch": 3}, "bogus": 1,
                          "techniques": {"ema": {"decay": 0.9}, "not_installed": {}}})
    assert sorted(dropped) == ["bogus", "train.epoch"]
    assert draft.value("train.epochs") == 2
    assert draft.enabled == ["ema", "not_installed"]
    problems = draft.validate().problems
    assert any(p.path == "techniques.not_installed" for p in problems), "unknown techniques stay visible"


def test_forms_are_generated_from_the_schemas(fake_registry) -> None:
    sections = dict(base_fields())
    train = {f.name: f for f in sections["Training"]}
    assert train["precision"].kind == "choice" and train["precision"].choices == ("fp32", "bf16", "fp16")
    assert train["device"].verbatim
    assert "train.epochs" in train["epochs"].help() and ">= 1" in train["epochs"].help()
    ema = {f.name: f for f in fields_of(fake_registry["ema"].params, "techniques.ema")}
    assert ema["decay"].path == "techniques.ema.decay" and ema["decay"].default == 0.999


def test_text_round_trip() -> None:
    spec = next(f for f in dict(base_fields())["Optimizer"] if f.name == "betas")
    assert text_to_value(value_to_text((0.9, 0.99)), spec) == [0.9, 0.99]
    lr = next(f for f in dict(base_fields())["Optimizer"] if f.name == "lr")
    assert text_to_value("3e-4", lr) == 0.0003
    assert text_to_value("", lr) is None
    assert text_to_value("abc", lr) == "abc", "left for the schema to reject with a message"


# ------------------------------------------------------------------------------------------- series/monitor
def test_series_follow_the_event_log(helpers) -> None:
    series = RunSeries()
    series.extend(helpers.run_events(techniques=["ema"], steps=300, cuda=True))
    assert len(series.loss) == 30 and len(series.loss_smooth) == 30
    assert sorted(series.eval) == ["ema", "raw"] and len(series.eval["ema"]["val_acc"]) == 3
    assert series.memory["cuda_allocated"].xs[0] > 0, "memory is plotted against seconds since start"
    assert series.gpus[0]["utilization"].last() == 90.0
    series.extend([{"t": helpers.T0 + 999, "kind": "train", "step": 310, "loss": "nan"}])
    assert len(series.loss) == 31 and len(series.loss_smooth) == 30, "a NaN loss is kept raw, not smoothed"


def test_monitor_tails_incrementally_and_sees_new_runs(workspace: Path, helpers, monkeypatch) -> None:
    helpers.write_run(workspace, "20250101-120000-aaaa", status="running")
    monitor = WorkspaceMonitor(Workspace(workspace))
    assert monitor.poll() == {"20250101-120000-aaaa"}
    view = monitor.get("20250101-120000-aaaa")
    events_file = view.record.paths.events
    assert view.record.tail.offset == events_file.stat().st_size
    assert view.status == "crashed", "running with a dead pid is crashed"

    reads: list[int] = []
    original = EventTail.read_new

    def spy(self: EventTail):  # type: ignore[no-untyped-def]
        reads.append(self.offset)
        return original(self)

    monkeypatch.setattr(EventTail, "read_new", spy)
    size = events_file.stat().st_size
    assert monitor.poll() == set(), "nothing new: nothing read"
    with open(events_file, "a") as fh:
        fh.write(json.dumps({"t": helpers.T0 + 500, "kind": "train", "step": 310, "loss": 0.1}) + "\n")
    monitor.focus_id = view.id
    changed = monitor.poll()
    assert view.id in changed
    assert reads == [size], "the tail resumed at the previous end of the file"
    assert view.state.step == 310 and view.series.loss.xs[-1] == 310

    helpers.write_run(workspace, "20250101-130000-bbbb")
    assert "20250101-130000-bbbb" in monitor.poll()
    assert [v.id for v in monitor.ordered()] == ["20250101-130000-bbbb", "20250101-120000-aaaa"]


def test_monitor_marks_a_live_process_running(workspace: Path, helpers) -> None:
    import psutil

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = psutil.Process(proc.pid).create_time()
        helpers.write_run(workspace, "20250101-120000-live", status="running", pid=proc.pid, pid_started=started)
        view = load_view(Workspace(workspace), "20250101-120000-live")
        assert view.status == "running" and view.active
        assert view.state.eta_s() is None or view.state.eta_s() >= 0
    finally:
        proc.kill()
        proc.wait()


def test_text_tail_reads_new_lines_only(tmp_path: Path) -> None:
    log = tmp_path / "output.log"
    log.write_text("x" * 100 + "\nfirst\nsecond\npart")
    tail = TextTail(log, initial_bytes=20)
    assert tail.read_new() == ["first", "second"], "a long log starts near its end, at a line boundary"
    with open(log, "a") as fh:
        fh.write("ial\nprogress 10%\rprogress 20%\n")
    assert tail.read_new() == ["partial", "progress 20%"]
    assert tail.read_new() == []


# ------------------------------------------------------------------------------------------- compare
def test_config_diff_lists_only_differences() -> None:
    a = {"name": "a", "optim": {"lr": 0.001, "name": "adamw"}, "techniques": {"ema": {"decay": 0.99}}}
    b = {"name": "b", "optim": {"lr": 0.003, "name": "adamw"}, "techniques": {"swa": {}}}
    assert flatten(b)["techniques.swa"] == "on"
    rows = dict(config_diff([a, b]))
    assert rows == {"optim.lr": ["0.001", "0.003"], "techniques.ema.decay": ["0.99", "—"], "techniques.swa": ["—", "on"]}


def test_metric_rows_cover_weight_sets(sample_workspace: Path) -> None:
    ws = Workspace(sample_workspace)
    views = [load_view(ws, rid) for rid in ws.run_ids()]
    rows = dict(metric_rows(views))
    assert rows["final val_acc [ema]"][0] != "—" and rows["final val_acc [ema]"][1] == "—"
    assert "best val_loss [swa]" in rows and "peak rss" in rows and "wall time" in rows
