"""The `workbench` command line (Typer). Imports no torch: trainers run in their own processes.

Exit codes: 0 success (for `run`: a completed run), 1 a run that ended otherwise, 2 bad input
(invalid config, unknown run, conflicting techniques …) with a message naming the cause and the fix.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.live import Live

from workbench import views
from workbench.errors import ConfigError, RunNotFound, WorkbenchError
from workbench.runstore import ACTIVE_STATUSES, RunRecord, Workspace

app = typer.Typer(
    name="workbench",
    help="Train deep networks with toggleable techniques; watch, compare and resume runs.",
    no_args_is_help=False,
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (scripts, CI logs) gets a wide console instead of being cut at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True)

WorkspaceOpt = Annotated[
    Optional[Path],
    typer.Option("--workspace", "-w", envvar="WORKBENCH_WORKSPACE", help="workspace directory (default: .)"),
]
SetOpt = Annotated[list[str], typer.Option("--set", "-s", help="override a config key: key.path=value")]


def fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def find_run(workspace: Workspace, ref: str) -> RunRecord:
    try:
        return workspace.find(ref)
    except RunNotFound as exc:
        raise fail(str(exc)) from None


@app.callback()
def root(ctx: typer.Context, workspace: WorkspaceOpt = None) -> None:
    """With no command, opens the terminal UI."""
    if workspace is not None:
        # `workbench -w DIR ls` means the same as `workbench ls -w DIR`: subcommands read the variable.
        os.environ["WORKBENCH_WORKSPACE"] = str(workspace)
    if ctx.invoked_subcommand is None:
        tui(workspace)


@app.command()
def tui(workspace: WorkspaceOpt = None) -> None:
    """Open the terminal UI."""
    from workbench.tui.app import run as run_tui

    run_tui(Workspace(workspace).root)


@app.command()
def validate(
    config: Annotated[Path, typer.Argument(help="a TOML run config")],
    set_: SetOpt = [],
    with_: Annotated[list[str], typer.Option("--with", help="enable a technique (defaults)")] = [],
    without: Annotated[list[str], typer.Option("--without", help="disable a technique")] = [],
) -> None:
    """Check a config (schema, technique parameters, conflicts, device) and print it resolved."""
    from workbench.config import load_config

    try:
        resolved = load_config(config, set_, with_, without)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    console.print(f"[green]ok[/] {config}: {resolved.name}", highlight=False)
    console.print(resolved.to_toml(), highlight=False, markup=False)


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="a TOML run config")],
    set_: SetOpt = [],
    with_: Annotated[list[str], typer.Option("--with", help="enable a technique (defaults)")] = [],
    without: Annotated[list[str], typer.Option("--without", help="disable a technique")] = [],
    name: Annotated[Optional[str], typer.Option("--name", help="run name")] = None,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="print the run id and return")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Validate CONFIG, start its trainer as its own process, and follow it until it ends."""
    from workbench.config import load_config
    from workbench.launcher import launch

    try:
        resolved = load_config(config, set_, with_, without, name)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    ws = Workspace(workspace)
    paths = launch(ws, resolved)
    if detach:
        console.print(paths.id, highlight=False)
        return
    err_console.print(f"run [bold]{paths.id}[/] ({resolved.name}) in {paths.root}", highlight=False)
    raise typer.Exit(follow(RunRecord.load(paths)))


def follow(record: RunRecord) -> int:
    """The live view until the run ends; Ctrl-C detaches (the run keeps going)."""
    try:
        with Live(views.live_view(record), console=err_console, refresh_per_second=4, transient=False) as live:
            while True:
                record.refresh()
                live.update(views.live_view(record))
                if record.status not in ACTIVE_STATUSES:
                    break
                time.sleep(0.25)
    except KeyboardInterrupt:
        err_console.print(
            f"detached; the run goes on. Follow it with `workbench logs -f {record.id}`, "
            f"stop it with `workbench stop {record.id}`."
        )
        return 130
    status = record.status
    if status != "completed":
        err_console.print(f"run {record.id} ended [bold]{status}[/]; see `workbench logs {record.id}`", highlight=False)
        return 1
    return 0


