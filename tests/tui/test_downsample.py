"""The chart downsampler and smoother: pure functions, so they are tested directly."""

import math
import random

import pytest

from workbench.tui.downsample import EmaSmoother, finite_pairs, minmax_downsample


def test_short_series_come_back_unchanged() -> None:
    xs, ys = [1, 2, 3], [3.0, 1.0, 2.0]
    assert minmax_downsample(xs, ys, 10) == (xs, ys)


def test_output_is_bounded_by_two_points_per_bucket_plus_the_ends() -> None:
    n = 100_000
    xs = list(range(n))
    ys = [random.Random(0).random() for _ in range(n)]
    out_x, out_y = minmax_downsample(xs, ys, 120)
    assert len(out_x) == len(out_y) <= 2 * 120 + 2
    assert out_x[0] == 0 and out_x[-1] == n - 1, "the x range must not shrink"
    assert out_x == sorted(out_x), "points stay in x order, so lines are drawn left to right"
    assert all(ys[x] == y for x, y in zip(out_x, out_y)), "every output point is a real data point"


def test_spikes_survive_downsampling() -> None:
    n = 50_000
    xs = list(range(n))
    ys = [1.0] * n
    ys[12_345] = 99.0  # a loss spike
    ys[40_000] = -5.0
    _, out_y = minmax_downsample(xs, ys, 50)
    assert 99.0 in out_y and -5.0 in out_y


def test_mismatched_lengths_use_the_shorter() -> None:
    # The poller thread may have appended an x whose y is not there yet.
    out_x, out_y = minmax_downsample([1, 2, 3, 4], [1.0, 2.0, 3.0], 10)
    assert out_x == [1, 2, 3] and out_y == [1.0, 2.0, 3.0]


def test_buckets_must_be_positive() -> None:
    with pytest.raises(ValueError):
        minmax_downsample([1], [1.0], 0)


def test_finite_pairs_drops_nan_and_inf() -> None:
    xs, ys = finite_pairs([1, 2, 3, 4], [1.0, float("nan"), math.inf, 0.5])
    assert xs == [1, 4] and ys == [1.0, 0.5]


def test_smoother_is_debiased_and_skips_non_finite_points() -> None:
    smooth = EmaSmoother(0.9)
    assert smooth(2.0) == pytest.approx(2.0), "the first point is not dragged towards zero"
    assert smooth(2.0) == pytest.approx(2.0)
    assert math.isnan(smooth(float("nan")))
    assert smooth(2.0) == pytest.approx(2.0), "a NaN does not poison later values"
