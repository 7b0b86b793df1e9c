"""Builder: the base run, the technique catalog, live validation, save/load and launch.

The screen owns a `BuilderDraft`. Every edit (a form field, a toggle) goes into the draft, which is
validated at once with the same `resolve()` as `workbench run`; errors go back down to the fields, the
catalog rows and the problem bar. Launch calls the same launcher as the CLI, from a worker thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w
from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    ContentSwitcher,
    Footer,
    Markdown,
    Static,
    TabbedContent,
    TabPane,
)

from workbench import technique as technique_module
from workbench.config import read_toml
from workbench.errors import ConfigError
from workbench.technique import TechniqueSpec
from workbench.tui import actions
from workbench.tui.draft import BuilderDraft, Validation, base_fields, fields_of
from workbench.tui.messages import (
    FieldEdited,
    RunLaunched,
    TechniqueHighlighted,
    TechniqueToggled,
)
from workbench.tui.screens.dialogs import LoadConfigDialog, SaveConfigDialog
from workbench.tui.widgets.catalog import TechniqueCatalog
from workbench.tui.widgets.form import SchemaForm
from workbench.tui.widgets.topbar import TopBar


def _form_id(key: str) -> str:
    return f"params-{key}"


class TechniqueDetail(VerticalScroll):
    """The highlighted technique: what it is, why it can't run (if so), its parameters and method card."""

    def __init__(self, draft: BuilderDraft, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.draft = draft
        self.key: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="technique-header")
        yield ContentSwitcher(id="technique-forms")
        yield Markdown("", id="technique-card")

    def show(self, key: str, notes: list[str]) -> None:
        spec = self.draft.techniques.get(key)
        changed = key != self.key
        self.key = key
        self.query_one("#technique-header", Static).update(self._header(key, spec, notes))
        if not changed:
            return
        switcher = self.query_one("#technique-forms", ContentSwitcher)
        if spec is not None and not switcher.query(f"#{_form_id(key)}"):
            form = SchemaForm([("Parameters", fields_of(spec.params, f"techniques.{key}"))], self.draft.value,
                              id=_form_id(key), classes="params-form", scroll=False)
            form.display = False  # the switcher shows it once it is mounted
            switcher.mount(form)
            self.call_after_refresh(switcher.__setattr__, "current", _form_id(key))
        elif spec is not None:
            switcher.current = _form_id(key)
        else:
            switcher.current = None
        card = spec.card if spec is not None and spec.card else (spec.summary if spec else "")
        self.query_one("#technique-card", Markdown).update(card)
        self.scroll_home(animate=False)

    def _header(self, key: str, spec: TechniqueSpec | None, notes: list[str]) -> Text:
        text = Text()
        enabled = self.draft.is_enabled(key)
        if spec is None:
            text.append(f"{key}: not an installed technique. Press space in the list to drop it.\n", style="bold red")
            return text
        text.append(f"{spec.title}", style="bold")
        text.append(f"  ({key}) · {spec.category}\n", style="dim")
        text.append("[x] enabled" if enabled else "[ ] off — space or enter in the list enables it", style="bold" if enabled else "dim")
        text.append("\n")
        text.append(spec.summary + "\n")
        text.append(f"conflicts with: {', '.join(spec.conflicts) or 'none'} · needs: {spec.needs.describe()}\n", style="dim")
        for note in notes:
            mark, style = ("✗", "bold red") if enabled else ("!", "yellow")
            text.append(f"{mark} {note}\n", style=style)
        return text


