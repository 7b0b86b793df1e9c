"""EMA: an exponential moving average of the weights, evaluated beside the raw weights."""

from pydantic import Field

from workbench.technique import TechniqueParams, TechniqueSpec, read_card


class EMAParams(TechniqueParams):
    decay: float = Field(0.999, gt=0.0, lt=1.0, description="weight of the old average at each update")
    warmup: bool = Field(False, description="ramp the decay up early in training (timm ModelEmaV3 style)")
    warmup_gamma: float = Field(1.0, gt=0.0, description="warmup: decay_t = 1 - (1 + t/gamma)^-power")
    warmup_power: float = Field(0.75, gt=0.0, le=1.0, description="warmup exponent (3/4 for short runs, 2/3 for long)")
    min_decay: float = Field(0.0, ge=0.0, lt=1.0, description="lower bound on the decay during warmup")
    update_every: int = Field(1, ge=1, description="update the average every N optimizer steps")
    start_step: int = Field(0, ge=0, description="copy the weights at this step and start averaging after it")


SPEC = TechniqueSpec(
    key="ema",
    title="Exponential moving average (EMA)",
    category="weight averaging",
    summary="A shadow copy of the weights that follows training smoothly; evaluated beside the raw weights.",
    params=EMAParams,
    implementation="workbench_plugins.ema.technique:EMA",
    card=read_card(__file__),
    weight_sets=("ema",),
)
