"""Command palette (ctrl+p): every action by name, every run by name, every config to load."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from workbench.tui import actions


class WorkbenchCommands(Provider):
    _config_paths: list[Path] = []

    async def startup(self) -> None:
        # Globbing for configs is file I/O: keep it off the event loop.
        self._config_paths = await asyncio.to_thread(actions.config_candidates, self.app.workspace)  # type: ignore[attr-defined]

    def _commands(self) -> list[tuple[str, Any, str]]:
        app: Any = self.app
        commands: list[tuple[str, Any, str]] = [
            ("Go to Builder", partial(app.switch_mode, "builder"), "build a run: base settings and techniques"),
            ("Go to Runs", partial(app.switch_mode, "runs"), "every run, with its live panels"),
            ("Go to Compare", partial(app.switch_mode, "compare"), "compare two or more runs"),
            ("Launch the Builder's run", partial(app.run_screen_action, "builder", "launch"), "F5 in the Builder"),
            ("Save the Builder's config as TOML", partial(app.run_screen_action, "builder", "save"), "ctrl+s in the Builder"),
            ("Load a config into the Builder", partial(app.run_screen_action, "builder", "load"), "ctrl+o in the Builder"),
            ("Stop the selected run", partial(app.run_screen_action, "runs", "stop"), "s in Runs"),
            ("Resume the selected run", partial(app.run_screen_action, "runs", "resume"), "u in Runs"),
            ("Open the Aim UI", partial(app.run_screen_action, "runs", "aim"), "a in Runs: URL and ssh -L line"),
            ("New run from the selected run", partial(app.run_screen_action, "runs", "new_from_run"), "n in Runs"),
        ]
        with app.monitor.lock:
            views = app.monitor.ordered()
        for view in views:
            commands.append((f"Show run {view.name} ({view.id})", partial(app.show_run, view.id), view.status))
        for path in self._config_paths:
            commands.append((f"Load config {path.name}", partial(app.load_config_file, path), str(path)))
        return commands

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)
