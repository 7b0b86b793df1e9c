#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: run the quickstart on CUDA and show that the CUDA memory metrics are
# real (allocated/reserved/peak from torch.cuda, device memory and utilisation from NVML).
# Needs a CUDA build of torch in the active environment (or .venv); exits non-zero if anything is off.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${VIRTUAL_ENV:-}" ] || { [ -f .venv/bin/activate ] && . .venv/bin/activate; }
python - <<'PY'
import torch, sys
if not torch.cuda.is_available():
    sys.exit(f"torch {torch.__version__} sees no CUDA device: install a CUDA build of torch first")
print("torch", torch.__version__, "on", torch.cuda.get_device_name(0))
PY
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
workbench run sample_configs/quickstart.toml --set train.device=cuda --set tracking.system_every_s=0.5 \
  --name gpu-check --workspace "$ws"
workbench show gpu-check --json --workspace "$ws" > "$ws/show.json"
python - "$ws" <<'PY'
import json, sys
from pathlib import Path
ws = Path(sys.argv[1])
info = json.loads((ws / "show.json").read_text())
mem = info["memory"]
events = [json.loads(l) for l in next((ws / "runs").iterdir()).joinpath("events.jsonl").read_text().splitlines()]
gpus = [e["gpus"] for e in events if e["kind"] == "memory" and e.get("gpus")]
print(f"status {info['status']}  device {info['device']}  throughput {info['throughput']:.0f} samples/s")
for key in ("cuda_allocated", "cuda_reserved", "cuda_peak", "activations", "rss"):
    print(f"  peak {key:15s} {mem.get(key, 0) / 2**20:10.1f} MiB")
if gpus:
    g = gpus[-1][0]
    print(f"  NVML used {g['nvml_used'] / 2**20:.0f} / {g['nvml_total'] / 2**20:.0f} MiB, util {g['utilization']}%, "
          f"{g['temperature']} C, {g['power_w']:.0f} W")
ok = info["status"] == "completed" and info["device"].startswith("cuda") and mem.get("cuda_allocated", 0) > 0 \
    and mem.get("cuda_reserved", 0) >= mem.get("cuda_allocated", 0) and mem.get("cuda_peak", 0) > 0 and gpus
print("GPU check:", "OK" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
