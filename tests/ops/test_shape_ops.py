"""Data-movement ops against the real OpenVINO runtime (negative axes, special_zero, broadcast modes, pad modes,
negative pads), and their shape inference with dynamic dims, intervals and unknown ranks."""
import numpy as np
import pytest

from irforge import ops
from irforge.core import ElementType
from irforge.core.op import TensorInfo
from irforge.core.shape import DYNAMIC, Interval, PartialShape
from oracles import check_op_against_openvino

rng = np.random.default_rng(8)
X = rng.standard_normal((2, 3, 4)).astype(np.float32)


def i64(v):
    return np.array(v, np.int64)


@pytest.mark.parametrize("target,special_zero", [
    ([6, 4], False), ([-1, 4], False), ([2, -1], False), ([0, 12], True), ([0, 0, -1], True), ([24], False),
    ([2, 3, 2, 2], False), ([0, -1, 2], True), ([1, 24], False)], ids=str)
def test_reshape(tmp_path, target, special_zero):
    check_op_against_openvino(ops.Reshape(special_zero=special_zero), [X, i64(target)], tmp_path,
                              constant=[False, True])


def test_reshape_to_scalar_and_back(tmp_path):
    check_op_against_openvino(ops.Reshape(), [np.array([3.5], np.float32), i64([])], tmp_path,
                              constant=[False, True])
    check_op_against_openvino(ops.Reshape(), [np.array(3.5, np.float32), i64([1, 1])], tmp_path,
                              constant=[False, True])


@pytest.mark.parametrize("axes", [[0], [-1], [0, 2], [2, 0, -1]], ids=str)
def test_squeeze(tmp_path, axes):
    x = rng.standard_normal((1, 3, 1, 2, 1)).astype(np.float32)
    check_op_against_openvino(ops.Squeeze(), [x, i64(axes)], tmp_path, constant=[False, True])


def test_squeeze_without_axes(tmp_path):
    x = rng.standard_normal((1, 3, 1, 2)).astype(np.float32)
    check_op_against_openvino(ops.Squeeze(), [x], tmp_path)


@pytest.mark.parametrize("axes", [[0], [-1], [0, 3], [1, -1], [4, 0]], ids=str)
def test_unsqueeze(tmp_path, axes):
    check_op_against_openvino(ops.Unsqueeze(), [X, i64(axes)], tmp_path, constant=[False, True])


@pytest.mark.parametrize("order", [[2, 0, 1], [0, 2, 1], [], [0, 1, 2]], ids=str)
def test_transpose(tmp_path, order):
    check_op_against_openvino(ops.Transpose(), [X, i64(order)], tmp_path, constant=[False, True])


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_concat(tmp_path, axis):
    shape_b = list(X.shape)
    shape_b[axis] = 5
    b = rng.standard_normal(shape_b).astype(np.float32)
    check_op_against_openvino(ops.Concat(axis=axis), [X, b, X], tmp_path)


@pytest.mark.parametrize("axis,parts", [(1, 3), (-1, 2), (0, 2), (2, 1)])
def test_split(tmp_path, axis, parts):
    check_op_against_openvino(ops.Split(num_splits=parts), [X, i64(axis)], tmp_path, constant=[False, True])


@pytest.mark.parametrize("axis,lengths", [(2, [1, 3]), (-1, [2, -1, 1]), (1, [0, 3]), (0, [-1, 1])], ids=str)
def test_variadic_split(tmp_path, axis, lengths):
    check_op_against_openvino(ops.VariadicSplit(), [X, i64(axis), i64(lengths)], tmp_path,
                              constant=[False, True, True])


@pytest.mark.parametrize("output_type", [ElementType.i64, ElementType.i32], ids=lambda t: t.value)
def test_shape_of(tmp_path, output_type):
    out = check_op_against_openvino(ops.ShapeOf(output_type=output_type), [X], tmp_path)[0]
    assert out.dtype == output_type.numpy and out.tolist() == [2, 3, 4]


