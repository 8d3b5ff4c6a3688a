"""Elementwise ops: irforge's evaluate against the real OpenVINO runtime (same one-op IR), edge cases included
(broadcasting, integer division and remainder signs, rounding modes, Convert saturation), plus shape inference on
dynamic dims."""
import numpy as np
import pytest

from irforge import ops
from irforge.core import ElementType
from irforge.core.op import TensorInfo
from irforge.core.shape import DYNAMIC, Interval, PartialShape
from oracles import check_op_against_openvino

rng = np.random.default_rng(2)

BINARY_FLOAT = [ops.Add, ops.Subtract, ops.Multiply, ops.Divide, ops.Maximum, ops.Minimum, ops.SquaredDifference,
                ops.FloorMod, ops.Mod, ops.Power]
BROADCASTS = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((2, 1, 4), (3, 1)), ((1,), (2, 3)), ((), (2, 3)),
              ((3, 1, 5), (1, 4, 1))]


def _floats(shape, positive=False):
    x = rng.standard_normal(shape).astype(np.float32)
    return np.abs(x) + 0.5 if positive else x


@pytest.mark.parametrize("op_class", BINARY_FLOAT, ids=lambda c: c.TYPE)
@pytest.mark.parametrize("shapes", BROADCASTS, ids=str)
def test_binary_float_broadcasting(tmp_path, op_class, shapes):
    a = _floats(shapes[0], positive=op_class is ops.Power)
    b = _floats(shapes[1])
    if op_class in (ops.Divide, ops.FloorMod, ops.Mod):
        b = np.where(np.abs(b) < 0.3, 0.7, b).astype(np.float32)   # keep away from 0
    check_op_against_openvino(op_class(), [a, b], tmp_path, rtol=1e-5, atol=1e-5)


