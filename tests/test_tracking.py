"""The Aim tracker: non-blocking tracking, repository initialisation, indexing, and `aim up`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import pytest
from aim import Repo
from conftest import wait_for

from workbench.runstore import Workspace
from workbench.tracking.aim_tracker import AimTracker
from workbench.tracking.aim_ui import ssh_forward_line, start_aim_ui


def test_track_never_waits_for_aim(tmp_path, monkeypatch):
    """Aim's own write is held up; `track` still returns for every value, and nothing is lost."""
    import aim

    release = threading.Event()
    real_track = aim.Run.track

    def slow_track(self, *args, **kwargs):
        release.wait()
        return real_track(self, *args, **kwargs)

    monkeypatch.setattr(aim.Run, "track", slow_track)
    tracker = AimTracker(tmp_path / ".aim")
    run_hash = tracker.start(name="slow", experiment="t", hparams={"a": 1}, tags=["ema"], resume_id=None)
    for step in range(200):
        tracker.track("loss", float(step), step=step, epoch=0, context={"subset": "train"})
    assert not release.is_set()  # every call above returned while Aim was blocked
    release.set()
    tracker.close()
    run = Repo.from_path(str(tmp_path)).get_run(run_hash)
    metric = next(m for m in run.metrics() if m.name == "loss")
    steps, (values, _, _) = metric.data.numpy()
    assert len(steps) == 200 and values[-1] == 199.0


def test_repository_initialised_once_by_concurrent_launchers(tmp_path):
    code = ("import sys; from pathlib import Path; from workbench.tracking.repo import ensure_aim_repo; "
            "ensure_aim_repo(Path(sys.argv[1]) / '.aim')")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)]) for _ in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    assert Repo.exists(str(tmp_path))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_aim_ui_listens_on_loopback_and_stops_its_whole_group(tmp_path):
    port = _free_port()
    server = start_aim_ui(Workspace(tmp_path), port=port)
    try:
        server.wait_ready(timeout=120)
        assert server.url == f"http://127.0.0.1:{port}"
        listening = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout \
            if os.path.exists("/usr/bin/ss") or os.path.exists("/bin/ss") else ""
        if listening:
            lines = [line for line in listening.splitlines() if f":{port} " in line]
            assert lines and all("127.0.0.1" in line for line in lines)
        pgid = server.process.pid
    finally:
        server.stop()
    # no process of the group (aim up and its uvicorn children) is left
    def group_gone() -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for(group_gone, timeout=20, message="aim up's process group to exit")
    assert f"{port}:127.0.0.1:{port}" in ssh_forward_line(port)


def test_aim_ui_refuses_a_busy_port(tmp_path):
    from workbench.errors import WorkbenchError

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(WorkbenchError, match="in use"):
            start_aim_ui(Workspace(tmp_path), port=s.getsockname()[1])