@app.command("ls")
def list_runs(workspace: WorkspaceOpt = None) -> None:
    """Table of runs: id, name, status, techniques, progress, best validation metric, started."""
    records = Workspace(workspace).runs()
    if not records:
        console.print("no runs yet; start one with `workbench run sample_configs/quickstart.toml`")
        return
    console.print(views.runs_table(records))


@app.command()
def show(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="run id, unique id prefix, or name")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object for scripts")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """One run: resolved config, status, final and best metrics, peak memory, throughput, events."""
    record = find_run(Workspace(workspace), run_ref)
    if as_json:
        sys.stdout.write(json.dumps(record.to_json(), default=str) + "\n")
        return
    console.print(views.show_view(record))


@app.command()
def logs(
    run_ref: Annotated[str, typer.Argument(metavar="RUN")],
    follow_: Annotated[bool, typer.Option("--follow", "-f", help="keep printing new output until the run ends")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """The run's output log."""
    record = find_run(Workspace(workspace), run_ref)
    path = record.paths.output_log
    offset = 0
    try:
        while True:
            if path.exists():
                with open(path, "rb") as fh:
                    fh.seek(offset)
                    chunk = fh.read()
                offset += len(chunk)
                sys.stdout.write(chunk.decode(errors="replace"))
                sys.stdout.flush()
            if not follow_:
                return
            record.refresh()
            if record.status not in ACTIVE_STATUSES:
                follow_ = False  # one last read picks up the final lines
            else:
                time.sleep(0.3)
    except KeyboardInterrupt:
        return


@app.command()
def stop(run_ref: Annotated[str, typer.Argument(metavar="RUN")], workspace: WorkspaceOpt = None) -> None:
    """Stop a run cleanly: it checkpoints first, then ends as `stopped`."""
    from workbench.launcher import stop as stop_run

    record = find_run(Workspace(workspace), run_ref)
    try:
        status = stop_run(record)
    except WorkbenchError as exc:
        raise fail(str(exc)) from None
    console.print(f"run {record.id}: {status}", highlight=False)


@app.command()
def resume(
    run_ref: Annotated[str, typer.Argument(metavar="RUN")],
    detach: Annotated[bool, typer.Option("--detach", "-d")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Continue a stopped or crashed run from its last checkpoint (same directory, same Aim run)."""
    from workbench.launcher import resume as resume_run

    ws = Workspace(workspace)
    record = find_run(ws, run_ref)
    try:
        resume_run(ws, record)
    except WorkbenchError as exc:
        raise fail(str(exc)) from None
    if detach:
        console.print(record.id, highlight=False)
        return
    err_console.print(f"resumed run [bold]{record.id}[/]", highlight=False)
    raise typer.Exit(follow(record))


@app.command()
def compare(
    run_refs: Annotated[list[str], typer.Argument(metavar="RUN RUN…", help="two or more runs")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Side by side: config differences, final/best metrics per weight set, time, memory."""
    if len(run_refs) < 2:
        raise fail("compare needs at least two runs")
    ws = Workspace(workspace)
    console.print(views.compare_view([find_run(ws, ref) for ref in run_refs]))


@app.command()
def techniques(key: Annotated[Optional[str], typer.Argument(help="a technique key")] = None) -> None:
    """The technique catalog, or one technique's card, parameters and conflicts."""
    from workbench.technique import registry

    specs = registry()
    if key is None:
        console.print(views.catalog_table(specs))
        return
    if key not in specs:
        raise fail(f"unknown technique {key!r}; known: {', '.join(specs)}")
    console.print(views.technique_view(specs[key]))


@app.command()
def ui(
    port: Annotated[int, typer.Option("--port", "-p")] = 43800,
    host: Annotated[str, typer.Option("--host", help="interface to listen on")] = "127.0.0.1",
    workspace: WorkspaceOpt = None,
) -> None:
    """Start the Aim UI for this workspace and print the SSH port-forward line. Ctrl-C stops it."""
    from workbench.tracking.aim_ui import start_aim_ui

    try:
        server = start_aim_ui(Workspace(workspace), host=host, port=port)
    except WorkbenchError as exc:
        raise fail(str(exc)) from None
    try:
        server.wait_ready()
        console.print(f"Aim UI: {server.url}")
        console.print(f"from your laptop: {server.ssh_line}   then open http://localhost:{port}")
        server.process.wait()
    except WorkbenchError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
