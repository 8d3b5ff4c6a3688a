"""Reductions against the real OpenVINO runtime (negative, repeated-free and empty axes, keep_dims, integers,
booleans), and shape inference with unknown axes and dynamic dims."""
import numpy as np
import pytest

from irforge import ops
from irforge.core import ElementType
from irforge.core.op import TensorInfo
from irforge.core.shape import DYNAMIC, Interval, PartialShape
from oracles import check_op_against_openvino

rng = np.random.default_rng(6)
X = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
FLOAT_REDUCTIONS = [ops.ReduceSum, ops.ReduceMean, ops.ReduceMax, ops.ReduceMin, ops.ReduceProd, ops.ReduceL1,
                    ops.ReduceL2]


@pytest.mark.parametrize("op_class", FLOAT_REDUCTIONS, ids=lambda c: c.TYPE)
@pytest.mark.parametrize("axes", [[0], [1, 2], [-1], [-3, 3], [0, 1, 2, 3]], ids=str)
@pytest.mark.parametrize("keep_dims", [True, False])
def test_float_reductions(tmp_path, op_class, axes, keep_dims):
    check_op_against_openvino(op_class(keep_dims=keep_dims), [X, np.array(axes, np.int64)], tmp_path,
                              constant=[False, True], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op_class", FLOAT_REDUCTIONS, ids=lambda c: c.TYPE)
def test_empty_axes_reduce_nothing_but_apply_the_op(tmp_path, op_class):
    """Empty axes: the output keeps the input's shape, and ReduceL1 / ReduceL2 still take |x|. (The CPU plugin
    accepts empty axes only with keep_dims=true; evaluate gives the same either way.)"""
    axes = np.array([], np.int64)
    out = check_op_against_openvino(op_class(keep_dims=True), [X, axes], tmp_path, constant=[False, True],
                                    rtol=1e-5, atol=1e-5)[0]
    np.testing.assert_array_equal(op_class(keep_dims=False).evaluate(X, axes)[0], out)


@pytest.mark.parametrize("op_class", [ops.ReduceSum, ops.ReduceMean, ops.ReduceMax, ops.ReduceMin, ops.ReduceProd],
                         ids=lambda c: c.TYPE)
def test_integer_reductions(tmp_path, op_class):
    """ReduceMean of integers truncates toward zero as the runtime computes it."""
    x = rng.integers(-7, 8, (3, 4, 2)).astype(np.int32)
    x[0, :, 0] = [-3, -1, 0, 2]   # a mean of -0.5: truncation gives 0, flooring would give -1
    check_op_against_openvino(op_class(keep_dims=False), [x, np.array([1], np.int64)], tmp_path,
                              constant=[False, True])


@pytest.mark.parametrize("op_class", [ops.ReduceLogicalAnd, ops.ReduceLogicalOr], ids=lambda c: c.TYPE)
@pytest.mark.parametrize("keep_dims", [True, False])
def test_logical_reductions(tmp_path, op_class, keep_dims):
    x = rng.integers(0, 2, (3, 4, 2)).astype(bool)
    check_op_against_openvino(op_class(keep_dims=keep_dims), [x, np.array([0, -1], np.int64)], tmp_path,
                              constant=[False, True])


def test_reduction_with_runtime_axes(tmp_path):
    """Axes fed at run time: inference knows only the output rank (the CPU plugin needs keep_dims=true then)."""
    check_op_against_openvino(ops.ReduceSum(keep_dims=True), [X, np.array([1, 3], np.int64)], tmp_path,
                              rtol=1e-5, atol=1e-5)


def _info(dims, value=None, et=ElementType.f32):
    return TensorInfo(et, PartialShape(dims), None if value is None else np.array(value, np.int64))


def test_reduce_inference_dynamic_and_negative_axes():
    x = _info([DYNAMIC, 3, Interval(2, 5), 7])
    out = ops.ReduceMax(keep_dims=False).infer(x, _info([2], [-1, 1], ElementType.i64))[0]
    assert out.shape == PartialShape([DYNAMIC, Interval(2, 5)])
    out = ops.ReduceMax(keep_dims=True).infer(x, _info([2], [-1, 1], ElementType.i64))[0]
    assert out.shape == PartialShape([DYNAMIC, 1, Interval(2, 5), 1])


def test_reduce_inference_unknown_axes_values():
    x = _info([2, 3, 4])
    assert ops.ReduceSum(keep_dims=False).infer(x, _info([2], et=ElementType.i64))[0].shape == PartialShape.dynamic(1)
    assert ops.ReduceSum(keep_dims=True).infer(x, _info([2], et=ElementType.i64))[0].shape == PartialShape.dynamic(3)
    assert ops.ReduceSum(keep_dims=False).infer(x, _info([DYNAMIC], et=ElementType.i64))[0].shape.rank is None


def test_reduce_inference_rejects_axis_out_of_range():
    with pytest.raises(ValueError):
        ops.ReduceSum().infer(_info([2, 3]), _info([1], [2], ElementType.i64))


def test_logical_reduction_infers_boolean():
    out = ops.ReduceLogicalOr().infer(_info([2, 3], et=ElementType.boolean), _info([1], [0], ElementType.i64))[0]
    assert out.element_type == ElementType.boolean
