"""The terminal UI (Textual). Entry point: `workbench.tui.app.run(workspace_root)`.

Nothing in this package imports torch: the UI must start fast and work on a login node without CUDA.
It reads runs only through the run store (`workbench.runstore`) and starts them only through the
launcher, exactly like the CLI.
"""
