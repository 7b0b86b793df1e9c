"""The top line: the screens and their keys, the current one marked, and the workspace."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

SCREENS = (("builder", "F1", "Builder"), ("runs", "F2", "Runs"), ("compare", "F3", "Compare"))


class TopBar(Static):
    DEFAULT_CSS = """
    TopBar { dock: top; height: 1; background: $panel; color: $foreground; }
    """

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def on_mount(self) -> None:
        self.update(self.render_bar())

    def render_bar(self) -> Text:
        text = Text(" workbench ", style="bold")
        for mode, key, title in SCREENS:
            text.append("│ ")
            if mode == self.current:
                # Brackets as well as reverse video: the current screen must be visible with NO_COLOR.
                text.append(f"[{key} {title}]", style="bold reverse")
            else:
                text.append(f" {key} {title} ", style="dim")
            text.append(" ")
        text.append(f"│ ws: {self.app.workspace.root.name}", style="dim")  # type: ignore[attr-defined]
        return text
