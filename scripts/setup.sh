#!/usr/bin/env bash
# Creates .venv with everything workbench needs, from nothing. Idempotent: reruns are quick.
# The CPU wheel of torch is installed first: an unpinned `torch` would pull a multi-GB CUDA build.
# On a GPU box, install the CUDA torch wheel you want into .venv before running this.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -c "import torch" 2>/dev/null || python -m pip install --quiet "torch==2.13.0"
python -m pip install --quiet -e ".[test]"
