#!/usr/bin/env bash
# Sets up, then runs the whole test suite (unit, engine, plugins, end-to-end trainer processes, TUI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
python -m pytest "$@"
