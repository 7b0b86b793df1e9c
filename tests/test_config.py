"""Config schema, overrides and resolution (torch-free)."""

from __future__ import annotations

import sys

import pytest

from workbench.compat import tomllib
from workbench.config import (
    RunConfig,
    apply_overrides,
    load_config,
    parse_override,
    resolve,
)
from workbench.errors import ConfigError
from workbench.technique import TechniqueSpec, registry


def test_resolved_config_fills_every_default(write_config):
    config = load_config(write_config())
    data = config.to_dict()
    assert data["train"]["grad_accum"] == 1 and data["train"]["precision"] == "fp32"
    assert data["techniques"]["ema"] == {**registry()["ema"].params().model_dump(), "decay": 0.9}
    # the TOML the run records reads back to the identical config
    again = resolve(tomllib.loads(config.to_toml()), "roundtrip")
    assert again == config


def test_default_name_is_derived_when_absent():
    config = resolve({"model": {"name": "mlp"}, "techniques": {"ema": {}}}, check_device=False)
    assert config.name == "mlp-digits-ema"


@pytest.mark.parametrize(
    ("assignment", "keys", "value"),
    [
        ("train.epochs=3", ["train", "epochs"], 3),
        ("optim.lr=3e-4", ["optim", "lr"], 3e-4),
        ("model.name=transformer", ["model", "name"], "transformer"),
        ("train.grad_clip=1.0", ["train", "grad_clip"], 1.0),
        ("techniques.ema.warmup=true", ["techniques", "ema", "warmup"], True),
    ],
)
def test_parse_override(assignment, keys, value):
    assert parse_override(assignment) == (keys, value)


def test_with_without_and_set(write_config):
    config = load_config(write_config(), sets=["train.epochs=5"], without=["ema"])
    assert config.train.epochs == 5 and config.techniques == {}
    config = load_config(write_config({"techniques": {}}), with_=["ema"], sets=["techniques.ema.decay=0.5"])
    assert config.techniques["ema"]["decay"] == 0.5


def test_overrides_do_not_mutate_the_input():
    raw = {"train": {"epochs": 1}}
    apply_overrides(raw, ["train.epochs=9"])
    assert raw == {"train": {"epochs": 1}}


def problems_of(raw, source="x.toml"):
    with pytest.raises(ConfigError) as info:
        resolve(raw, source)
    return info.value


def test_unknown_key_names_the_path():
    err = problems_of({"train": {"epochz": 3}})
    assert [p.path for p in err.problems] == ["train.epochz"]
    assert "unknown key" in str(err) and "x.toml" in str(err)


def test_wrong_type_and_range_name_value_and_allowed():
    err = problems_of({"optim": {"lr": -1.0}, "data": {"batch_size": "big"}})
    text = str(err)
    assert "optim.lr" in text and "-1.0" in text and "> 0" in text
    assert "data.batch_size" in text and "'big'" in text


def test_unknown_technique_lists_known_ones():
    err = problems_of({"techniques": {"emma": {}}})
    assert err.problems[0].path == "techniques.emma"
    assert "ema" in err.problems[0].allowed


def test_technique_parameter_is_checked_against_its_schema():
    err = problems_of({"techniques": {"ema": {"decay": 1.5}}})
    assert err.problems[0].path == "techniques.ema.decay" and err.problems[0].value == 1.5
    err = problems_of({"techniques": {"ema": {"decya": 0.9}}})
    assert err.problems[0].path == "techniques.ema.decya" and "unknown key" in err.problems[0].message


def test_conflicts_are_symmetric_and_needs_are_enforced(monkeypatch):
    from workbench.technique import Needs, TechniqueParams

    fake = TechniqueSpec(key="fake", title="Fake", category="optimizer", summary="s", params=TechniqueParams,
                         implementation="x:y", conflicts=("ema",), needs=Needs(model=("transformer",)))
    specs = {**registry(), "fake": fake}
    monkeypatch.setattr("workbench.technique.registry", lambda: specs)
    err = problems_of({"model": {"name": "mlp"}, "techniques": {"ema": {}, "fake": {}}})
    messages = [p.render() for p in err.problems]
    assert any("conflicts with techniques.fake" in m for m in messages)
    assert any("needs model.name in ['transformer']" in m for m in messages)


def test_cuda_on_a_machine_without_one(monkeypatch):
    monkeypatch.setattr("workbench.config.cuda_device_count", lambda: 0)
    err = problems_of({"train": {"device": "cuda"}})
    assert err.problems[0].path == "train.device" and "no CUDA GPU" in err.problems[0].message
    assert "auto" in err.problems[0].allowed
    err = problems_of({"train": {"device": "tpu"}})
    assert "cuda:N" in err.problems[0].render()


def test_missing_data_path_and_bad_factory(tmp_path, monkeypatch):
    err = problems_of({"data": {"name": "imagefolder", "path": str(tmp_path / "nope")}})
    assert err.problems[0].path == "data.path" and "not found" in err.problems[0].message
    err = problems_of({"model": {"name": "no_such_pkg.models:make"}})
    assert err.problems[0].path == "model.name" and "does not import" in err.problems[0].message
    (tmp_path / "mymodels.py").write_text("def build(spec):\n    return None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    err = problems_of({"model": {"name": "mymodels:make"}})
    assert "defines no 'make'" in err.problems[0].message and "build" in err.problems[0].allowed
    assert resolve({"model": {"name": "mymodels:build"}}).model.name == "mymodels:build"


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_config_module_does_not_import_torch():
    import subprocess

    code = "import sys, workbench.config, workbench.runstore, workbench.technique; " \
           "workbench.technique.registry(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_every_sample_config_validates():
    from pathlib import Path

    for path in sorted((Path(__file__).parents[1] / "sample_configs").glob("*.toml")):
        assert isinstance(load_config(path, check_device=False), RunConfig), path
