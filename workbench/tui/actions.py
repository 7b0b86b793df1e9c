"""The UI's side effects on runs, each a thin call into the same code the CLI uses.

Every function here blocks (starting a process, waiting for a clean stop, starting a server), so the
screens call them from thread workers. The launcher and the Aim UI module are imported lazily: they pull
in more than the UI needs at startup, and tests replace these functions with fakes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.config import RunConfig
from workbench.runstore import RunPaths, Workspace


def launch_run(workspace: Workspace, config: RunConfig) -> RunPaths:
    """Create the run directory and start its trainer: the same call as `workbench run`."""
    from workbench import launcher

    return launcher.launch(workspace, config)


def stop_run(workspace: Workspace, run_id: str) -> None:
    """Ask the trainer to checkpoint and stop. The UI does not wait: the run's own `stopped` status
    arrives through the event log like any other change, and quitting the UI never hangs on a stop.

    A fresh `RunRecord` is loaded here: the UI's own records are being tailed by the poller thread.
    """
    from workbench import launcher

    launcher.request_stop(workspace.find(run_id))


def resume_run(workspace: Workspace, run_id: str) -> int:
    from workbench import launcher

    return launcher.resume(workspace, workspace.find(run_id))


AIM_PORTS = range(43800, 43810)


def start_aim_ui(workspace: Workspace) -> Any:
    """Start `aim up` for this workspace on 127.0.0.1 and wait until it listens.

    The handle has `.url`, `.ssh_line` and `.stop()`. The first free port from 43800 is used, so a
    `workbench ui` already running elsewhere does not make this fail.
    """
    from workbench.tracking import aim_ui

    port = next((p for p in AIM_PORTS if aim_ui.port_is_free("127.0.0.1", p)), AIM_PORTS[0])
    handle = aim_ui.start_aim_ui(workspace, port=port)
    try:
        handle.wait_ready()
    except Exception:
        handle.stop()
        raise
    return handle


def config_candidates(workspace: Workspace) -> list[Path]:
    """TOML configs a user may load: the repository's sample_configs/, then the workspace's own files."""
    roots = []
    # In a source checkout (or an editable install) sample_configs/ sits beside the package.
    roots.append(Path(__file__).resolve().parents[2] / "sample_configs")
    roots += [workspace.root / "sample_configs", workspace.root / "configs", workspace.root]
    found: list[Path] = []
    seen: set[Path] = set()
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.glob("*.toml")):
            resolved = path.resolve()
            if resolved not in seen and path.name != "pyproject.toml":
                seen.add(resolved)
                found.append(path)
    return found
