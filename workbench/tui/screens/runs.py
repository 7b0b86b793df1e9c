"""Runs: every run in the workspace, and the panels of the selected one.

The screen never reads files: the app's poller (a worker thread) tails the runs and publishes which
changed; this screen redraws those rows and, if the selected run changed, its panels.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, TabbedContent, TabPane

from workbench.tui import actions
from workbench.tui.messages import CopyToBuilder
from workbench.tui.monitor import RunView
from workbench.tui.screens.dialogs import AimDialog, ConfirmDialog
from workbench.tui.widgets.panels import (
    EvalPanel,
    LogPanel,
    LossPanel,
    OverviewPanel,
    SystemPanel,
    ThroughputPanel,
    TimelinePanel,
    VramPanel,
)
from workbench.tui.widgets.run_table import RunTable
from workbench.tui.widgets.topbar import TopBar

PANELS = (
    ("overview", "Overview", OverviewPanel),
    ("loss", "Loss", LossPanel),
    ("eval", "Eval", EvalPanel),
    ("vram", "VRAM", VramPanel),
    ("throughput", "Throughput", ThroughputPanel),
    ("system", "System", SystemPanel),
    ("timeline", "Timeline", TimelinePanel),
    ("log", "Log", LogPanel),
)


class RunsScreen(Screen):
    BINDINGS = [
        Binding("s", "stop", "Stop"),
        Binding("u", "resume", "Resume"),
        Binding("a", "aim", "Aim UI"),
        Binding("n", "new_from_run", "New from run"),
        Binding("x", "mark", "Mark"),
        Binding("right_square_bracket", "panel(1)", "Next panel", show=False),
        Binding("left_square_bracket", "panel(-1)", "Prev panel", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.selected_id: str | None = None

    def compose(self) -> ComposeResult:
        yield TopBar("runs")
        yield RunTable(id="run-table")
        with TabbedContent(id="run-panels"):
            for key, title, panel in PANELS:
                with TabPane(title, id=f"panel-{key}"):
                    yield panel(id=f"{key}-panel")
        yield Footer()

    @property
    def monitor(self):  # type: ignore[no-untyped-def]
        return self.app.monitor  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        self.on_runs_changed(None)
        self.query_one(RunTable).focus()

    def on_screen_resume(self) -> None:
        self.on_runs_changed(None)

    # -- data flowing in -------------------------------------------------------------------------------
    def on_runs_changed(self, changed: set[str] | None) -> None:
        """Called by the app on the visible screen; `None` means everything (e.g. coming back to this screen)."""
        table = self.query_one(RunTable)
        app = self.app
        with self.monitor.lock:
            views = self.monitor.ordered()
            table.sync(views, changed, app.compare_marks)  # type: ignore[attr-defined]
            pending = getattr(app, "select_on_arrival", None)
            if pending and table.select(pending):
                app.select_on_arrival = None  # type: ignore[attr-defined]
            current = table.selected_id
            if current != self.selected_id:
                self._select(current)
            elif current is not None and (changed is None or current in changed):
                self._show(self.monitor.get(current), reset=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        run_id = event.row_key.value if event.row_key is not None else None
        if run_id != self.selected_id:
            with self.monitor.lock:
                self._select(run_id)

    def _select(self, run_id: str | None) -> None:
        self.selected_id = run_id
        self.monitor.focus_id = run_id  # the poller tails this run's output.log
        self._show(self.monitor.get(run_id), reset=True)
        if run_id is not None:
            self.app.poll_now()  # type: ignore[attr-defined]  # its log tail, at once

    def _show(self, view: RunView | None, reset: bool) -> None:
        for key, _, panel_type in PANELS:
            self.query_one(f"#{key}-panel", panel_type).show_run(view, reset)

    # -- actions ---------------------------------------------------------------------------------------
    def _selected_view(self) -> RunView | None:
        view = self.monitor.get(self.selected_id)
        if view is None:
            self.notify("No run selected.", severity="warning")
        return view

    def action_panel(self, step: int) -> None:
        tabs = self.query_one("#run-panels", TabbedContent)
        ids = [f"panel-{key}" for key, _, _ in PANELS]
        tabs.active = ids[(ids.index(tabs.active) + step) % len(ids)] if tabs.active in ids else ids[0]

    def action_mark(self) -> None:
        view = self._selected_view()
        if view is None:
            return
        marks: set[str] = self.app.compare_marks  # type: ignore[attr-defined]
        marks.symmetric_difference_update({view.id})
        self.on_runs_changed({view.id})
        self.notify(f"{len(marks)} run(s) marked; F3 compares them.")

    def action_new_from_run(self) -> None:
        view = self._selected_view()
        if view is not None:
            self.post_message(CopyToBuilder(dict(view.config), f"run {view.id}"))

    def action_stop(self) -> None:
        view = self._selected_view()
        if view is None:
            return
        if not view.active:
            self.notify(f"{view.name} is {view.status}: nothing to stop.", severity="warning")
            return
        self._confirm_stop(view.id, view.name)

    @work(exclusive=True, group="confirm")
    async def _confirm_stop(self, run_id: str, name: str) -> None:
        if await self.app.push_screen_wait(ConfirmDialog(
                f"Stop {name}?", "The trainer checkpoints, then stops; `u` resumes it later.")):
            self.notify(f"Stopping {name}…")
            self._stop(run_id, name)

    def _stop(self, run_id: str, name: str) -> None:
        self._run_action(actions.stop_run, run_id, "Stop", f"{name}: stop requested; it checkpoints, then stops")

    def action_resume(self) -> None:
        view = self._selected_view()
        if view is None:
            return
        if view.active or view.status == "completed":
            self.notify(f"{view.name} is {view.status}: only a stopped or crashed run resumes.", severity="warning")
            return
        self.notify(f"Resuming {view.name}…")
        self._resume(view.id, view.name)

    def _resume(self, run_id: str, name: str) -> None:
        self._run_action(actions.resume_run, run_id, "Resume", f"{name} resumed")

    @work(thread=True, group="run-action")
    def _run_action(self, action, run_id: str, verb: str, done: str) -> None:  # type: ignore[no-untyped-def]
        """Stop and resume touch processes and files: they run in a thread and report by notification."""
        try:
            action(self.app.workspace, run_id)  # type: ignore[attr-defined]
        except Exception as exc:
            self.app.call_from_thread(self.notify, f"{verb} failed: {exc}", severity="error", timeout=10)
            return
        self.app.call_from_thread(self.notify, done)

    def action_aim(self) -> None:
        app = self.app
        handle = getattr(app, "aim_ui", None)
        if handle is not None:
            app.push_screen(AimDialog(handle.url, handle.ssh_line))
            return
        self.notify("Starting the Aim UI…")
        self._start_aim()

    @work(thread=True, exclusive=True, group="aim")
    def _start_aim(self) -> None:
        app = self.app
        try:
            handle = actions.start_aim_ui(app.workspace)  # type: ignore[attr-defined]
        except Exception as exc:
            app.call_from_thread(self.notify, f"Aim UI failed to start: {exc}", severity="error", timeout=15)
            return
        app.aim_ui = handle  # type: ignore[attr-defined]
        app.call_from_thread(app.push_screen, AimDialog(handle.url, handle.ssh_line))
