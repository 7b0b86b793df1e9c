"""The run config: TOML in, a typed and fully resolved config out.

This module imports neither torch nor Textual, so the CLI's `validate` and the TUI builder can check
a config live. Technique parameters are validated against each technique's own schema, and
conflicts/needs are enforced here, before anything is launched.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workbench.compat import tomllib
from workbench.devices import cuda_device_count
from workbench.errors import ConfigError, Problem

BUILTIN_MODELS = ("mlp", "cnn", "transformer")
BUILTIN_DATA = ("digits", "shapes", "pydoc", "imagefolder", "cifar10")
FACTORY_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


class Strict(BaseModel):
    """Every section rejects unknown keys: a typo is an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _builtin_or_factory(value: str, builtins: tuple[str, ...]) -> str:
    if value in builtins or FACTORY_PATTERN.match(value):
        return value
    raise ValueError(f"unknown name; allowed: {', '.join(builtins)} or 'package.module:factory'")


class ModelConfig(Strict):
    name: str = Field("cnn", description="mlp, cnn, transformer, or package.module:factory")
    width: int = Field(32, ge=4, le=4096, description="hidden width (mlp/cnn channels, transformer d_model)")
    depth: int = Field(2, ge=1, le=128, description="hidden layers (mlp), residual blocks per stage (cnn), blocks (transformer)")
    heads: int = Field(4, ge=1, le=64, description="attention heads (transformer)")
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    kwargs: dict[str, Any] = Field(default_factory=dict, description="extra keyword arguments for a factory")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _builtin_or_factory(v, BUILTIN_MODELS)


class DataConfig(Strict):
    name: str = Field("digits", description="digits, shapes, pydoc, imagefolder, cifar10, or package.module:factory")
    batch_size: int = Field(128, ge=1, le=1 << 20)
    val_fraction: float = Field(0.2, gt=0.0, lt=1.0)
    image_size: int | None = Field(None, ge=4, le=4096, description="resize images to this side (None: native)")
    path: str | None = Field(None, description="local data directory (imagefolder, cifar10)")
    num_samples: int = Field(4000, ge=16, le=10_000_000, description="samples to generate (shapes)")
    label_noise: float = Field(0.0, ge=0.0, le=1.0, description="fraction of flipped labels (shapes)")
    seq_len: int = Field(64, ge=4, le=8192, description="context length in characters (pydoc)")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="extra keyword arguments for a factory")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _builtin_or_factory(v, BUILTIN_DATA)


class TrainConfig(Strict):
    epochs: int = Field(10, ge=1, le=100_000)
    max_steps: int | None = Field(None, ge=1, description="stop after this many optimizer steps (overrides epochs)")
    device: str = Field("auto", description="auto | cpu | cuda | cuda:N")
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    eval_every: int | None = Field(None, ge=1, description="evaluate every N steps (None: at the end of each epoch)")
    log_every: int = Field(10, ge=1, description="write training metrics every N steps")
    checkpoint_every: int | None = Field(None, ge=1, description="checkpoint every N steps (None: each epoch)")
    grad_clip: float | None = Field(None, gt=0.0, description="clip the global gradient norm to this value")
    grad_accum: int = Field(1, ge=1, le=4096, description="micro-batches per optimizer step")
    schedule: Literal["cosine", "constant"] = "cosine"
    warmup_steps: int = Field(0, ge=0)
    min_lr_ratio: float = Field(0.0, ge=0.0, le=1.0, description="final lr of the cosine schedule, as a fraction of lr")

    @field_validator("device")
    @classmethod
    def _device(cls, v: str) -> str:
        if not DEVICE_PATTERN.match(v):
            raise ValueError("allowed: auto, cpu, cuda, cuda:N")
        return v


class OptimConfig(Strict):
    name: Literal["adamw", "adam", "sgd"] = "adamw"
    lr: float = Field(1e-3, gt=0.0, le=10.0)
    weight_decay: float = Field(0.01, ge=0.0)
    momentum: float = Field(0.9, ge=0.0, lt=1.0, description="sgd momentum")
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)


class TrackingConfig(Strict):
    experiment: str = Field("default", min_length=1)
    system_every_s: float = Field(5.0, gt=0.0, description="seconds between system telemetry samples")


