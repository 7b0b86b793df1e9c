"""Python 3.10 support: `tomllib` arrived in 3.11; `tomli` is the same parser for older versions."""

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

__all__ = ["tomllib"]
