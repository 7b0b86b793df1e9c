"""The UI process never imports torch: it must start fast and run on a login node without CUDA."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

TUI_DIR = Path(__file__).resolve().parents[2] / "workbench" / "tui"

PROBE = r'''
import asyncio, sys
from workbench.tui.app import WorkbenchApp

async def main():
    app = WorkbenchApp(sys.argv[1])
    async with app.run_test(size=(100, 32)) as pilot:
        for key in ("f1", "space", "f2", "f3", "f1", "ctrl+p"):
            await pilot.press(key)
            await pilot.pause(0.05)
        await pilot.pause(0.3)
    # What the launch and Aim UI workers import lazily, in the same process:
    import workbench.tui.actions, workbench.tui.draft
    for name in ("workbench.launcher", "workbench.tracking.aim_ui", "aim.sdk.repo"):
        try:
            __import__(name)
        except ImportError as exc:
            print("not importable yet:", name, exc)
    print("TORCH_LOADED" if "torch" in sys.modules else "TORCH_FREE")

asyncio.run(main())
'''


def test_the_ui_process_never_imports_torch(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    env = {**os.environ, "PYTHONPATH": str(TUI_DIR.parents[1]) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-c", PROBE, str(workspace)], capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "TORCH_FREE" in result.stdout, result.stdout + result.stderr[-2000:]


def test_no_module_under_workbench_tui_imports_torch() -> None:
    pattern = re.compile(r"^\s*(import torch|from torch\b)", re.MULTILINE)
    offenders = [str(p) for p in TUI_DIR.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
