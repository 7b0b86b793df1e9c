"""Built-in technique plugins (installed as the `workbench_plugins` package).

Each subpackage is one self-contained technique: a torch-free spec in `__init__.py`, the
implementation in `technique.py`, its method card in `CARD.md`, and its tests. They are registered
through the `workbench.techniques` entry-point group, exactly like a third-party plugin.
"""