class RunConfig(Strict):
    name: str | None = Field(None, description="run name (default: derived from model, data and techniques)")
    seed: int = Field(0, ge=0)
    model: ModelConfig = Field(default_factory=ModelConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    techniques: dict[str, dict[str, Any]] = Field(default_factory=dict)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)

    @property
    def technique_keys(self) -> list[str]:
        return sorted(self.techniques)

    def default_name(self) -> str:
        model = self.model.name.rsplit(":", 1)[-1]
        data = self.data.name.rsplit(":", 1)[-1]
        return "-".join([model, data, *self.technique_keys])

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=False)

    def to_toml(self) -> str:
        return tomli_w.dumps(_drop_none(self.to_dict()))


def _drop_none(value: Any) -> Any:
    # TOML has no null: an unset optional is simply absent, and reads back as the same default.
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Loading, overrides and resolution


def read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(str(path), [Problem("", "config file not found", allowed="a path to an existing .toml file")])
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [Problem("", f"not valid TOML: {exc}")]) from None
    except OSError as exc:
        raise ConfigError(str(path), [Problem("", f"cannot read the file: {exc.strerror}")]) from None


def parse_override(assignment: str) -> tuple[list[str], Any]:
    """`train.lr=3e-4` -> (['train', 'lr'], 0.0003). Values are TOML literals; bare words are strings."""
    if "=" not in assignment:
        raise ConfigError("--set", [Problem(assignment, "expected key.path=value", value=assignment)])
    key, raw = assignment.split("=", 1)
    keys = [k.strip() for k in key.strip().split(".")]
    if not all(keys):
        raise ConfigError("--set", [Problem(key, "empty key in the key path", value=assignment)])
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return keys, value


def apply_overrides(
    raw: dict[str, Any],
    sets: Sequence[str] = (),
    with_: Sequence[str] = (),
    without: Sequence[str] = (),
) -> dict[str, Any]:
    data = copy.deepcopy(raw)
    for key in with_:
        data.setdefault("techniques", {}).setdefault(key, {})
    for assignment in sets:
        keys, value = parse_override(assignment)
        node = data
        for k in keys[:-1]:
            child = node.setdefault(k, {})
            if not isinstance(child, dict):
                raise ConfigError("--set", [Problem(".".join(keys), f"'{k}' is a value, not a table", value=assignment)])
            node = child
        node[keys[-1]] = value
    for key in without:
        data.get("techniques", {}).pop(key, None)
    return data


def _problems_from(exc: ValidationError, prefix: str = "") -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        path = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        value = err.get("input") if err["type"] != "missing" else None
        problems.append(Problem(path, message, value=value, allowed=_allowed_hint(err)))
    return problems


def _allowed_hint(err: dict[str, Any]) -> str:
    ctx = err.get("ctx") or {}
    if "expected" in ctx:
        return str(ctx["expected"])
    bounds = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    hints = [f"{sym} {ctx[k]}" for k, sym in bounds.items() if k in ctx]
    return ", ".join(hints)


def resolve(raw: dict[str, Any], source: str = "<config>", *, check_device: bool = True) -> RunConfig:
    """Validate a raw config dict and return it fully resolved (every default filled in).

    Raises ConfigError listing every problem found, so a user fixes them in one pass.
    """
    from workbench.technique import (
        registry,  # local: the registry imports plugins lazily
    )

    try:
        config = RunConfig.model_validate(raw)
    except ValidationError as exc:
        problems = _problems_from(exc)
        if isinstance(raw.get("techniques"), dict):
            problems += _technique_problems(raw["techniques"], raw, registry())
        raise ConfigError(source, problems) from None

    techniques = registry()
    problems = _technique_problems(config.techniques, raw, techniques)
    if problems:
        raise ConfigError(source, problems)
    resolved_techniques = {
        key: techniques[key].params.model_validate(params).model_dump(mode="json")
        for key, params in config.techniques.items()
    }
    config = config.model_copy(update={"techniques": resolved_techniques})
    if config.name is None:
        config = config.model_copy(update={"name": config.default_name()})

    problems = check_requirements(config, techniques, check_device=check_device)
    if problems:
        raise ConfigError(source, problems)
    return config


