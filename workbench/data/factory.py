"""User factories named as `package.module:factory` (for data or models).

Importing user code can fail in many ways; each becomes a WorkbenchError that names the config key
and says what was expected, so a typo in a config never surfaces as a bare traceback.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from workbench.errors import WorkbenchError


def load_factory(reference: str, key: str) -> Callable[..., Any]:
    """Resolve 'package.module:name' to a callable; `key` is the config key (e.g. 'data.name')."""
    module_name, sep, attr = reference.partition(":")
    if not sep or not module_name or not attr:
        raise WorkbenchError(f"{key} = '{reference}' is not a factory reference; expected 'package.module:factory'")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise WorkbenchError(
            f"{key} = '{reference}': cannot import module '{module_name}' ({exc}); "
            f"is the package installed or on PYTHONPATH?"
        ) from None
    except Exception as exc:  # the user's module raised while importing: show what it said
        raise WorkbenchError(f"{key} = '{reference}': importing '{module_name}' failed: {type(exc).__name__}: {exc}") from exc
    factory = getattr(module, attr, None)
    if factory is None:
        raise WorkbenchError(f"{key} = '{reference}': module '{module_name}' has no attribute '{attr}'")
    if not callable(factory):
        raise WorkbenchError(f"{key} = '{reference}': '{attr}' is a {type(factory).__name__}, not a callable factory")
    return factory


def call_factory(reference: str, key: str, **kwargs: Any) -> Any:
    """Load and call a factory; a TypeError from a bad keyword is reported against the config key."""
    factory = load_factory(reference, key)
    try:
        return factory(**kwargs)
    except TypeError as exc:
        raise WorkbenchError(
            f"{key} = '{reference}' was called with {sorted(kwargs)} and raised TypeError: {exc}; "
            f"check the factory's signature and the matching kwargs table"
        ) from exc
