"""Typed messages. They travel up (widget → screen → app, or worker thread → app); state goes down as
attributes and method calls."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class RunsUpdated(Message):
    """The poller found new runs, new events, a status change or new log lines (worker thread → app)."""

    def __init__(self, changed: set[str]) -> None:
        super().__init__()
        self.changed = changed


class RunLaunched(Message):
    """A run was started from the Builder; the app shows it in Runs."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id


class CopyToBuilder(Message):
    """Open the Builder with this config as the start of a new run."""

    def __init__(self, config: dict[str, Any], source: str) -> None:
        super().__init__()
        self.config = config
        self.source = source


class FieldEdited(Message):
    """A form field changed; `value` None means unset (the schema default applies)."""

    def __init__(self, path: str, value: Any) -> None:
        super().__init__()
        self.path = path
        self.value = value


class TechniqueToggled(Message):
    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key


class TechniqueHighlighted(Message):
    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
