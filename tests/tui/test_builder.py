"""The Builder, driven with the keyboard only (Pilot)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, TabbedContent

from workbench.compat import tomllib
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.builder import BuilderScreen
from workbench.tui.widgets.catalog import TechniqueCatalog
from workbench.tui.widgets.form import FieldRow

SIZE = (100, 32)


async def test_toggling_a_technique_changes_the_config(workspace: Path, helpers) -> None:
    app = WorkbenchApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await helpers.wait_for(pilot, lambda: isinstance(app.screen, BuilderScreen) and app.screen, what="builder")
        catalog = screen.query_one(TechniqueCatalog)
        assert catalog.has_focus, "an empty workspace opens on the Builder, catalog focused"
        assert catalog.highlighted_key == "ema"
        await pilot.press("space")
        assert screen.draft.enabled == ["ema"]
        assert screen.validation.ok and screen.validation.config.techniques == {"ema": {"decay": 0.999, "warmup_steps": 0}}
        text = helpers.screen_text(app)
        assert "[x] Exponential moving average" in text
        assert "✓ ready: cnn-digits-ema (ema)" in text
        await pilot.press("space")
        assert screen.draft.enabled == [] and screen.validation.config.techniques == {}


async def test_a_conflict_shows_live_with_its_reason(workspace: Path, helpers) -> None:
    app = WorkbenchApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await helpers.wait_for(pilot, lambda: isinstance(app.screen, BuilderScreen) and app.screen)
        await pilot.press("space")  # ema on
        await pilot.press("down")  # swa
        text = helpers.screen_text(app)
        assert "! conflicts with ema" in text, "a warning before the conflicting toggle is even switched on"
        await pilot.press("enter")  # swa on
        text = helpers.screen_text(app)
        assert "✗ conflicts with swa" in text and "✗ conflicts with ema" in text
        assert "✗ 1 problem: techniques.ema: conflicts with techniques.swa" in text
        await pilot.press("f5")
        assert screen.query_one("#builder-tabs", TabbedContent).active == "tab-review", "launch refused, problems shown"
        assert not list(workspace.joinpath("runs").iterdir()), "nothing was launched"


async def test_parameters_are_validated_as_you_type(workspace: Path, helpers) -> None:
    app = WorkbenchApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await helpers.wait_for(pilot, lambda: isinstance(app.screen, BuilderScreen) and app.screen)
        # enable ema; tab reaches the detail pane (scrollable, for long method cards), then its first parameter
        await pilot.press("space", "tab", "tab")
        row = app.focused.parent.parent
        assert isinstance(row, FieldRow) and row.spec.path == "techniques.ema.decay"
        assert "EMA decay per optimizer step" in helpers.screen_text(app), "the focused field's help is shown"
        await pilot.press("end", "ctrl+u", *"1.5")
        assert row.has_class("-invalid")
        assert "✗ Input should be less than 1" in helpers.screen_text(app)
        assert not screen.validation.ok
        await pilot.press("backspace", "backspace", "backspace", *"0.9")
        assert not row.has_class("-invalid") and screen.validation.ok
        assert screen.validation.config.techniques["ema"]["decay"] == 0.9


async def test_base_run_fields_and_unmet_needs(workspace: Path, helpers) -> None:
    app = WorkbenchApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await helpers.wait_for(pilot, lambda: isinstance(app.screen, BuilderScreen) and app.screen)
        screen.query_one("#builder-tabs", TabbedContent).active = "tab-base"
        await helpers.wait_for(pilot, lambda: screen.query("#base-form .field-input"), what="the base form")
        device = screen.query_one("#base-form").rows["train.device"].control
        assert isinstance(device, Input)
        device.focus()
        await pilot.press("end", "ctrl+u", *"cpu")
        assert screen.draft.value("train.device") == "cpu"
        epochs = screen.query_one("#base-form").rows["train.epochs"]
        epochs.control.focus()
        await pilot.press("end", "ctrl+u", "0")
        assert epochs.has_class("-invalid")
        assert "train.epochs: Input should be greater than or equal to 1" in helpers.screen_text(app)
        await pilot.press("backspace", "2")
        assert screen.validation.ok and screen.validation.config.train.epochs == 2
        screen.query_one("#builder-tabs", TabbedContent).active = "tab-techniques"
        await pilot.pause()
        assert "needs a CUDA device" in helpers.screen_text(app), "unmet needs are explained in the catalog"


async def test_save_and_load_toml(workspace: Path, helpers, tmp_path: Path) -> None:
    sample = workspace / "configs" / "mine.toml"
    sample.parent.mkdir()
    sample.write_text('name = "loaded"\n[optim]\nlr = 0.005\n[techniques.ema]\ndecay = 0.95\n')
    app = WorkbenchApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await helpers.wait_for(pilot, lambda: isinstance(app.screen, BuilderScreen) and app.screen)
        await pilot.press("ctrl+o")
        await helpers.wait_for(pilot, lambda: "mine.toml" in helpers.screen_text(app), what="the config list")
        dialog = app.screen
        options = dialog.query_one("#config-choices")
        index = next(i for i, p in enumerate(dialog.candidates) if p.name == "mine.toml")
        options.highlighted = index
        await pilot.press("enter")
        await helpers.wait_for(pilot, lambda: screen.draft.value("name") == "loaded", what="the loaded config")
        assert screen.draft.enabled == ["ema"] and screen.draft.value("techniques.ema.decay") == 0.95
        screen.query_one("#builder-tabs", TabbedContent).active = "tab-base"  # built on first view
        await helpers.wait_for(pilot, lambda: screen.query("#base-form .field-input"), what="the base form")
        assert screen.query_one("#base-form").rows["optim.lr"].control.value == "0.005", "the form shows loaded values"

        await pilot.press("ctrl+s")
        await helpers.wait_for(pilot, lambda: app.screen.query("#save-path"), what="the save dialog")
        target = tmp_path / "out" / "saved.toml"
        save_input = app.screen.query_one("#save-path", Input)
        save_input.value = str(target)
        save_input.focus()
        await pilot.press("enter")
        await helpers.wait_for(pilot, target.exists, what="the saved file")
        saved = tomllib.loads(target.read_text())
        assert saved["name"] == "loaded" and saved["optim"]["lr"] == 0.005
        assert saved["techniques"]["ema"] == {"decay": 0.95, "warmup_steps": 0}, "saved fully resolved"
        assert saved["train"]["epochs"] == 10
