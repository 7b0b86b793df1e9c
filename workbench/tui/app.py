"""The workbench terminal UI: Builder (F1), Runs (F2), Compare (F3).

`run(workspace_root)` is what `workbench` / `workbench tui` calls. The app holds the workspace and a
`WorkspaceMonitor`, polled from a worker thread a few times a second; the visible screen is told which
runs changed. Closing the UI stops nothing: trainers run in their own sessions and the run directories
hold everything, so reopening shows every run with its history.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from workbench.runstore import Workspace
from workbench.tui.commands import WorkbenchCommands
from workbench.tui.messages import CopyToBuilder, RunLaunched, RunsUpdated
from workbench.tui.monitor import WorkspaceMonitor
from workbench.tui.screens.builder import BuilderScreen
from workbench.tui.screens.compare import CompareScreen
from workbench.tui.screens.runs import RunsScreen

POLL_INTERVAL_S = 0.25  # with the charts' 4 Hz redraw, a new metric is on screen within ~0.5 s


class WorkbenchApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses (benchmarks, tests) live elsewhere
    TITLE = "workbench"
    MODES = {"builder": BuilderScreen, "runs": RunsScreen, "compare": CompareScreen}
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    BINDINGS = [
        Binding("f1", "switch_mode('builder')", "Builder", show=False, priority=True),
        Binding("f2", "switch_mode('runs')", "Runs", show=False, priority=True),
        Binding("f3", "switch_mode('compare')", "Compare", show=False, priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]
    # Taller terminals give the run list more rows (see app.tcss).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    def __init__(self, workspace_root: str | Path | None = None, *, poll_interval: float = POLL_INTERVAL_S,
                 initial_mode: str | None = None) -> None:
        super().__init__()
        self.workspace = Workspace(workspace_root)
        self.monitor = WorkspaceMonitor(self.workspace)
        self.poll_interval = poll_interval
        self.initial_mode = initial_mode
        self.compare_marks: set[str] = set()  # runs marked in Runs (x), preselected in Compare
        self.select_on_arrival: str | None = None  # a run just launched: select it when the poller sees it
        self.aim_ui: Any = None
        self._polling = False

    def on_mount(self) -> None:
        self.poll_now()
        self.set_interval(self.poll_interval, self.poll_now)
        # Listing runs/ once decides the first screen: an empty workspace opens on the Builder.
        mode = self.initial_mode or ("runs" if self.workspace.run_ids() else "builder")
        self.switch_mode(mode)

    def on_unmount(self) -> None:
        # The Aim UI server belongs to this UI session; training runs do not and keep going.
        if self.aim_ui is not None:
            try:
                self.aim_ui.stop()
            except Exception:
                pass

    # -- polling -----------------------------------------------------------------------------------
    def poll_now(self) -> None:
        """Start one poll in a worker thread, unless one is already running."""
        if self._polling:
            return
        self._polling = True
        self.run_worker(self._poll, thread=True, group="poll", exit_on_error=False)

    def _poll(self) -> None:
        try:
            changed = self.monitor.poll()
        except Exception as exc:  # a half-written run directory must not kill the UI; try again next tick
            self.log.warning(f"poll failed: {exc!r}")
            changed = set()
        finally:
            self._polling = False
        if changed:
            self.post_message(RunsUpdated(changed))

    def on_runs_updated(self, message: RunsUpdated) -> None:
        # The topmost screen that shows runs (a dialog may sit above it) redraws what changed.
        for screen in reversed(self.screen_stack):
            handler = getattr(screen, "on_runs_changed", None)
            if handler is not None:
                if screen.is_mounted:  # a screen still mounting catches up in its own on_mount
                    handler(message.changed)
                break

    # -- cross-screen flows --------------------------------------------------------------------------
    async def on_run_launched(self, message: RunLaunched) -> None:
        self.select_on_arrival = message.run_id
        self.notify(f"Launched {message.run_id}")
        await self.switch_mode("runs")
        self.poll_now()

    async def on_copy_to_builder(self, message: CopyToBuilder) -> None:
        await self.switch_mode("builder")
        self.screen.load_config(message.config, message.source)  # type: ignore[attr-defined]

    async def show_run(self, run_id: str) -> None:
        self.select_on_arrival = run_id
        await self.switch_mode("runs")
        self.screen.on_runs_changed(None)  # type: ignore[attr-defined]

    async def load_config_file(self, path: Path) -> None:
        await self.switch_mode("builder")
        self.screen._read_config(path)  # type: ignore[attr-defined]

    async def run_screen_action(self, mode: str, action: str) -> None:
        await self.switch_mode(mode)
        await self.screen.run_action(action)


def run(workspace_root: str | Path | None = None) -> None:
    """Open the UI on a workspace (default: $WORKBENCH_WORKSPACE or the current directory)."""
    WorkbenchApp(workspace_root).run()


if __name__ == "__main__":
    import sys

    run(sys.argv[1] if len(sys.argv) > 1 else None)
