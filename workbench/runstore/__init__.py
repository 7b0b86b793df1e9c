"""Run directories, the event log and the folded run state (torch-free)."""

from workbench.runstore.events import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    EventTail,
    EventWriter,
    LineTail,
    read_events,
)
from workbench.runstore.state import RunState, process_alive
from workbench.runstore.store import RunPaths, RunRecord, Workspace, write_json_atomic

__all__ = [
    "ACTIVE_STATUSES", "FINAL_STATUSES", "EventTail", "LineTail", "EventWriter", "read_events", "RunState",
    "process_alive", "RunPaths", "RunRecord", "Workspace", "write_json_atomic",
]
