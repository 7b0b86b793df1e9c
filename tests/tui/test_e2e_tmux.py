"""End to end in a real terminal: tmux runs the UI, the quickstart (shortened) is launched with the
keyboard, the screen is read back, the UI quits while the run trains, and on reopening the run has
finished and its whole history is there.

Uses the real launcher and trainer, so it is marked slow (~30 s on 2 CPU cores).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomli_w

from workbench.compat import tomllib

REPO_ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = REPO_ROOT / "sample_configs" / "quickstart.toml"

pytestmark = pytest.mark.slow


class Tmux:
    """A private tmux server (its own socket), so a user's sessions are never touched."""

    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "xterm-256color"}
        self.env.pop("NO_COLOR", None)
        self.env.pop("TMUX", None)

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, env=self.env,
                              check=check, timeout=30)

    def start(self, name: str, command: str) -> None:
        self("new-session", "-d", "-x", "120", "-y", "36", "-s", name, command)

    def screen(self, name: str) -> str:
        result = self("capture-pane", "-p", "-t", name, check=False)
        return result.stdout

    def alive(self, name: str) -> bool:
        return self("has-session", "-t", name, check=False).returncode == 0

    def keys(self, name: str, *keys: str, literal: bool = False) -> None:
        self("send-keys", "-t", name, *(["-l"] if literal else []), *keys)

    def wait_for(self, name: str, *texts: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen(name)
            if all(t in screen for t in texts):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {texts!r}; the screen was:\n{screen}")

    def kill_server(self) -> None:
        self("kill-server", check=False)


@pytest.fixture
def tmux(tmp_path: Path):  # type: ignore[no-untyped-def]
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed: the end-to-end terminal test needs it")
    server = Tmux(f"workbench-test-{os.getpid()}")
    yield server
    server.kill_server()


def test_launch_quickstart_quit_and_reopen(tmux: Tmux, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    (workspace / "configs").mkdir(parents=True)
    config = tomllib.loads(QUICKSTART.read_text(encoding="utf-8"))
    config.setdefault("train", {})["epochs"] = 1  # the quickstart, shortened so the test stays fast
    config["train"]["device"] = "cpu"
    short = workspace / "configs" / "quickstart-short.toml"
    short.write_text(tomli_w.dumps(config), encoding="utf-8")
    name = config["name"]

    workbench = Path(sys.executable).with_name("workbench")  # the installed command a user types
    ui = f"cd {workspace} && exec {workbench} tui --workspace {workspace}"
    tmux.start("ui", ui)
    tmux.wait_for("ui", "[F1 Builder]", "Techniques", timeout=60)

    tmux.keys("ui", "C-o")
    tmux.wait_for("ui", "Load a config into the Builder")
    tmux.keys("ui", "Tab")
    tmux.keys("ui", str(short), literal=True)
    tmux.keys("ui", "Enter")
    tmux.wait_for("ui", f"ready: {name}", timeout=60)

    tmux.keys("ui", "F5")
    screen = tmux.wait_for("ui", "[F2 Runs]", name, timeout=60)
    assert any(s in screen for s in ("starting", "running", "completed")), screen

    # Quit while it trains: closing the UI must not stop the run.
    tmux.keys("ui", "C-q")
    deadline = time.monotonic() + 15
    while tmux.alive("ui") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not tmux.alive("ui"), "the UI quits on ctrl+q"
    from workbench.runstore import Workspace

    (run,) = Workspace(workspace).runs()
    assert run.status in ("starting", "running", "completed"), f"the run is {run.status} after the UI closed"

    tmux.start("again", ui)
    tmux.wait_for("again", "[F2 Runs]", name, timeout=60)
    screen = tmux.wait_for("again", "✓ completed", timeout=180)
    assert "acc " in screen and "ema" in screen and "100%" in screen, screen
    assert Workspace(workspace).find(run.id).status == "completed"
    tmux.keys("again", "]")  # the Loss panel: the whole history, including steps logged while the UI was closed
    tmux.wait_for("again", "Train loss", "smoothed")
    tmux.keys("again", "]")  # the Eval panel: raw and EMA
    tmux.wait_for("again", "Val accuracy per weight set", "raw", "ema")
    tmux.keys("again", "C-q")
