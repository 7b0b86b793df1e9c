"""User-facing errors.

Every error a user can cause carries enough to fix it: where (file, key path), what (the bad value)
and what is allowed. The CLI turns these into exit code 2 and a readable message.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One thing wrong with a config: the key path, the bad value and what is allowed."""

    path: str
    message: str
    value: object = None
    allowed: str = ""

    def render(self) -> str:
        parts = [f"{self.path or '<root>'}: {self.message}"]
        if self.value is not None:
            parts.append(f"got {self.value!r}")
        if self.allowed:
            parts.append(f"allowed: {self.allowed}")
        return "; ".join(parts)


@dataclass
class ConfigError(Exception):
    """A config (or command-line override) that cannot be run. Nothing has been launched."""

    source: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"invalid config {self.source}:"]
        lines += [f"  - {p.render()}" for p in self.problems]
        return "\n".join(lines)


class RunNotFound(Exception):
    """A run reference (id prefix or name) that matches no run, or more than one."""


class WorkbenchError(Exception):
    """Any other user-facing failure with a message that says what to do."""
