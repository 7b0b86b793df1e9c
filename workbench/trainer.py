"""The trainer process: `python -m workbench.trainer RUN_DIR [--resume]`.

Started by the launcher in its own session. It reads the run's resolved config, trains, and reports only
through the run directory (events.jsonl, output.log, checkpoints/, summary.json) and the tracker. It
always leaves a final status and a summary, whatever happens: completed, failed (with the traceback),
diverged (with the step), or stopped (SIGTERM: checkpoint first).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import traceback
from pathlib import Path

import psutil
import torch

from workbench.config import RunConfig, load_resolved
from workbench.data import build_data
from workbench.engine import checkpoint as ckpt
from workbench.engine.loop import Engine, Outcome, resolve_device
from workbench.models import build_model
from workbench.recorder import RunRecorder
from workbench.runstore import (
    EventWriter,
    RunPaths,
    RunState,
    read_events,
    write_json_atomic,
)
from workbench.technique import Technique, registry
from workbench.tracking import Tracker
from workbench.tracking.aim_tracker import AimTracker

EXIT_CODES = {"completed": 0, "failed": 1, "stopped": 3, "diverged": 4}
log = logging.getLogger("workbench.trainer")


def build_techniques(config: RunConfig) -> list[Technique]:
    specs = registry()
    techniques = []
    for key, params in config.techniques.items():
        spec = specs[key]
        tech = spec.load()(spec.params.model_validate(params))
        tech.spec = spec
        techniques.append(tech)
    return techniques


def train(paths: RunPaths, resume: bool, tracker: Tracker) -> int:
    config = load_resolved(paths.config)
    previous = RunState().apply_all(list(read_events(paths.events)))
    events = EventWriter(paths.events)
    me = psutil.Process()
    events.write("status", status="running", pid=os.getpid(), pid_started=me.create_time(), resume=resume)
    engine: Engine | None = None
    outcome: Outcome | None = None
    tracking_started = False
    try:
        torch.manual_seed(config.seed)
        device = resolve_device(config.train.device)
        data = build_data(config.data, config.seed)
        model = build_model(config.model, data.spec)
        techniques = build_techniques(config)
        recorder = RunRecorder(events, tracker, unit=data.spec.unit)
        engine = Engine(config, data, model, techniques, device, recorder, paths.last_checkpoint)
        recorder.total_steps = engine.total_steps

        signal.signal(signal.SIGTERM, lambda *_: engine.request_stop())
        signal.signal(signal.SIGINT, lambda *_: engine.request_stop())

        tracking_id = tracker.start(
            name=config.name or paths.id,
            experiment=config.tracking.experiment,
            hparams=config.to_dict(),
            tags=config.technique_keys,
            resume_id=previous.tracking_id if resume else None,
        )
        tracking_started = True
        weight_sets = list(engine.weight_sets())
        events.write(
            "plan", total_steps=engine.total_steps, steps_per_epoch=engine.ctx.steps_per_epoch, epochs=engine.epochs,
            unit=data.spec.unit, device=str(device), parameters=sum(p.numel() for p in model.parameters()),
            techniques=config.technique_keys, weight_sets=weight_sets, tracking_id=tracking_id,
        )
        state = None
        if resume:
            state = ckpt.load(paths.last_checkpoint, device)
            recorder.event("engine", f"resumed from the checkpoint at step {state['step']}")
        log.info("training %s on %s: %d steps, techniques: %s", config.name, device, engine.total_steps,
                 ", ".join(config.technique_keys) or "none")
        outcome = engine.run(resume=state)
        if outcome.status == "diverged":
            log.error("loss became NaN/Inf at step %d; the last good checkpoint is kept", outcome.step)
            events.write("status", status="diverged", step=outcome.step)
        else:
            events.write("status", status=outcome.status, step=outcome.step)
    except BaseException as exc:  # noqa: BLE001 - every failure must end as a recorded status
        tb = traceback.format_exc()
        print(tb, file=sys.stderr, flush=True)
        events.write("status", status="failed", error=f"{type(exc).__name__}: {exc}", traceback=tb)
        outcome = Outcome("failed", engine.ctx.step if engine else 0, engine.ctx.epoch if engine else 0)
    finally:
        if tracking_started:
            try:
                tracker.close()
            except Exception:  # the run's own result stands even if the archive could not be closed
                log.exception("closing the tracker failed")
        events.close()
        summary = RunState().apply_all(list(read_events(paths.events))).summary()
        write_json_atomic(paths.summary, summary)
    return EXIT_CODES[outcome.status]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench.trainer")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stdout)
    logging.getLogger("workbench").setLevel(logging.INFO)  # our progress lines; libraries stay quiet
    paths = RunPaths(args.run_dir.resolve())
    workspace_root = paths.root.parent.parent
    return train(paths, args.resume, AimTracker(workspace_root / ".aim"))


if __name__ == "__main__":
    sys.exit(main())
