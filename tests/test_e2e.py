"""End to end: the real CLI starts real trainer processes; results are read back through Aim's own API."""

from __future__ import annotations

import json
import os
import signal

import pytest
from aim import Repo
from conftest import show_json, wait_for

pytestmark = pytest.mark.slow


def aim_runs(workspace):
    return {run.name: run for run in Repo.from_path(str(workspace)).iter_runs()}


def metric_values(run, name, **context):
    for metric in run.metrics():
        if metric.name == name and metric.context.to_dict() == context:
            steps, (values, _epochs, _timestamps) = metric.data.numpy()
            return dict(zip(steps.tolist(), values.tolist()))
    raise AssertionError(f"no metric {name} {context} in {[ (m.name, m.context.to_dict()) for m in run.metrics()]}")


def test_run_completes_and_is_readable_through_aim(cli, write_config, workspace):
    proc = cli("run", str(write_config()), "--name", "e2e-basic")
    assert proc.returncode == 0, proc.stderr
    run_dir = next((workspace / "runs").iterdir())
    for name in ("config.toml", "events.jsonl", "output.log", "summary.json", "checkpoints/last.pt"):
        assert (run_dir / name).exists(), name

    info = show_json(cli, "e2e-basic")
    for key in ("id", "name", "status", "techniques", "config", "metrics", "memory", "throughput", "wall_s", "pid"):
        assert key in info, key
    assert info["status"] == "completed" and info["techniques"] == ["ema"] and info["pid"] is None
    assert info["config"]["train"]["grad_accum"] == 1  # resolved: defaults filled in
    assert set(info["metrics"]["final"]) == {"raw", "ema"} and info["metrics"]["best"]["raw"]["val_acc"] > 0.8
    assert info["memory"]["rss"] > 0 and info["memory"]["activations"] > 0
    assert info["throughput"] > 0 and info["wall_s"] > 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["metrics"] == info["metrics"]

    run = aim_runs(workspace)["e2e-basic"]  # closed and indexed: visible at once
    assert run.experiment == "tests" and list(run.tags) == ["ema"]
    assert run["hparams"]["techniques"]["ema"]["decay"] == 0.9
    raw = metric_values(run, "accuracy", subset="val", weights="raw")
    ema = metric_values(run, "accuracy", subset="val", weights="ema")
    assert raw.keys() == ema.keys() and len(raw) == 2
    assert metric_values(run, "loss", subset="train")
    assert metric_values(run, "__system__rss")

    listing = cli("ls", check=True).stdout
    assert info["id"] in listing and "completed" in listing
    assert "step" in cli("logs", info["id"][:17], check=True).stdout
    assert "validation" in cli("show", info["id"], check=True).stdout


