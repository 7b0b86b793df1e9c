"""Modal dialogs: load a config, save a config, confirm, and the Aim UI's address."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

# Dynamic text (paths, run names, messages) is never parsed as markup: "[...]" in it must show as typed.


class LoadConfigDialog(ModalScreen[Path | None]):
    """Pick a TOML config (sample_configs/, the workspace) or type a path."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, candidates: list[Path], root: Path) -> None:
        super().__init__()
        self.candidates = candidates
        self.root = root

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Load a config into the Builder", classes="dialog-title")
            options = [Option(Text(self._display(p)), id=str(i)) for i, p in enumerate(self.candidates)]
            if not options:
                options = [Option("(no .toml files found in sample_configs/ or the workspace)", disabled=True)]
            yield OptionList(*options, id="config-choices")
            yield Input(placeholder="…or type a path and press Enter", id="config-path")
            yield Static("Enter: load · Esc: cancel", classes="dialog-help")

    def _display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return f"{path.parent.name}/{path.name}"

    @on(OptionList.OptionSelected, "#config-choices")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(self.candidates[int(event.option.id)])

    @on(Input.Submitted, "#config-path")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            path = Path(event.value.strip()).expanduser()
            self.dismiss(path if path.is_absolute() else self.root / path)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SaveConfigDialog(ModalScreen[Path | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: Path, warning: str = "") -> None:
        super().__init__()
        self.default = default
        self.warning = warning

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Save the config as TOML", classes="dialog-title")
            yield Input(str(self.default), id="save-path")
            if self.warning:
                yield Static(self.warning, classes="dialog-warning", markup=False)
            yield Static("Enter: save · Esc: cancel", classes="dialog-help")

    @on(Input.Submitted, "#save-path")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(Path(event.value.strip()).expanduser())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title", markup=False)
            if self.detail:
                yield Static(self.detail, markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class AimDialog(ModalScreen[None]):
    """Where the Aim UI listens, and the `ssh -L` line for a laptop to reach it."""

    BINDINGS = [
        Binding("c", "copy", "Copy ssh line"),
        Binding("escape,enter,q", "close", "Close"),
    ]

    def __init__(self, url: str, ssh_line: str) -> None:
        super().__init__()
        self.url = url
        self.ssh_line = ssh_line

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Aim UI", classes="dialog-title")
            yield Static(f"Open:  {self.url}", id="aim-url", markup=False)
            yield Static("From your laptop, forward the port first:")
            yield Static(self.ssh_line, id="aim-ssh", classes="dialog-code", markup=False)
            yield Static("It stops when workbench quits (`workbench ui` runs one on its own).", classes="dialog-help")
            yield Static("c: copy the ssh line · Esc: close", classes="dialog-help")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.ssh_line)
        self.notify("ssh line copied to the clipboard (OSC 52)")

    def action_close(self) -> None:
        self.dismiss(None)
