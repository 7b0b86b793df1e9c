#!/usr/bin/env bash
# Sets up, then trains the quickstart (cnn on the bundled digits, with EMA) in ./workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
mkdir -p workspace
workbench run sample_configs/quickstart.toml --workspace workspace "$@"
workbench show quickstart-cnn-ema --workspace workspace
