"""The list of every run in the workspace: status, progress, ETA, techniques, best metric."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from workbench.tui import format as fmt
from workbench.tui.monitor import RunView
from workbench.tui.widgets.panels import headline

COLUMNS = (("name", "Run"), ("status", "Status"), ("progress", "Progress"), ("eta", "ETA"),
           ("techniques", "Techniques"), ("best", "Best"))
NARROW_BELOW = 96  # terminal columns: under this, progress is a percentage and names are shorter (fits 80x24)
# Fixed widths (not fitted to the cells): the layout does not jump as values change, and snapshots are stable.
WIDTHS = {False: (26, 12, 13, 7, 18, 16), True: (18, 12, 4, 6, 10, 14)}


class RunTable(DataTable):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._rows: dict[str, tuple] = {}
        self._views: list[RunView] = []
        self._marks: set[str] = set()
        self.narrow = False

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for (key, label), width in zip(COLUMNS, WIDTHS[self.narrow]):
            if self.narrow and key == "progress":
                label = "Done"
            self.add_column(label, key=key, width=width)

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW_BELOW
        if narrow != self.narrow:
            self.narrow = narrow
            # Columns too: their widths were fitted to the other layout's cells.
            selected = self.selected_id
            self.clear(columns=True)
            self._add_columns()
            self._rows = {}
            self.sync(self._views, None, self._marks)
            if selected is not None:
                self.select(selected)

    def cells(self, view: RunView, marked: bool) -> tuple:
        state = view.state
        eta = state.eta_s() if view.active else None
        name_width, _, _, _, tech_width, _ = WIDTHS[self.narrow]
        name_width -= 2  # the compare mark
        progress = f"{state.progress * 100:3.0f}%" if self.narrow else fmt.progress_bar(state.progress, 8)
        return (
            Text(("• " if marked else "  ") + fmt.truncate(view.name, name_width)),
            Text(fmt.status_text(view.status), style=fmt.STATUS_STYLES.get(view.status, "")),
            Text(progress),
            Text(fmt.duration(eta) if eta is not None else ""),
            Text(fmt.truncate(",".join(view.techniques) or "—", tech_width)),
            Text(headline(view)),
        )

    @property
    def selected_id(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None

    def sync(self, views: list[RunView], changed: set[str] | None, marks: set[str]) -> None:
        """Show `views` (newest first). Rows are rebuilt only when runs appear or vanish; otherwise only
        the cells of `changed` runs (all, if None) are updated in place, so the cursor stays put."""
        self._views, self._marks = views, marks
        ids = [v.id for v in views]
        if ids != list(self._rows):
            selected = self.selected_id
            self.clear()
            self._rows = {}
            for view in views:
                row = self.cells(view, view.id in marks)
                self.add_row(*row, key=view.id)
                self._rows[view.id] = row
            if selected in self._rows:
                self.move_cursor(row=ids.index(selected))
            return
        for view in views:
            if changed is not None and view.id not in changed:
                continue
            row = self.cells(view, view.id in marks)
            old = self._rows.get(view.id)
            if old is None or row == old:
                continue
            for (column, _), value, before in zip(COLUMNS, row, old):
                if value != before:
                    self.update_cell(view.id, column, value)
            self._rows[view.id] = row

    def select(self, run_id: str) -> bool:
        if run_id not in self._rows:
            return False
        self.move_cursor(row=list(self._rows).index(run_id))
        return True
