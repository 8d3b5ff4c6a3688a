"""FakeQuantize against the operation specification's formula and the real OpenVINO runtime: ties, bounds,
levels 2 / 16 / 256, per-channel limits on any axis, broadcasting, inverted ranges."""
import numpy as np
import pytest

from irforge import ops
from irforge.core import ElementType
from irforge.core.op import TensorInfo
from irforge.core.shape import DYNAMIC, PartialShape
from oracles import check_op_against_openvino

rng = np.random.default_rng(3)
LIMITS_CONSTANT = [False, True, True, True, True]


def _limits(*values):
    return [np.asarray(v, np.float32) for v in values]


def spec_formula(x, in_low, in_high, out_low, out_high, levels):
    """The specification, element by element in f32 scalars (Python's round() ties to even, as nearbyint)."""
    shape = np.broadcast_shapes(*(np.shape(a) for a in (x, in_low, in_high, out_low, out_high)))
    args = [np.broadcast_to(np.asarray(a, np.float32), shape).reshape(-1) for a in
            (x, in_low, in_high, out_low, out_high)]
    out = np.empty(int(np.prod(shape)), np.float32)
    f = np.float32
    for i, (v, il, ih, ol, oh) in enumerate(zip(*args)):
        if v <= min(il, ih):
            out[i] = ol
        elif v > max(il, ih):
            out[i] = oh
        else:
            q = f(round(f(f(v - il) / f(ih - il)) * f(levels - 1)))
            out[i] = f(f(q / f(levels - 1)) * f(oh - ol)) + ol
    return out.reshape(shape)


def test_ties_round_to_even_and_bounds(tmp_path):
    # (x - 0) / 3 * 3 = x: halves are exact ties; 0 and 3 are the bounds themselves.
    x = np.array([[-1, 0, 0.5, 1.0, 1.5, 2.5, 2.9, 3.0, 3.5]], np.float32)
    limits = _limits(0, 3, -1, 1)
    got = check_op_against_openvino(ops.FakeQuantize(levels=4), [x, *limits], tmp_path, constant=LIMITS_CONSTANT)
    np.testing.assert_array_equal(got[0], spec_formula(x, *limits, 4))
    # 0.5 -> 0 and 2.5 -> 2 (ties to even), 1.5 -> 2: the output grid is -1, -1/3, 1/3, 1
    np.testing.assert_allclose(got[0][0, [2, 4, 5]], [-1, 1 / 3, 1 / 3], rtol=1e-6)


