"""The Builder's model: a config being edited, validated as it changes (no Textual here, so it is unit-tested).

The draft is sparse: it holds only the values the user (or a loaded file) set; everything else is the
schema's default, which the forms show. `to_raw()` is exactly what a TOML file with those values would
hold, and `validate()` runs the same `workbench.config.resolve` as `workbench run`, so the Builder can
never launch something the CLI would reject, or reject something it would accept.
"""

from __future__ import annotations

import copy
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from workbench import config as config_module
from workbench import technique as technique_module
from workbench.compat import tomllib
from workbench.config import RunConfig
from workbench.errors import ConfigError, Problem
from workbench.technique import TechniqueSpec

# The base run's sections, in the order the form shows them ("" holds the top-level keys).
BASE_SECTIONS: tuple[tuple[str, str], ...] = (
    ("", "Run"),
    ("model", "Model"),
    ("data", "Data"),
    ("optim", "Optimizer"),
    ("train", "Training"),
    ("tracking", "Tracking"),
)
UNKNOWN_CATEGORY = "unknown (not installed)"


@dataclass(frozen=True)
class FieldSpec:
    """One form field, derived from a pydantic model field."""

    path: str  # dotted key path in the config, e.g. "train.epochs" or "techniques.ema.decay"
    name: str
    kind: Literal["choice", "bool", "text"]
    default: Any
    choices: tuple[str, ...] = ()
    verbatim: bool = False  # a string field: the text is the value (no TOML literal parsing)
    description: str = ""
    constraints: str = ""
    type_name: str = ""

    def help(self) -> str:
        parts = [f"{self.path} ({self.type_name})"]
        if self.description:
            parts.append(self.description)
        if self.constraints:
            parts.append(self.constraints)
        parts.append(f"default {value_to_text(self.default) or 'unset'}")
        return " · ".join(parts)


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _type_name(annotation: Any) -> str:
    inner, optional = _unwrap_optional(annotation)
    if typing.get_origin(inner) is Literal:
        name = " | ".join(str(a) for a in typing.get_args(inner))
    else:
        name = getattr(inner, "__name__", str(inner).replace("typing.", ""))
    return f"{name} (optional)" if optional else name


def _constraints(metadata: list[Any]) -> str:
    parts = []
    for meta in metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(meta, attr, None) is not None:
                parts.append(f"{sym} {getattr(meta, attr)}")
    return ", ".join(parts)