INT_PAIRS = (np.array([7, -7, 7, -7, 0, 9, -9, 1], np.int32), np.array([2, 2, -2, -2, 3, 3, 4, -5], np.int32))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_division_truncates_without_pythondiv(tmp_path, dtype):
    a, b = (x.astype(dtype) for x in INT_PAIRS)
    out = check_op_against_openvino(ops.Divide(m_pythondiv=False), [a, b], tmp_path)[0]
    np.testing.assert_array_equal(out, np.trunc(a / b).astype(dtype))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_division_floors_with_pythondiv(tmp_path, dtype):
    """m_pythondiv floors (the spec). The CPU plugin's integer kernel ignores the attribute and truncates, so the
    oracle here is OpenVINO's own evaluate: both inputs are constants, which the runtime folds at compile time."""
    a, b = (x.astype(dtype) for x in INT_PAIRS)
    out = check_op_against_openvino(ops.Divide(m_pythondiv=True), [a, b], tmp_path, constant=[True, True])[0]
    np.testing.assert_array_equal(out, a // b)


def test_integer_division_of_large_int64_is_exact():
    # float64 cannot hold these: truncating division must stay in integers.
    a = np.array([2 ** 62 + 1, -(2 ** 62) - 3], np.int64)
    b = np.array([3, 7], np.int64)
    out = ops.Divide(m_pythondiv=False).evaluate(a, b)[0]
    np.testing.assert_array_equal(out, [(2 ** 62 + 1) // 3, -((2 ** 62 + 3) // 7)])


@pytest.mark.parametrize("op_class", [ops.FloorMod, ops.Mod], ids=lambda c: c.TYPE)
@pytest.mark.parametrize("dtype", [np.int32, np.float32])
def test_remainder_signs(tmp_path, op_class, dtype):
    a, b = (x.astype(dtype) for x in INT_PAIRS)
    if dtype == np.float32:
        a = a + np.float32(0.5)
    out = check_op_against_openvino(op_class(), [a, b], tmp_path)[0]
    expected = np.mod(a, b) if op_class is ops.FloorMod else np.fmod(a, b)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_power(tmp_path, dtype):
    a = np.array([2, -3, 4, 0, 5, -2], dtype)
    b = np.array([3, 2, 0, 2, 1, 3], dtype)
    check_op_against_openvino(ops.Power(), [a, b], tmp_path)


@pytest.mark.parametrize("op_class", [ops.Equal, ops.NotEqual, ops.Less, ops.LessEqual, ops.Greater,
                                      ops.GreaterEqual], ids=lambda c: c.TYPE)
def test_comparisons(tmp_path, op_class):
    a = rng.integers(-2, 3, (2, 3, 4)).astype(np.float32)
    b = rng.integers(-2, 3, (3, 1)).astype(np.float32)
    out = check_op_against_openvino(op_class(), [a, b], tmp_path)[0]
    assert out.dtype == np.bool_


@pytest.mark.parametrize("op_class", [ops.LogicalAnd, ops.LogicalOr, ops.LogicalXor], ids=lambda c: c.TYPE)
def test_logical_binary(tmp_path, op_class):
    a = rng.integers(0, 2, (2, 3, 4)).astype(bool)
    b = rng.integers(0, 2, (4,)).astype(bool)
    check_op_against_openvino(op_class(), [a, b], tmp_path)


def test_logical_not(tmp_path):
    check_op_against_openvino(ops.LogicalNot(), [rng.integers(0, 2, (3, 4)).astype(bool)], tmp_path)


UNARY = [
    (ops.Abs, None), (ops.Negative, None), (ops.Sign, None), (ops.Floor, None), (ops.Ceiling, None),
    (ops.Sqrt, "positive"), (ops.Exp, None), (ops.Log, "positive"), (ops.Sin, None), (ops.Cos, None),
    (ops.Tan, "small"), (ops.Asin, "unit"), (ops.Acos, "unit"), (ops.Atan, None), (ops.Sinh, None),
    (ops.Cosh, None), (ops.Asinh, None), (ops.Acosh, "above1"), (ops.Atanh, "unit"), (ops.Erf, None),
]


@pytest.mark.parametrize("op_class,domain", UNARY, ids=[c.TYPE for c, _ in UNARY])
def test_unary_float(tmp_path, op_class, domain):
    x = rng.standard_normal((2, 3, 5)).astype(np.float32) * 2
    if domain == "positive":
        x = np.abs(x) + 0.1
    elif domain == "unit":
        x = np.tanh(x) * 0.95
    elif domain == "above1":
        x = np.abs(x) + 1.01
    elif domain == "small":
        x = np.clip(x, -1.2, 1.2)
    x = x.astype(np.float32)
    check_op_against_openvino(op_class(), [x], tmp_path, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op_class", [ops.Abs, ops.Negative, ops.Sign, ops.Floor, ops.Ceiling, ops.Sqrt, ops.Exp],
                         ids=lambda c: c.TYPE)
def test_unary_integer(tmp_path, op_class):
    x = np.array([-7, -1, 0, 1, 2, 9], np.int32)
    if op_class in (ops.Sqrt, ops.Exp):
        x = np.array([0, 1, 2, 3, 8, 10], np.int32)
    check_op_against_openvino(op_class(), [x], tmp_path)


@pytest.mark.parametrize("mode", ["half_to_even", "half_away_from_zero"])
def test_round_modes(tmp_path, mode):
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -0.51, 3.7, -3.2], np.float32)
    out = check_op_against_openvino(ops.Round(mode=mode), [x], tmp_path)[0]
    expected = [-2, -2, -0., 0, 2, 2, 0, -1, 4, -3] if mode == "half_to_even" else [-3, -2, -1, 1, 2, 3, 0, -1, 4, -3]
    np.testing.assert_array_equal(out, np.array(expected, np.float32))


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3), (2, 3)), ((3,), (2, 3), (1,)), ((2, 1), (4,), ())], ids=str)
def test_select_broadcasts_all_three(tmp_path, shapes):
    cond = rng.integers(0, 2, shapes[0]).astype(bool)
    check_op_against_openvino(ops.Select(), [cond, _floats(shapes[1]), _floats(shapes[2])], tmp_path)


@pytest.mark.parametrize("target,low,high", [(ElementType.i8, -128, 127), (ElementType.u8, 0, 255),
                                             (ElementType.i32, -2 ** 31, 2 ** 31 - 1),
                                             # the CPU plugin converts to i64 through i32
                                             (ElementType.i64, -2 ** 30, 2 ** 30)], ids=lambda v: str(v))