def _technique_problems(tables: dict[str, Any], raw: dict[str, Any], techniques: dict) -> list[Problem]:
    problems: list[Problem] = []
    for key, params in tables.items():
        if key not in techniques:
            problems.append(
                Problem(f"techniques.{key}", "unknown technique", value=key, allowed=", ".join(sorted(techniques)))
            )
            continue
        if not isinstance(params, dict):
            problems.append(Problem(f"techniques.{key}", "must be a table of parameters", value=params))
            continue
        try:
            techniques[key].params.model_validate(params)
        except ValidationError as exc:
            problems += _problems_from(exc, prefix=f"techniques.{key}")
    return problems


def check_requirements(config: RunConfig, techniques: dict, *, check_device: bool = True) -> list[Problem]:
    """Conflicts between enabled techniques, each technique's needs, and the device."""
    problems: list[Problem] = []
    enabled = config.technique_keys
    # A conflict declared by either side counts for both.
    for i, key in enumerate(enabled):
        for other in enabled[i + 1:]:
            if other in techniques[key].conflicts or key in techniques[other].conflicts:
                problems.append(
                    Problem(f"techniques.{key}", f"conflicts with techniques.{other}", value=key,
                            allowed=f"enable only one of {key}, {other}")
                )
    for key in enabled:
        for reason in techniques[key].needs.unmet(config):
            problems.append(Problem(f"techniques.{key}", reason, value=key))
    if check_device:
        problems += device_problems(config.train.device)
        problems += data_path_problems(config.data)
        for section, value in (("model.name", config.model.name), ("data.name", config.data.name)):
            if ":" in value:
                problems += factory_problems(section, value)
    return problems


def data_path_problems(data: DataConfig) -> list[Problem]:
    if data.name not in ("imagefolder", "cifar10"):
        return []
    if data.path is None:
        return [Problem("data.path", f"required for data.name = {data.name!r}", allowed="a local directory")]
    path = Path(data.path).expanduser()
    if not path.is_dir():
        return [Problem("data.path", "directory not found", value=data.path,
                        allowed="an existing local directory (workbench never downloads data)")]
    return []


def factory_problems(key: str, target: str) -> list[Problem]:
    """Check that `package.module:factory` can be found, without running the module (no torch here)."""
    module_name, _, attr = target.partition(":")
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError) as exc:
        spec = None
        reason = str(exc)
    else:
        reason = "no such module on the Python path"
    if spec is None:
        return [Problem(key, f"factory module {module_name!r} does not import: {reason}", value=target,
                        allowed="an importable 'package.module:factory' (check PYTHONPATH / the working directory)")]
    if spec.origin and spec.origin.endswith(".py"):
        try:
            tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        except (OSError, SyntaxError) as exc:
            return [Problem(key, f"factory module {module_name!r} cannot be read: {exc}", value=target)]
        defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))}
        defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        defined |= {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
        if attr not in defined:
            return [Problem(key, f"module {module_name!r} defines no {attr!r}", value=target,
                            allowed=", ".join(sorted(d for d in defined if not d.startswith("_"))) or "nothing found")]
    return []


def device_problems(device: str) -> list[Problem]:
    if not device.startswith("cuda"):
        return []
    count = cuda_device_count()
    index = int(device.split(":", 1)[1]) if ":" in device else 0
    if count == 0:
        return [Problem("train.device", "CUDA was asked for but this machine has no CUDA GPU", value=device,
                        allowed="auto (uses a GPU when there is one) or cpu")]
    if index >= count:
        return [Problem("train.device", f"this machine has {count} CUDA device(s)", value=device,
                        allowed=f"cuda:0 … cuda:{count - 1}, auto or cpu")]
    return []


def load_config(
    path: str | Path,
    sets: Sequence[str] = (),
    with_: Sequence[str] = (),
    without: Sequence[str] = (),
    name: str | None = None,
    *,
    check_device: bool = True,
) -> RunConfig:
    path = Path(path)
    raw = apply_overrides(read_toml(path), sets, with_, without)
    if name:
        raw["name"] = name
    return resolve(raw, str(path), check_device=check_device)


def load_resolved(path: Path) -> RunConfig:
    """Read a run's recorded config back (it was resolved when the run was created)."""
    return resolve(read_toml(path), str(path), check_device=False)