@pytest.mark.parametrize("x_shape,target", [((3, 1), [2, 3, 4]), ((4,), [3, 4]), ((), [2, 2]), ((1, 1), [1, 5])],
                         ids=str)
def test_broadcast_numpy(tmp_path, x_shape, target):
    x = rng.standard_normal(x_shape).astype(np.float32)
    check_op_against_openvino(ops.Broadcast(mode="numpy"), [x, i64(target)], tmp_path, constant=[False, True])


@pytest.mark.parametrize("x_shape,target", [((3, 1), [2, 1, 4]), ((2, 3, 4), [3, 1]), ((4,), [1]),
                                            ((1, 4), [3, 1, 1]), ((5,), [2, 1, 5])], ids=str)
def test_broadcast_bidirectional(tmp_path, x_shape, target):
    """Bidirectional (ONNX Expand): the output is the broadcast of both, so the target may be smaller."""
    x = rng.standard_normal(x_shape).astype(np.float32)
    check_op_against_openvino(ops.Broadcast(mode="bidirectional"), [x, i64(target)], tmp_path,
                              constant=[False, True])


def test_broadcast_bidirectional_booleans(tmp_path):
    x = np.array([[True], [False]])
    check_op_against_openvino(ops.Broadcast(mode="bidirectional"), [x, i64([2, 3])], tmp_path,
                              constant=[False, True])


@pytest.mark.parametrize("x_shape,target,mapping", [((3,), [2, 3, 4], [1]), ((3, 4), [2, 3, 4], [1, 2]),
                                                    ((2, 4), [2, 3, 4], [0, 2]), ((1,), [2, 2], [1])], ids=str)
def test_broadcast_explicit(tmp_path, x_shape, target, mapping):
    x = rng.standard_normal(x_shape).astype(np.float32)
    check_op_against_openvino(ops.Broadcast(mode="explicit"), [x, i64(target), i64(mapping)], tmp_path,
                              constant=[False, True, True])


@pytest.mark.parametrize("repeats", [[2, 1, 3], [2], [1, 2, 1, 1], [1, 1, 1], [0, 1, 1]], ids=str)
def test_tile(tmp_path, repeats):
    check_op_against_openvino(ops.Tile(), [X, i64(repeats)], tmp_path, constant=[False, True])


PADS = [([0, 1, 2], [1, 0, 1]), ([0, -1, 1], [0, 1, -2]), ([1, 0, 0], [0, 0, 0]), ([0, 2, 3], [0, 2, 3])]


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("pads", PADS, ids=str)
def test_pad_modes(tmp_path, mode, pads):
    inputs = [X, i64(pads[0]), i64(pads[1])]
    constant = [False, True, True]
    if mode == "constant":
        inputs.append(np.array(1.5, np.float32))
        constant.append(True)
    check_op_against_openvino(ops.Pad(pad_mode=mode), inputs, tmp_path, constant=constant)


def test_pad_constant_default_is_zero_and_integers(tmp_path):
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    check_op_against_openvino(ops.Pad(), [x, i64([1, 0]), i64([0, 2])], tmp_path, constant=[False, True, True])


# -- shape inference ---------------------------------------------------------------------------------------------
def _info(dims, value=None, et=ElementType.f32):
    return TensorInfo(et, PartialShape(dims), None if value is None else np.array(value, np.int64))


def _ints(values):
    return _info([len(values)], values, ElementType.i64)


def test_reshape_infers_minus_one_and_zero_with_dynamic_dims():
    out = ops.Reshape(special_zero=True).infer(_info([DYNAMIC, 3, 4]), _ints([0, -1]))[0]
    assert out.shape == PartialShape([DYNAMIC, 12])
    out = ops.Reshape().infer(_info([2, 3, 4]), _ints([4, -1]))[0]
    assert out.shape == PartialShape([4, 6])


def test_reshape_with_unknown_target_knows_the_rank():
    out = ops.Reshape().infer(_info([2, 3]), _info([3], et=ElementType.i64))[0]
    assert out.shape == PartialShape.dynamic(3)