def test_convert_float_to_integer_truncates(tmp_path, target, low, high):
    """Float -> integer truncates toward zero (halves included). Values outside the target's range are undefined
    by the spec (the CPU plugin wraps them, irforge saturates), so only in-range values are compared."""
    x = np.array([-2.5, -1.5, -0.7, -0.5, 0.5, 0.7, 1.5, 2.5, 3.99, -3.99, 126.9, 100.5], np.float32)
    x = np.concatenate([x, np.array([low + 0.5, high - 0.5 if high < 2 ** 24 else high / 2], np.float32)])
    x = x[(x > low - 1) & (x < high + 1)]
    out = check_op_against_openvino(ops.Convert(destination_type=target), [x], tmp_path)[0]
    np.testing.assert_array_equal(out, np.trunc(x).astype(target.numpy))


def test_convert_float_saturates_out_of_range():
    """irforge's choice for the spec's undefined case: saturate (and NaN -> 0), never wrap."""
    x = np.array([-300.7, 300.2, 1e10, -1e10, np.nan], np.float32)
    out = ops.Convert(destination_type=ElementType.i8).evaluate(x)[0]
    np.testing.assert_array_equal(out, np.array([-128, 127, 127, -128, 0], np.int8))


@pytest.mark.parametrize("target", [ElementType.boolean, ElementType.f16, ElementType.f32], ids=lambda t: t.value)
def test_convert_float_to_float_and_boolean(tmp_path, target):
    x = np.array([-2.5, -0.0, 0.0, 1e-3, 0.7, 65504.0, 1e5, -7.25], np.float32)
    check_op_against_openvino(ops.Convert(destination_type=target), [x], tmp_path)


@pytest.mark.parametrize("source,target", [(np.int64, ElementType.i32), (np.int32, ElementType.f32),
                                           (np.int32, ElementType.u8), (np.uint8, ElementType.i8),
                                           (np.bool_, ElementType.f32), (np.int32, ElementType.boolean)],
                         ids=str)
def test_convert_between_types(tmp_path, source, target):
    x = np.array([-3, 0, 1, 2, 127, 200, 300], np.int64)
    if source == np.bool_:
        x = x > 1
    x = x.astype(source)
    check_op_against_openvino(ops.Convert(destination_type=target), [x], tmp_path)


def test_convert_like(tmp_path):
    x = np.array([1.4, -2.6, 3.5], np.float32)
    like = np.zeros((2,), np.int32)
    check_op_against_openvino(ops.ConvertLike(), [x, like], tmp_path)


# -- shape inference ---------------------------------------------------------------------------------------------
def _info(dims, et=ElementType.f32):
    return TensorInfo(et, PartialShape(dims))


def test_broadcast_inference_with_dynamic_dims():
    out = ops.Add().infer(_info([DYNAMIC, 3, 1]), _info([4, 1, Interval(2, 8)]))[0]
    assert out.shape == PartialShape([4, 3, Interval(2, 8)])
    assert out.element_type == ElementType.f32


def test_broadcast_inference_keeps_interval_against_one():
    out = ops.Multiply().infer(_info([Interval(1, 10), 5]), _info([1, 5]))[0]
    assert out.shape == PartialShape([Interval(1, 10), 5])


def test_broadcast_inference_unknown_rank():
    out = ops.Subtract().infer(_info(None), _info([2, 3]))[0]
    assert out.shape.rank is None


def test_broadcast_inference_rejects_clashing_dims():
    with pytest.raises(ValueError):
        ops.Add().infer(_info([2, 3]), _info([4, 3]))


def test_binary_ops_reject_mixed_element_types():
    with pytest.raises(ValueError):
        ops.Add().infer(_info([2]), _info([2], ElementType.i32))


def test_comparison_infers_boolean():
    out = ops.Less().infer(_info([2, DYNAMIC]), _info([1]))[0]
    assert out.element_type == ElementType.boolean and out.shape == PartialShape([2, DYNAMIC])


def test_select_requires_boolean_condition():
    with pytest.raises(ValueError):
        ops.Select().infer(_info([2]), _info([2]), _info([2]))


def test_convert_infers_target_type_and_keeps_dynamic_shape():
    out = ops.Convert(destination_type=ElementType.i32).infer(_info([DYNAMIC, 3]))[0]
    assert out.element_type == ElementType.i32 and out.shape == PartialShape([DYNAMIC, 3])