class BuilderScreen(Screen):
    BINDINGS = [
        Binding("f5", "launch", "Launch"),
        Binding("ctrl+s", "save", "Save TOML"),
        Binding("ctrl+o", "load", "Load config"),
    ]

    def __init__(self) -> None:
        super().__init__()
        try:
            specs = technique_module.registry()
        except Exception as exc:  # a broken plugin must not take the whole UI down
            specs = {}
            self._registry_error: str | None = f"technique plugins failed to load: {exc}"
        else:
            self._registry_error = None
        self.draft = BuilderDraft(specs)
        self.validation: Validation | None = None
        self.source: str = "defaults"

    def compose(self) -> ComposeResult:
        yield TopBar("builder")
        with TabbedContent(id="builder-tabs", initial="tab-techniques"):
            # The base form (~40 fields) is built when its tab is first shown: a faster first frame.
            yield TabPane("Base run", id="tab-base")
            with TabPane("Techniques", id="tab-techniques"):
                with Horizontal():
                    yield TechniqueCatalog(self.draft.techniques, id="catalog")
                    yield TechniqueDetail(self.draft, id="technique-detail")
            with TabPane("Review", id="tab-review"):
                with Horizontal():
                    with VerticalScroll(id="review-toml-box"):
                        yield Static("", id="review-toml")
                    with VerticalScroll(id="review-side"):
                        yield Static("", id="review-problems")
                        yield Button("Launch (F5)", id="launch", variant="success")
                        yield Button("Save TOML (^s)", id="save")
                        yield Button("Load config (^o)", id="load")
        yield Static("", id="problem-bar")
        yield Footer()

    def on_mount(self) -> None:
        if self._registry_error:
            self.notify(self._registry_error, severity="error", timeout=10)
        self.revalidate()
        catalog = self.query_one(TechniqueCatalog)
        if catalog.highlighted_key:
            self._show_technique(catalog.highlighted_key)
        catalog.focus()

    # -- validation --------------------------------------------------------------------------------
    def revalidate(self) -> Validation:
        validation = self.draft.validate()
        self.validation = validation
        errors: dict[str, list[str]] = {}
        for problem in validation.problems:
            errors.setdefault(problem.path, []).append(problem.message)
        for key in self.draft.techniques:
            for problem in self.draft.param_problems(key):
                if problem.message not in errors.get(problem.path, []):
                    errors.setdefault(problem.path, []).append(problem.message)
        for form in self.query(SchemaForm):
            form.show_errors(errors)
        catalog = self.query_one(TechniqueCatalog)
        unknown = [k for k in self.draft.enabled if k not in self.draft.techniques]
        catalog.update_state(set(self.draft.enabled), validation.notes, unknown)
        detail = self.query_one(TechniqueDetail)
        if detail.key is not None:
            detail.show(detail.key, validation.notes.get(detail.key, []))
        self._update_problem_bar(validation)
        if self.query_one("#builder-tabs", TabbedContent).active == "tab-review":
            self._update_review(validation)  # syntax highlighting costs: only while the Review is shown
        return validation

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-base" and not self.query("#base-form"):
            event.pane.mount(SchemaForm(base_fields(), self.draft.value, id="base-form"))
            self.call_after_refresh(self.revalidate)  # show current errors on the new fields
        elif event.pane.id == "tab-review" and self.validation is not None:
            self._update_review(self.validation)

    def _update_problem_bar(self, validation: Validation) -> None:
        bar = self.query_one("#problem-bar", Static)
        text = Text()
        if validation.ok:
            assert validation.config is not None
            techniques = ", ".join(validation.config.technique_keys) or "no techniques"
            text.append(f"✓ ready: {validation.config.name} ({techniques}) — F5 launches", style="bold green")
        else:
            count = len(validation.problems)
            text.append(f"✗ {count} problem{'s' if count != 1 else ''}: ", style="bold red")
            text.append("  ·  ".join(p.render() for p in validation.problems[:2]))
            if count > 2:
                text.append(f"  (+{count - 2} more in Review)", style="dim")
        bar.update(text)
        bar.set_class(not validation.ok, "-problems")

    def _update_review(self, validation: Validation) -> None:
        if validation.config is not None:
            toml = validation.config.to_toml()
        else:
            try:
                toml = tomli_w.dumps(self.draft.to_raw())
            except Exception:
                toml = repr(self.draft.to_raw())
        self.query_one("#review-toml", Static).update(
            Syntax(toml, "toml", background_color="default", word_wrap=True))
        problems = Text()
        if validation.ok:
            problems.append("✓ No problems. Every default is filled in on the left.\n", style="green")
        for p in validation.problems:
            problems.append("✗ ", style="bold red")
            problems.append(p.render() + "\n")
        problems.append(f"\nloaded from: {self.source}", style="dim")
        self.query_one("#review-problems", Static).update(problems)

    # -- events from the forms and the catalog -----------------------------------------------------
    def on_field_edited(self, message: FieldEdited) -> None:
        self.draft.set(message.path, message.value)
        self.revalidate()

    def on_technique_toggled(self, message: TechniqueToggled) -> None:
        enabled = self.draft.toggle(message.key)
        if not enabled and message.key not in self.draft.techniques:
            self.draft.params.pop(message.key, None)  # an unknown technique is dropped for good
        self.revalidate()

    def on_technique_highlighted(self, message: TechniqueHighlighted) -> None:
        self._show_technique(message.key)

    def _show_technique(self, key: str) -> None:
        notes = self.validation.notes.get(key, []) if self.validation else []
        self.query_one(TechniqueDetail).show(key, notes)

    @on(Button.Pressed, "#launch")
    def _launch_pressed(self) -> None:
        self.action_launch()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#load")
    def _load_pressed(self) -> None:
        self.action_load()

    # -- loading -----------------------------------------------------------------------------------
    def load_config(self, raw: dict[str, Any], source: str) -> None:
        """Replace the draft (a file, or a run copied from Runs) and refresh every form."""
        dropped = self.draft.load(raw)
        self.source = source
        for form in self.query(SchemaForm):
            form.refresh_values()
        validation = self.revalidate()
        self.call_after_refresh(self.revalidate)  # again once every row exists (a screen opened just now)
        message = f"Loaded {source}"
        if dropped:
            message += f"; ignored unknown keys: {', '.join(dropped)}"
        self.notify(message, severity="warning" if dropped else "information")
        if not validation.ok:
            self.show_review()

    def show_review(self) -> None:
        # Focus moves with the tab: setting `active` alone would leave focus in the hidden pane, and
        # TabbedContent switches back to the pane holding the focus.
        self.query_one("#builder-tabs", TabbedContent).active = "tab-review"
        self.query_one("#launch", Button).focus()

    def action_load(self) -> None:
        workspace = self.app.workspace  # type: ignore[attr-defined]
        self._pick_config(workspace)

    @work(exclusive=True, group="load-config")
    async def _pick_config(self, workspace: Any) -> None:
        candidates = await self._find_configs(workspace)
        path = await self.app.push_screen_wait(LoadConfigDialog(candidates, workspace.root))
        if path is not None:
            self._read_config(path)

    async def _find_configs(self, workspace: Any) -> list[Path]:
        worker = self.run_worker(lambda: actions.config_candidates(workspace), thread=True)
        return await worker.wait()

    @work(thread=True, exclusive=True, group="read-config")
    def _read_config(self, path: Path) -> None:
        try:
            raw = read_toml(path)
        except ConfigError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", timeout=10)
            return
        self.app.call_from_thread(self.load_config, raw, str(path))

    # -- saving ------------------------------------------------------------------------------------
    def action_save(self) -> None:
        self._save_flow()

    @work(exclusive=True, group="save-config")
    async def _save_flow(self) -> None:
        validation = self.revalidate()
        workspace = self.app.workspace  # type: ignore[attr-defined]
        name = validation.config.name if validation.config else (self.draft.value("name") or "config")
        warning = "" if validation.ok else f"The config has {len(validation.problems)} problem(s); it is saved as typed."
        path = await self.app.push_screen_wait(SaveConfigDialog(workspace.root / f"{name}.toml", warning))
        if path is None:
            return
        text = validation.config.to_toml() if validation.config else tomli_w.dumps(self.draft.to_raw())
        self._write(path if path.is_absolute() else workspace.root / path, text)

    @work(thread=True, group="write-config")
    def _write(self, path: Path, text: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.app.call_from_thread(self.notify, f"Could not save {path}: {exc.strerror}", severity="error")
            return
        self.app.call_from_thread(self.notify, f"Saved {path}")

    # -- launching ---------------------------------------------------------------------------------
    def action_launch(self) -> None:
        validation = self.revalidate()
        if not validation.ok or validation.config is None:
            self.notify(f"Not launched: {len(validation.problems)} problem(s) — see Review.", severity="error")
            self.show_review()
            return
        self.notify(f"Launching {validation.config.name}…")
        self._launch(validation.config)

    @work(thread=True, exclusive=True, group="launch")
    def _launch(self, config: Any) -> None:
        workspace = self.app.workspace  # type: ignore[attr-defined]
        try:
            paths = actions.launch_run(workspace, config)
        except Exception as exc:
            self.app.call_from_thread(self.notify, f"Launch failed: {exc}", severity="error", timeout=15)
            return
        self.app.post_message(RunLaunched(paths.id))
