"""workbench: a terminal experiment workbench for training deep networks with PyTorch.

Layout: `config` (schema and resolution), `technique` (the plugin API), `engine/` (the training loop and
hook points), `launcher` (trainer processes), `runstore/` (run directories and the event log),
`telemetry`, `tracking/` (Aim behind a small interface), `cli` and `views` (the command line), `tui/`.
"""

__version__ = "0.1.0"
