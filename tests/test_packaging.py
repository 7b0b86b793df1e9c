"""The install layout: every package is listed, plugins install under a non-generic name."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

from workbench.compat import tomllib

REPO = Path(__file__).resolve().parents[1]


def test_every_package_directory_is_listed_in_pyproject():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for root, prefix in (("workbench", "workbench"), ("plugins", "workbench_plugins")):
        for init in (REPO / root).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / root)
            found.add(".".join([prefix, *rel.parts]))
    assert found == listed, f"missing from pyproject: {found - listed}; stale: {listed - found}"
    assert config["package-dir"]["workbench_plugins"] == "plugins"
    assert "plugins" not in listed  # never a generic top-level package in site-packages


def test_builtin_techniques_register_through_the_public_entry_point_group():
    eps = {ep.name: ep.value for ep in entry_points(group="workbench.techniques")}
    assert eps["ema"] == "workbench_plugins.ema:SPEC"
    for plugin in (REPO / "plugins").iterdir():
        if (plugin / "__init__.py").exists() and plugin.name != "__pycache__":
            assert plugin.name in eps, f"plugin {plugin.name} has no entry point"
            assert (plugin / "CARD.md").exists(), f"plugin {plugin.name} has no method card"
