"""The technique catalog: every installed technique, grouped by category, each a toggle.

Rendered only from the registry (`workbench.technique.registry()`), so a new plugin appears without any
change here. Each row shows its state as text (`[x]`/`[ ]`, `!` with the reason), readable without colour.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from workbench import technique as technique_module
from workbench.technique import TechniqueSpec
from workbench.tui.draft import UNKNOWN_CATEGORY
from workbench.tui.messages import TechniqueHighlighted, TechniqueToggled


def grouped(specs: dict[str, TechniqueSpec], extra_keys: list[str] = ()) -> list[tuple[str, list[str]]]:  # type: ignore[assignment]
    """(category, technique keys) in the registry's category order; unknown categories after, sorted."""
    order = list(technique_module.CATEGORIES)
    categories: dict[str, list[str]] = {}
    for key, spec in specs.items():
        categories.setdefault(spec.category, []).append(key)
    ordered = sorted(categories, key=lambda c: (order.index(c) if c in order else len(order), c))
    groups = [(c, sorted(categories[c], key=lambda k: specs[k].title.lower())) for c in ordered]
    unknown = [k for k in extra_keys if k not in specs]
    if unknown:
        groups.append((UNKNOWN_CATEGORY, unknown))
    return groups


class TechniqueCatalog(OptionList):
    BINDINGS = [
        Binding("space", "toggle", "Toggle technique"),
    ]

    def __init__(self, specs: dict[str, TechniqueSpec], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.specs = specs
        self.enabled: set[str] = set()
        self.notes: dict[str, list[str]] = {}
        self.extra_keys: list[str] = []

    def on_mount(self) -> None:
        self.rebuild()

    def rebuild(self) -> None:
        """Recreate the options (when the set of rows changes: a loaded config names an unknown technique)."""
        highlighted = self.highlighted_key
        options: list[Option] = []
        for category, keys in grouped(self.specs, self.extra_keys):
            options.append(Option(Text(category.upper(), style="bold"), id=f"category:{category}", disabled=True))
            options += [Option(self._prompt(key), id=key) for key in keys]
        self.set_options(options)
        target = highlighted if highlighted in self._keys() else next(iter(self._keys()), None)
        if target is not None:
            self.highlighted = self.get_option_index(target)

    def _keys(self) -> list[str]:
        return [o.id for o in self.options if o.id and not o.id.startswith("category:")]

    @property
    def highlighted_key(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None and option.id and not option.id.startswith("category:") else None

    def _prompt(self, key: str) -> Text:
        spec = self.specs.get(key)
        on = key in self.enabled
        reasons = self.notes.get(key, [])
        text = Text()
        text.append("[x] " if on else "[ ] ", style="bold" if on else "")
        text.append(spec.title if spec else key, style="bold" if on else "")
        if reasons:
            # An enabled technique with a reason blocks the launch (✗); a disabled one only warns (!).
            mark, style = ("✗", "bold red") if on else ("!", "yellow")
            for reason in reasons:
                text.append(f"\n    {mark} {reason}", style=style)
        return text

    def update_state(self, enabled: set[str], notes: dict[str, list[str]], extra_keys: list[str]) -> None:
        """New toggle states and reasons; redraws only the rows whose text changed."""
        rows_changed = extra_keys != self.extra_keys
        old = {k: (k in self.enabled, tuple(self.notes.get(k, ()))) for k in self._keys()}
        self.enabled, self.notes, self.extra_keys = set(enabled), notes, list(extra_keys)
        if rows_changed:
            self.rebuild()
            return
        for key in self._keys():
            if old.get(key) != (key in self.enabled, tuple(self.notes.get(key, ()))):
                self.replace_option_prompt(key, self._prompt(key))

    def action_toggle(self) -> None:
        key = self.highlighted_key
        if key is not None:
            self.post_message(TechniqueToggled(key))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and not event.option.id.startswith("category:"):
            self.post_message(TechniqueToggled(event.option.id))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id and not event.option.id.startswith("category:"):
            self.post_message(TechniqueHighlighted(event.option.id))