def fields_of(model: type[BaseModel], prefix: str = "") -> list[FieldSpec]:
    """The scalar fields of a pydantic model as form fields (nested models are skipped: they are sections)."""
    out = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        inner, _ = _unwrap_optional(annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            continue
        if prefix == "" and name == "techniques":
            continue
        path = f"{prefix}.{name}" if prefix else name
        default = info.get_default(call_default_factory=True)
        common = dict(path=path, name=name, default=default, description=info.description or "",
                      constraints=_constraints(info.metadata), type_name=_type_name(annotation))
        if typing.get_origin(inner) is Literal:
            out.append(FieldSpec(kind="choice", choices=tuple(str(a) for a in typing.get_args(inner)), **common))
        elif inner is bool:
            out.append(FieldSpec(kind="bool", **common))
        else:
            out.append(FieldSpec(kind="text", verbatim=inner is str, **common))
    return out


def base_fields() -> list[tuple[str, list[FieldSpec]]]:
    """The base run's form: (section title, fields) in display order."""
    sections = []
    for key, title in BASE_SECTIONS:
        model = RunConfig if key == "" else RunConfig.model_fields[key].annotation
        sections.append((title, fields_of(model, key)))
    return sections


def value_to_text(value: Any) -> str:
    """A value as the user would type it (TOML literal syntax, strings bare)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_literal(v)}" for k, v in value.items()) + "}"
    return str(value)


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value_to_text(value)


def text_to_value(text: str, field_spec: FieldSpec) -> Any:
    """What the user typed as a config value; `None` means unset (the default applies)."""
    text = text.strip()
    if text == "":
        return None
    if field_spec.verbatim or field_spec.kind == "choice":
        return text
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # not a literal: let the schema say what is wrong with it


# ---------------------------------------------------------------------------------------------


@dataclass
class Validation:
    config: RunConfig | None  # the resolved config, when there is no problem
    problems: list[Problem] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)  # per technique key: conflicts, needs, params

    @property
    def ok(self) -> bool:
        return self.config is not None and not self.problems

    def for_path(self, path: str) -> list[str]:
        return [p.message for p in self.problems if p.path == path]


class BuilderDraft:
    def __init__(self, techniques: dict[str, TechniqueSpec] | None = None) -> None:
        self.techniques = technique_module.registry() if techniques is None else techniques
        self.base: dict[str, Any] = {}  # sparse: only values set by the user or a loaded file
        self.enabled: list[str] = []
        self.params: dict[str, dict[str, Any]] = {}  # per technique, sparse; kept while a toggle is off
        self.check_device = True

    # -- editing ---------------------------------------------------------------------------------
    def value(self, path: str) -> Any:
        node: Any = self._root_for(path)
        for key in self._keys(path):
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    def set(self, path: str, value: Any) -> None:
        """Set a value; `None` unsets it (the schema default applies)."""
        keys = self._keys(path)
        node = self._root_for(path)
        if value is None:
            parents = []
            for key in keys[:-1]:
                if not isinstance(node.get(key), dict):
                    return
                parents.append((node, key))
                node = node[key]
            node.pop(keys[-1], None)
            for parent, key in reversed(parents):  # drop tables left empty
                if not parent[key]:
                    del parent[key]
            return
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[keys[-1]] = value

    def _root_for(self, path: str) -> dict[str, Any]:
        if path.startswith("techniques."):
            key = path.split(".")[1]
            return self.params.setdefault(key, {})
        return self.base

    @staticmethod
    def _keys(path: str) -> list[str]:
        keys = path.split(".")
        return keys[2:] if keys[0] == "techniques" else keys

    def toggle(self, key: str) -> bool:
        """Enable or disable a technique; returns whether it is now enabled."""
        if key in self.enabled:
            self.enabled.remove(key)
            return False
        self.enabled.append(key)
        return True

    def is_enabled(self, key: str) -> bool:
        return key in self.enabled

    # -- loading ---------------------------------------------------------------------------------
    def load(self, raw: dict[str, Any]) -> list[str]:
        """Replace the draft with a config dict (a TOML file, or a run's recorded config).

        Returns the keys the form cannot show (unknown keys): they are dropped, and the caller says so.
        """
        raw = copy.deepcopy(raw)
        techniques = raw.pop("techniques", {}) or {}
        self.base, dropped = _known_keys(raw)
        self.enabled = []
        self.params = {}
        if isinstance(techniques, dict):
            for key, params in techniques.items():
                self.enabled.append(key)
                self.params[key] = dict(params) if isinstance(params, dict) else {}
        return dropped

    def to_raw(self) -> dict[str, Any]:
        raw = copy.deepcopy(self.base)
        if self.enabled:
            raw["techniques"] = {key: copy.deepcopy(self.params.get(key, {})) for key in self.enabled}
        return raw

    # -- checking --------------------------------------------------------------------------------
    def validate(self) -> Validation:
        raw = self.to_raw()
        try:
            config = config_module.resolve(raw, "builder", check_device=self.check_device)
            problems: list[Problem] = []
        except ConfigError as exc:
            config, problems = None, list(exc.problems)
        return Validation(config, problems, self.technique_notes())

    def technique_notes(self) -> dict[str, list[str]]:
        """For every technique (enabled or not): why it cannot run, or would not, with this config.

        Shown live in the catalog, so a conflict or an unmet need is visible before launch.
        """
        base = self._base_config()
        notes: dict[str, list[str]] = {}
        for key in [*self.techniques, *[k for k in self.enabled if k not in self.techniques]]:
            spec = self.techniques.get(key)
            reasons: list[str] = []
            if spec is None:
                notes[key] = ["unknown technique: not installed"]
                continue
            for other in self.enabled:
                if other == key:
                    continue
                other_spec = self.techniques.get(other)
                if other in spec.conflicts or (other_spec is not None and key in other_spec.conflicts):
                    reasons.append(f"conflicts with {other}")
            if base is not None:
                reasons += spec.needs.unmet(base)
            reasons += [f"{p.path.removeprefix(f'techniques.{key}.')}: {p.message}" for p in self.param_problems(key)]
            notes[key] = reasons
        return notes

    def param_problems(self, key: str) -> list[Problem]:
        spec = self.techniques.get(key)
        if spec is None:
            return []
        try:
            spec.params.model_validate(self.params.get(key, {}))
        except ValidationError as exc:
            return _problems(exc, f"techniques.{key}")
        return []

    def _base_config(self) -> RunConfig | None:
        try:
            return RunConfig.model_validate(self.base)
        except ValidationError:
            return None


def _known_keys(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    known: dict[str, Any] = {}
    dropped: list[str] = []
    top = RunConfig.model_fields
    for key, value in raw.items():
        if key not in top:
            dropped.append(key)
            continue
        annotation, _ = _unwrap_optional(top[key].annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(value, dict):
            section = {}
            for sub, sub_value in value.items():
                if sub in annotation.model_fields:
                    section[sub] = sub_value
                else:
                    dropped.append(f"{key}.{sub}")
            known[key] = section
        else:
            known[key] = value
    return known, dropped


def _problems(exc: ValidationError, prefix: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        problems.append(Problem(f"{prefix}.{loc}" if loc else prefix, message, value=err.get("input")))
    return problems
