"""A form rendered from a pydantic schema: one compact row per field, validated as you type.

Used for the base run (RunConfig's sections) and for every technique's parameters, so a new technique
plugin gets its form for free. The form does not validate by itself: it posts `FieldEdited`, the
Builder updates its draft, validates the whole config, and hands the errors back with `show_errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from workbench.tui.draft import FieldSpec, text_to_value, value_to_text
from workbench.tui.messages import FieldEdited

BOOL_CHOICES = ("true", "false")


def _same(a: Any, b: Any) -> bool:
    """Equal as config values (a typed `[0.9, 0.999]` equals the schema's tuple default)."""
    def norm(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return v
    return norm(a) == norm(b)


class FieldRow(Vertical):
    """Label, input and (when invalid) the error under it."""

    def __init__(self, spec: FieldSpec, value: Any) -> None:
        super().__init__(classes="field-row")
        self.spec = spec
        self.initial = value

    def compose(self) -> ComposeResult:
        spec = self.spec
        with Horizontal(classes="field-line"):
            yield Label(spec.name, classes="field-label", markup=False)
            yield self._make_input()
        yield Static("", classes="field-error", markup=False)

    def _make_input(self) -> Widget:
        spec, value = self.spec, self.initial
        if spec.kind in ("choice", "bool"):
            choices = spec.choices if spec.kind == "choice" else BOOL_CHOICES
            current = value_to_text(value if value is not None else spec.default)
            select: Select[str] = Select([(c, c) for c in choices], value=current if current in choices else choices[0],
                                         allow_blank=False, compact=True, classes="field-input")
            select.tooltip = spec.help()
            return select
        field_input = Input(value_to_text(value if value is not None else spec.default),
                            placeholder=(f"default: {value_to_text(spec.default)}" if spec.default is not None
                                         else f"unset: {spec.description}" if spec.description else "unset"),
                            compact=True, select_on_focus=False, classes="field-input")
        field_input.tooltip = spec.help()
        return field_input

    @property
    def control(self) -> Input | Select[str]:
        return self.query_one(".field-input")  # type: ignore[return-value]

    def parsed(self) -> Any:
        control = self.control
        if isinstance(control, Select):
            text = str(control.value)
            if self.spec.kind == "bool":
                return text == "true"
            return text
        return text_to_value(control.value, self.spec)

    def set_value(self, value: Any) -> None:
        """Show a value set from outside (a loaded config) without echoing it back as an edit."""
        self.initial = value  # used by compose, if this row has not been composed yet
        controls = self.query(".field-input")
        if not controls:
            self.call_after_refresh(self._set_value_when_mounted, value)
            return
        control = controls.first()
        shown = value_to_text(value if value is not None else self.spec.default)
        with control.prevent(Input.Changed, Select.Changed):
            if isinstance(control, Select):
                control.value = shown
            else:
                control.value = shown

    def _set_value_when_mounted(self, value: Any) -> None:
        if self.query(".field-input"):
            self.set_value(value)

    def show_error(self, messages: list[str]) -> None:
        if not self.is_mounted or not self.children:
            return  # not composed yet; the next validation reaches it
        error = self.query_one(".field-error", Static)
        error.update("✗ " + "; ".join(messages) if messages else "")
        self.set_class(bool(messages), "-invalid")
        self.control.set_class(bool(messages), "-invalid")


class SchemaForm(Vertical):
    """Sections of fields, with a help line describing the focused field."""

    def __init__(self, sections: list[tuple[str, list[FieldSpec]]], value_of: Callable[[str], Any],
                 *, id: str | None = None, classes: str | None = None, scroll: bool = True) -> None:
        super().__init__(id=id, classes=classes)
        self.sections = sections
        self.value_of = value_of
        self.scroll = scroll
        self.rows: dict[str, FieldRow] = {}

    def compose(self) -> ComposeResult:
        body = VerticalScroll(classes="form-body") if self.scroll else Vertical(classes="form-body")
        with body:
            for title, fields in self.sections:
                if title:
                    yield Static(title, classes="form-section", markup=False)
                if not fields:
                    yield Static("(no parameters)", classes="form-empty")
                for spec in fields:
                    row = FieldRow(spec, self.value_of(spec.path))
                    self.rows[spec.path] = row
                    yield row
        yield Static("Tab moves between fields; this line explains the focused one.", classes="field-help",
                     markup=False)

    def _row_of(self, widget: Widget | None) -> FieldRow | None:
        while widget is not None and not isinstance(widget, FieldRow):
            widget = widget.parent if isinstance(widget.parent, Widget) else None
        return widget

    def on_descendant_focus(self, event: Any) -> None:
        row = self._row_of(event.widget)
        if row is not None:
            self.query_one(".field-help", Static).update(row.spec.help())

    @on(Input.Changed, ".field-input")
    @on(Select.Changed, ".field-input")
    def _edited(self, event: Input.Changed | Select.Changed) -> None:
        event.stop()
        row = self._row_of(event.control)
        if row is None:
            return
        value = row.parsed()
        current = self.value_of(row.spec.path)
        effective = current if current is not None else row.spec.default
        if _same(value, effective) or (value is None and current is None):
            return  # nothing changed (e.g. the echo of a value set from a loaded config)
        self.post_message(FieldEdited(row.spec.path, value))

    def refresh_values(self) -> None:
        for path, row in self.rows.items():
            row.set_value(self.value_of(path))

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        for path, row in self.rows.items():
            row.show_error(errors.get(path, []))