def test_reshape_rejects_bad_element_count():
    with pytest.raises(ValueError):
        ops.Reshape().infer(_info([2, 3]), _ints([4, 2]))
    with pytest.raises(ValueError):
        ops.Reshape().infer(_info([2, 3]), _ints([-1, -1]))


def test_squeeze_inference():
    assert ops.Squeeze().infer(_info([1, DYNAMIC, 1]), _ints([-1]))[0].shape == PartialShape([1, DYNAMIC])
    with pytest.raises(ValueError):
        ops.Squeeze().infer(_info([2, 3]), _ints([0]))
    assert ops.Squeeze().infer(_info([1, DYNAMIC]))[0].shape.rank is None   # which dims go is not known


def test_unsqueeze_inference_negative_axes():
    assert ops.Unsqueeze().infer(_info([DYNAMIC, 3]), _ints([-1, 0]))[0].shape == PartialShape([1, DYNAMIC, 3, 1])


def test_transpose_inference_keeps_intervals():
    out = ops.Transpose().infer(_info([Interval(1, 4), 3, DYNAMIC]), _ints([2, 0, 1]))[0]
    assert out.shape == PartialShape([DYNAMIC, Interval(1, 4), 3])


def test_concat_inference_adds_intervals_and_merges_dynamic_dims():
    out = ops.Concat(axis=-1).infer(_info([DYNAMIC, Interval(1, 3)]), _info([2, 4]))[0]
    assert out.shape == PartialShape([2, Interval(5, 7)])
    # An input of unknown rank adds an unknown length: at least the other inputs' total.
    assert ops.Concat(axis=0).infer(_info(None), _info([2, 4]))[0].shape == PartialShape([Interval(2, None), 4])


def test_concat_inference_rejects_mismatch():
    with pytest.raises(ValueError):
        ops.Concat(axis=0).infer(_info([2, 4]), _info([2, 5]))


def test_split_inference():
    outs = ops.Split(num_splits=2).infer(_info([DYNAMIC, 6]), _ints([-1]))
    assert [o.shape for o in outs] == [PartialShape([DYNAMIC, 3])] * 2
    with pytest.raises(ValueError):
        ops.Split(num_splits=4).infer(_info([2, 6]), _ints([1]))


def test_variadic_split_inference_with_minus_one():
    outs = ops.VariadicSplit().infer(_info([2, 10]), _ints([1]), _ints([3, -1, 2]))
    assert [o.shape for o in outs] == [PartialShape([2, 3]), PartialShape([2, 5]), PartialShape([2, 2])]


def test_shape_of_value_known_only_for_static_shapes():
    assert ops.ShapeOf().infer(_info([2, 3]))[0].value.tolist() == [2, 3]
    dynamic = ops.ShapeOf().infer(_info([DYNAMIC, 3]))[0]
    assert dynamic.value is None and dynamic.shape == PartialShape([2])
    assert ops.ShapeOf().infer(_info(None))[0].shape == PartialShape([DYNAMIC])


def test_broadcast_inference_modes():
    assert ops.Broadcast().infer(_info([3, 1]), _ints([2, 3, 4]))[0].shape == PartialShape([2, 3, 4])
    out = ops.Broadcast(mode="bidirectional").infer(_info([DYNAMIC, 1, 4]), _ints([3, 1]))[0]
    assert out.shape == PartialShape([DYNAMIC, 3, 4])
    with pytest.raises(ValueError):
        ops.Broadcast().infer(_info([3, 2]), _ints([3, 4]))


def test_tile_inference_multiplies_intervals():
    out = ops.Tile().infer(_info([Interval(1, 4), 3]), _ints([2, 2, 1]))[0]
    assert out.shape == PartialShape([2, Interval(2, 8), 3])


def test_pad_inference_negative_pads_and_intervals():
    out = ops.Pad().infer(_info([Interval(3, 9), 5]), _ints([1, -2]), _ints([1, 0]))[0]
    assert out.shape == PartialShape([Interval(5, 11), 3])