@pytest.mark.parametrize("levels", [2, 16, 256])
def test_midpoints_of_every_level(tmp_path, levels):
    """Every grid point, every midpoint between two of them, and points just off the midpoints, with a range
    whose step is a power of two (so the midpoints are exact in f32 on both sides of the formula)."""
    step = np.float32(2.0 ** -4)
    low, high = np.float32(-step * (levels // 2)), np.float32(step * (levels - 1 - levels // 2))
    grid = low + step * np.arange(levels, dtype=np.float32)
    mid = grid[:-1] + step / 2
    x = np.concatenate([grid, mid, mid + step / 64, mid - step / 64, [low - 1, high + 1]]).astype(np.float32)
    limits = _limits(low, high, -1, 1)
    got = check_op_against_openvino(ops.FakeQuantize(levels=levels), [x[None], *limits], tmp_path,
                                    constant=LIMITS_CONSTANT)
    np.testing.assert_array_equal(got[0][0], spec_formula(x, *limits, levels))


@pytest.mark.parametrize("levels", [2, 16, 255, 256])
def test_per_channel_limits(tmp_path, levels):
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32) * 2
    low = rng.uniform(-2, -0.5, (1, 3, 1, 1)).astype(np.float32)
    high = rng.uniform(0.5, 2, (1, 3, 1, 1)).astype(np.float32)
    limits = [low, high, low * 0.5, high * 0.5]
    got = check_op_against_openvino(ops.FakeQuantize(levels=levels), [x, *limits], tmp_path,
                                    constant=LIMITS_CONSTANT)
    np.testing.assert_array_equal(got[0], spec_formula(x, *limits, levels))


def test_weights_per_output_channel(tmp_path):
    """Limits [O, 1, 1, 1] on weights-shaped data (as on quantized convolution weights), output range different
    from the input range."""
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    amax = np.abs(w).reshape(4, -1).max(1).reshape(4, 1, 1, 1).astype(np.float32)
    limits = [-amax, amax, -amax * 0.5, amax * 0.25]
    got = check_op_against_openvino(ops.FakeQuantize(levels=255), [w, *limits], tmp_path, constant=LIMITS_CONSTANT)
    np.testing.assert_array_equal(got[0], spec_formula(w, *limits, 255))


def test_limits_of_different_shapes_broadcast_together(tmp_path):
    x = rng.standard_normal((2, 3, 5)).astype(np.float32)
    out_low = rng.uniform(-2, -1, (1, 1, 5)).astype(np.float32)
    limits = [np.float32(-1), rng.uniform(0.5, 2, (3, 1)).astype(np.float32), out_low, out_low + 3]
    got = check_op_against_openvino(ops.FakeQuantize(levels=16), [x, *limits], tmp_path, constant=LIMITS_CONSTANT)
    np.testing.assert_array_equal(got[0], spec_formula(x, *limits, 16))


def test_output_limits_of_different_shapes():
    """out_low per channel with a scalar out_high: the OpenVINO CPU plugin (2026.4) computes such a FakeQuantize
    wrongly (off by whole steps), so irforge's translators always give out_low and out_high one shape; the
    evaluation still follows the spec."""
    x = rng.standard_normal((2, 3, 5)).astype(np.float32)
    limits = [np.float32(-1), np.float32(1), rng.uniform(-2, -1, (1, 3, 1)).astype(np.float32), np.float32(1.5)]
    (y,) = ops.FakeQuantize(levels=16).evaluate(x, *limits)
    np.testing.assert_array_equal(y, spec_formula(x, *limits, 16))


def test_limits_may_be_inputs(tmp_path):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    limits = _limits(-1, 1, 0, 2)
    got = check_op_against_openvino(ops.FakeQuantize(levels=8), [x, *limits], tmp_path)
    np.testing.assert_array_equal(got[0], spec_formula(x, *limits, 8))


def test_inverted_input_range(tmp_path):
    """in_low > in_high: the spec's conditions use min/max and its formula in_low. The CPU plugin (2026.4)
    follows the spec for 1-D data, but returns out_low everywhere for the same data shaped [1, 7]: that case is
    checked against the spec's values only."""
    x = np.array([-2, -1, -0.5, 0, 0.26, 1, 1.5], np.float32)
    limits = _limits(1, -1, 0, 4)
    (y,) = check_op_against_openvino(ops.FakeQuantize(levels=5), [x, *limits], tmp_path, constant=LIMITS_CONSTANT)
    # x <= -1 -> 0; x > 1 -> 4; else round((x - 1) / -2 * 4) = round(2 - 2x)
    np.testing.assert_array_equal(y, np.array([0, 0, 3, 2, 1, 0, 4], np.float32))
    np.testing.assert_array_equal(y, spec_formula(x, *limits, 5))
    (y2,) = ops.FakeQuantize(levels=5).evaluate(x[None], *limits)
    np.testing.assert_array_equal(y2[0], y)


def test_inverted_output_range(tmp_path):
    x = np.array([[-1, 0, 0.26, 0.5, 1, 2]], np.float32)
    limits = _limits(0, 1, 3, -1)       # out_low > out_high: the grid runs downwards
    (y,) = check_op_against_openvino(ops.FakeQuantize(levels=5), [x, *limits], tmp_path, constant=LIMITS_CONSTANT)
    np.testing.assert_array_equal(y, spec_formula(x, *limits, 5))
    np.testing.assert_array_equal(y, [[3, 3, 2, 1, -1, -1]])


def test_degenerate_input_range():
    """in_low == in_high: a threshold (no division by zero in the evaluation)."""
    x = np.array([-1, 0, 0.25, 0.5, 1, 2], np.float32)
    limits = _limits(0.5, 0.5, -1, 1)
    (y,) = ops.FakeQuantize(levels=256).evaluate(x, *limits)
    np.testing.assert_array_equal(y, [-1, -1, -1, -1, 1, 1])
    np.testing.assert_array_equal(y, spec_formula(x, *limits, 256))


def test_inference_broadcasts_and_checks():
    f32 = ElementType.f32

    def info(*dims):
        return TensorInfo(f32, PartialShape(dims))

    (out,) = ops.FakeQuantize(levels=256).infer(info(DYNAMIC, 3, 8, 8), info(1, 3, 1, 1), info(1, 3, 1, 1),
                                                info(), info())
    assert str(out.shape) == str(PartialShape((DYNAMIC, 3, 8, 8)))
    (out,) = ops.FakeQuantize().infer(info(3, 1), info(1, 4), info(), info(), info())
    assert out.shape.to_static() == (3, 4)   # the limits may widen the output, as numpy broadcasting does
    with pytest.raises(ValueError, match="levels"):
        ops.FakeQuantize(levels=1).infer(info(2), info(), info(), info(), info())
    with pytest.raises(ValueError, match="data's shape"):
        ops.FakeQuantize(auto_broadcast="none").infer(info(2, 3), info(1), info(1), info(1), info(1))
    with pytest.raises(ValueError, match="element type"):
        ops.FakeQuantize().infer(info(2), TensorInfo(ElementType.f16, PartialShape(())), info(), info(), info())


def test_not_folded_as_a_constant():
    assert ops.FakeQuantize.FOLDABLE is False