def test_stop_resume_and_kill_continue_the_same_run(cli, write_config, workspace):
    config = write_config({"train": {"epochs": 30, "checkpoint_every": 10}, "name": "e2e-long"})
    run_id = cli("run", str(config), "--detach", check=True).stdout.strip()
    wait_for(lambda: show_json(cli, run_id).get("step", 0) >= 25, message="training progress")
    stopped = cli("stop", run_id, check=True)
    assert "stopped" in stopped.stdout
    info = show_json(cli, run_id)
    assert info["status"] == "stopped" and info["pid"] is None
    stop_step = info["step"]
    assert info["last_checkpoint_step"] == stop_step  # stop checkpoints first

    cli("resume", run_id, "--detach", check=True)
    info = wait_for(lambda: (i := show_json(cli, run_id))["status"] == "running" and i["step"] > stop_step + 15 and i,
                    message="resumed progress")
    os.kill(info["pid"], signal.SIGKILL)  # the machine dies, as far as the trainer can tell
    info = wait_for(lambda: (i := show_json(cli, run_id))["status"] == "crashed" and i, timeout=10, message="crashed")
    checkpoint_step = info["last_checkpoint_step"]
    assert checkpoint_step is not None and checkpoint_step % 10 == 0

    resumed = cli("resume", run_id, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    info = show_json(cli, run_id)
    assert info["status"] == "completed" and info["step"] == info["total_steps"]
    events = [json.loads(line) for line in (workspace / "runs" / run_id / "events.jsonl").read_text().splitlines()]
    statuses = [e["status"] for e in events if e["kind"] == "status"]
    assert statuses.count("running") == 3 and "stopped" in statuses and statuses[-1] == "completed"
    # one Aim run, continued twice: training metrics reach past the stop point and the crash
    runs = [r for r in Repo.from_path(str(workspace)).iter_runs() if r.name == "e2e-long"]
    assert len(runs) == 1
    steps = metric_values(runs[0], "loss", subset="train")
    assert min(steps) <= stop_step and max(steps) == info["total_steps"]


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """Write a module a config can name as `module:factory`; trainers started by the CLI import it."""

    def write(name: str, source: str) -> None:
        (tmp_path / f"{name}.py").write_text(source)
        monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")

    return write


def test_failing_trainer_is_recorded_as_failed(cli, write_config, workspace, user_module):
    user_module("broken_models",
        "import torch\n"
        "class Broken(torch.nn.Module):\n"
        "    def __init__(self):\n        super().__init__(); self.lin = torch.nn.Linear(64, 10)\n"
        "    def forward(self, x):\n        raise RuntimeError('boom in forward')\n"
        "def make(spec):\n    return Broken()\n"
    )
    proc = cli("run", str(write_config({"model": {"name": "broken_models:make"}, "name": "e2e-broken"})))
    assert proc.returncode == 1
    info = show_json(cli, "e2e-broken")
    assert info["status"] == "failed" and "boom in forward" in info["error"]
    run_dir = workspace / "runs" / info["id"]
    assert "RuntimeError: boom in forward" in (run_dir / "output.log").read_text()
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert "Traceback" in events[-1]["traceback"]
    assert "e2e-broken" in aim_runs(workspace)  # the Aim run was closed (and indexed)


def test_two_runs_at_once_in_one_workspace(cli, write_config, workspace):
    first = cli("run", str(write_config({"name": "par-a"}, name="a.toml")), "--detach", check=True).stdout.strip()
    second = cli("run", str(write_config({"name": "par-b"}, name="b.toml")), "--detach", check=True).stdout.strip()
    for run_id in (first, second):
        wait_for(lambda: show_json(cli, run_id)["status"] not in ("starting", "running"), timeout=300,
                 message=f"{run_id} to finish")
        assert show_json(cli, run_id)["status"] == "completed"
    assert {"par-a", "par-b"} <= set(aim_runs(workspace))
    compared = cli("compare", first, second, check=True).stdout
    assert "par-a" in compared and "par-b" in compared and "final val_acc [ema]" in compared


BAD_INPUTS = [
    ({"techniques": {"swirl": {}}}, [], "techniques.swirl", "unknown technique"),
    ({"train": {"epochz": 1}}, [], "train.epochz", "unknown key"),
    ({"optim": {"lr": "fast"}}, [], "optim.lr", "'fast'"),
    ({"data": {"batch_size": 0}}, [], "data.batch_size", ">= 1"),
    ({"techniques": {"ema": {"decay": 2.0}}}, [], "techniques.ema.decay", "< 1"),
    ({"data": {"name": "imagefolder", "path": "/no/such/dir"}}, [], "data.path", "not found"),
    ({"model": {"name": "nowhere.models:make"}}, [], "model.name", "does not import"),
    ({}, ["--set", "train.device=cuda"], "train.device", "no CUDA GPU"),
    ({}, ["--set", "train.device=gpu"], "train.device", "cuda:N"),
]


@pytest.mark.parametrize(("over", "args", "path", "hint"), BAD_INPUTS, ids=[b[2] for b in BAD_INPUTS])
def test_bad_input_exits_2_and_launches_nothing(cli, write_config, workspace, over, args, path, hint):
    config = write_config(over)
    for command in ("validate", "run"):
        proc = cli(command, str(config), *args)
        assert proc.returncode == 2, proc.stderr
        assert str(config) in proc.stderr and path in proc.stderr and hint in proc.stderr, proc.stderr
    assert not (workspace / "runs").exists()


def test_missing_config_file_and_unknown_run(cli, workspace):
    proc = cli("run", "nope.toml")
    assert proc.returncode == 2 and "nope.toml" in proc.stderr and "not found" in proc.stderr
    proc = cli("show", "nosuchrun")
    assert proc.returncode == 2 and "no run 'nosuchrun'" in proc.stderr
    assert not (workspace / "runs").exists()


def test_techniques_catalog(cli):
    out = cli("techniques", check=True).stdout
    assert "ema" in out and "weight averaging" in out
    card = cli("techniques", "ema", check=True).stdout
    assert "decay" in card and "When you need it" in card


def test_trainer_survives_its_parent_terminal(cli, write_config, workspace):
    """The trainer runs in its own session: a hang-up of the launching terminal does not reach it."""
    run_id = cli("run", str(write_config({"train": {"epochs": 4}})), "--detach", check=True).stdout.strip()
    info = wait_for(lambda: (i := show_json(cli, run_id))["pid"] and i, message="trainer pid")
    assert os.getsid(info["pid"]) == info["pid"] != os.getsid(0)
    assert os.getpgid(info["pid"]) != os.getpgid(0)  # nor in our process group: our Ctrl-C never reaches it
    wait_for(lambda: show_json(cli, run_id)["status"] == "completed", timeout=300, message="completion")


def test_diverging_run_reports_its_step_and_keeps_the_last_good_checkpoint(cli, write_config, workspace, user_module):
    # A model whose output turns NaN from its 13th training forward on: a divergence at optimizer step 13.
    user_module("nan_models",
        "import torch\n"
        "class Flaky(torch.nn.Module):\n"
        "    def __init__(self):\n        super().__init__(); self.lin = torch.nn.Linear(64, 10); self.calls = 0\n"
        "    def forward(self, x):\n"
        "        if self.training:\n            self.calls += 1\n"
        "        out = self.lin(x.flatten(1))\n"
        "        return out * float('nan') if self.training and self.calls >= 13 else out\n"
        "def make(spec):\n    return Flaky()\n"
    )
    config = write_config({"model": {"name": "nan_models:make"}, "name": "e2e-nan", "techniques": {},
                           "train": {"checkpoint_every": 5, "log_every": 4}})
    proc = cli("run", str(config))
    assert proc.returncode == 1 and "diverged" in proc.stderr
    info = show_json(cli, "e2e-nan")
    assert info["status"] == "diverged" and info["diverged_step"] == 13
    assert info["last_checkpoint_step"] == 10  # the last good one; nothing written after the NaN
    import torch

    state = torch.load(workspace / "runs" / info["id"] / "checkpoints" / "last.pt", weights_only=False)
    assert state["step"] == 10 and all(torch.isfinite(t).all() for t in state["model"].values())
    assert "diverged" in cli("ls", check=True).stdout
