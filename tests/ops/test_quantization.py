"""FakeQuantize against the real OpenVINO runtime: ties, bounds, per-channel limits, inverted ranges."""
import numpy as np
import pytest

from irforge import ops
from oracles import check_op_against_openvino

rng = np.random.default_rng(3)


def _limits(*values):
    return [np.asarray(v, np.float32) for v in values]


def test_ties_round_to_even_and_bounds(tmp_path):
    # (x - 0) / 3 * 3 = x: halves are exact ties; 0 and 3 are the bounds themselves.
    x = np.array([[-1, 0, 0.5, 1.0, 1.5, 2.5, 2.9, 3.0, 3.5]], np.float32)
    check_op_against_openvino(ops.FakeQuantize(levels=4), [x, *_limits(0, 3, -1, 1)], tmp_path,
                              constant=[False, True, True, True, True])


@pytest.mark.parametrize("levels", [2, 16, 255, 256])
def test_per_channel_limits(tmp_path, levels):
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32) * 2
    low = rng.uniform(-2, -0.5, (1, 3, 1, 1)).astype(np.float32)
    high = rng.uniform(0.5, 2, (1, 3, 1, 1)).astype(np.float32)
    check_op_against_openvino(ops.FakeQuantize(levels=levels), [x, low, high, low * 0.5, high * 0.5], tmp_path,
                              constant=[False, True, True, True, True])


def test_inverted_input_range_follows_the_spec():
    """in_low > in_high: the spec's conditions use min/max and its formula in_low. (The CPU plugin returns
    out_low everywhere for such limits, so this case is checked against values worked out from the spec.)"""
    x = np.array([-2, -1, -0.5, 0, 0.26, 1, 1.5], np.float32)
    (y,) = ops.FakeQuantize(levels=5).evaluate(x, *_limits(1, -1, 0, 4))
    # x <= -1 -> 0; x > 1 -> 4; else round((x - 1) / -2 * 4) = round(2 - 2x)
    np.testing.assert_array_equal(y, np.array([0, 0, 3, 2, 1, 0, 4], np.float32))
