"""Gather, StridedSlice, Slice, Range and TopK against the real OpenVINO runtime (negative indices and axes,
batch_dims, every StridedSlice mask, negative steps, out-of-range bounds, TopK ordering and ties), and their
shape inference with dynamic dims."""
import numpy as np
import pytest

from irforge import ops
from irforge.core import ElementType
from irforge.core.op import TensorInfo
from irforge.core.shape import DYNAMIC, Interval, PartialShape
from oracles import check_op_against_openvino

rng = np.random.default_rng(9)
X = rng.standard_normal((3, 4, 5)).astype(np.float32)
BIG = 2 ** 62


def i64(v):
    return np.array(v, np.int64)


@pytest.mark.parametrize("indices,axis", [([0, 2], 0), ([[1, -1], [0, 3]], 1), (-2, 2), ([4, 0, -5], -1),
                                          (1, 0)], ids=str)   # (empty indices crash the CPU plugin: SIGFPE)
def test_gather(tmp_path, indices, axis):
    check_op_against_openvino(ops.Gather(), [X, i64(indices), i64(axis)], tmp_path, constant=[False, True, True])


def test_gather_runtime_indices(tmp_path):
    check_op_against_openvino(ops.Gather(), [X, i64([[2, 0], [1, 1]]), i64(1)], tmp_path,
                              constant=[False, False, True])


@pytest.mark.parametrize("batch_dims,axis,idx_shape", [(1, 1, (3, 2)), (1, 2, (3, 6)), (-1, 2, (3, 4, 2)),
                                                       (2, 2, (3, 4, 3))], ids=str)
def test_gather_batch_dims(tmp_path, batch_dims, axis, idx_shape):
    idx = rng.integers(-X.shape[axis], X.shape[axis], idx_shape).astype(np.int64)
    check_op_against_openvino(ops.Gather(batch_dims=batch_dims), [X, idx, i64(axis)], tmp_path,
                              constant=[False, True, True])


def _mask(*bits):
    return tuple(bits)


STRIDED = [
    # begin, end, strides, begin_mask, end_mask, new_axis, shrink, ellipsis
    ([0, 1, 0], [2, 3, 5], [1, 1, 2], (), (), (), (), ()),
    ([-1, 0, 4], [-4, 4, 0], [-1, 1, -1], (), (), (), (), ()),                  # negative strides and bounds
    ([1, 0, 0], [0, 0, 0], [1, 1, 1], (0, 1, 1), (1, 1, 1), (), (), ()),        # masks ignore begin / end
    ([0, 2], [0, 3], [1, 1], (), (), (), (1, 0), ()),                           # shrink the first axis
    ([0, 0, 1], [0, 0, 3], [1, 1, 1], (), (), (0, 1, 0), (), ()),              # a new axis in the middle
    ([0, 1], [0, 3], [1, 1], (), (), (), (), (1, 0)),                           # ellipsis then the last axis
    ([1, 0, 0], [2, 0, 3], [1, 1, 1], (), (), (), (0, 0, 0), (0, 1, 0)),        # ellipsis in the middle
    ([0, -BIG], [BIG, BIG], [1, 1], (), (), (), (), ()),                        # out-of-range bounds clamp
    ([2], [0], [-1], (), (1,), (), (), ()),                                     # negative stride, end masked
]
# A new axis before a shrunk one: the CPU plugin returns uninitialised memory at run time, so this case is held
# against OpenVINO's own evaluate (constant inputs, folded when the model compiles), which agrees with numpy.
FOLDED_STRIDED = ([0, 0, -1], [0, 0, 0], [1, 1, 1], (1, 1, 0), (1, 1, 0), (1, 0, 0), (0, 0, 1), ())


@pytest.mark.parametrize("case", STRIDED, ids=[str(i) for i in range(len(STRIDED))])
def test_strided_slice(tmp_path, case):
    begin, end, strides, bm, em, nm, sm, ell = case
    op = ops.StridedSlice(begin_mask=bm, end_mask=em, new_axis_mask=nm, shrink_axis_mask=sm, ellipsis_mask=ell)
    check_op_against_openvino(op, [X, i64(begin), i64(end), i64(strides)], tmp_path,
                              constant=[False, True, True, True])


def test_strided_slice_new_axis_then_shrink(tmp_path):
    begin, end, strides, bm, em, nm, sm, ell = FOLDED_STRIDED
    op = ops.StridedSlice(begin_mask=bm, end_mask=em, new_axis_mask=nm, shrink_axis_mask=sm, ellipsis_mask=ell)
    out = check_op_against_openvino(op, [X, i64(begin), i64(end), i64(strides)], tmp_path, constant=[True] * 4)[0]
    np.testing.assert_array_equal(out, X[None, :, -1])


def test_strided_slice_masks_are_written_at_one_length():
    """The runtime rejects masks of different lengths; missing bits are zeros."""
    attrs = ops.StridedSlice(begin_mask=(1,), shrink_axis_mask=(0, 0, 1)).attributes()
    assert attrs["begin_mask"] == (1, 0, 0) and attrs["end_mask"] == (0, 0, 0)
    assert attrs["shrink_axis_mask"] == (0, 0, 1) and attrs["ellipsis_mask"] == (0, 0, 0)


def test_strided_slice_without_strides(tmp_path):
    op = ops.StridedSlice(begin_mask=(0, 1), end_mask=(0, 1))
    check_op_against_openvino(op, [X, i64([1, 0]), i64([3, 0])], tmp_path, constant=[False, True, True])


SLICES = [
    ([0], [2], [1], None),
    ([-1], [-BIG], [-1], [1]),                   # reverse an axis
    ([1, 0], [BIG, 4], [2, 3], [2, 0]),          # axes out of order, stop past the end
    ([-10], [10], [1], [-1]),                    # clamped both ways, negative axis
    ([3], [1], [1], [0]),                        # empty result
    ([4, 3], [0, -BIG], [-2, -1], [-1, -2]),
]


@pytest.mark.parametrize("case", SLICES, ids=[str(i) for i in range(len(SLICES))])
def test_slice(tmp_path, case):
    start, stop, step, axes = case
    inputs = [X, i64(start), i64(stop), i64(step)] + ([] if axes is None else [i64(axes)])
    check_op_against_openvino(ops.Slice(), inputs, tmp_path, constant=[False] + [True] * (len(inputs) - 1))


def test_slice_runtime_bounds(tmp_path):
    check_op_against_openvino(ops.Slice(), [X, i64([1]), i64([-1]), i64([1]), i64([2])], tmp_path,
                              constant=[False, False, False, True, True])


@pytest.mark.parametrize("start,stop,step,out_type", [
    (0, 10, 3, ElementType.i64), (10, -3, -4, ElementType.i32), (5, 5, 1, ElementType.i64),
    (0.5, 3.0, 0.7, ElementType.f32), (1.0, -1.0, -0.3, ElementType.f32), (2, 3, 5, ElementType.i32)], ids=str)
def test_range(tmp_path, start, stop, step, out_type):
    dtype = np.float32 if out_type == ElementType.f32 else out_type.numpy
    inputs = [np.array(v, dtype) for v in (start, stop, step)]
    check_op_against_openvino(ops.Range(output_type=out_type), inputs, tmp_path, constant=[True, True, True])
    check_op_against_openvino(ops.Range(output_type=out_type), inputs, tmp_path)


TIES = np.array([[3, 1, 3, 2, 1, 3], [0, 5, 5, 1, 0, 5]], np.float32)


@pytest.mark.parametrize("mode", ["max", "min"])
@pytest.mark.parametrize("sort", ["value", "index"])
@pytest.mark.parametrize("axis,k", [(-1, 3), (0, 1), (1, 4), (2, 2)], ids=str)
def test_topk(tmp_path, mode, sort, axis, k):
    x = rng.permutation(60).reshape(3, 4, 5).astype(np.float32)   # distinct values: one right answer
    check_op_against_openvino(ops.TopK(axis=axis, mode=mode, sort=sort), [x, i64(k)], tmp_path,
                              constant=[False, True])


@pytest.mark.parametrize("mode", ["max", "min"])
@pytest.mark.parametrize("sort", ["value", "index"])
def test_topk_stable_ties_keep_input_order(tmp_path, mode, sort):
    check_op_against_openvino(ops.TopK(axis=1, mode=mode, sort=sort, stable=True), [TIES, i64(4)], tmp_path,
                              constant=[False, True])


def test_topk_index_type_and_integers(tmp_path):
    x = rng.permutation(24).reshape(4, 6).astype(np.int32)
    out = check_op_against_openvino(ops.TopK(axis=1, index_element_type=ElementType.i32), [x, i64(2)],
                                    tmp_path, constant=[False, True])
    assert out[1].dtype == np.int32


# -- shape inference ---------------------------------------------------------------------------------------------
def _info(dims, value=None, et=ElementType.f32):
    return TensorInfo(et, PartialShape(dims), None if value is None else np.array(value, np.int64))


def _ints(values):
    return _info([len(values)], values, ElementType.i64)


def test_gather_inference_with_dynamic_dims_and_scalar_index():
    out = ops.Gather().infer(_info([DYNAMIC, 4, Interval(2, 6)]), _info([], 1, ElementType.i64),
                             _info([], 1, ElementType.i64))[0]
    assert out.shape == PartialShape([DYNAMIC, Interval(2, 6)])
    out = ops.Gather(batch_dims=1).infer(_info([3, 4, 5]), _info([3, 7], et=ElementType.i64),
                                         _info([], 2, ElementType.i64))[0]
    assert out.shape == PartialShape([3, 4, 7])


def test_slice_inference_on_intervals():
    out = ops.Slice().infer(_info([Interval(4, 10), 6]), _ints([1]), _ints([3]), _ints([1]), _ints([0]))[0]
    assert out.shape == PartialShape([2, 6])
    out = ops.Slice().infer(_info([DYNAMIC, 6]), _ints([0, 1]), _ints([BIG, 5]), _ints([2, 2]))[0]
    assert out.shape == PartialShape([DYNAMIC, 2])


def test_slice_inference_unknown_bounds_keep_rank():
    out = ops.Slice().infer(_info([3, 4]), _info([1], et=ElementType.i64), _ints([2]), _ints([1]))[0]
    assert out.shape == PartialShape.dynamic(2)


def test_strided_slice_inference_masks():
    op = ops.StridedSlice(new_axis_mask=(0, 1), shrink_axis_mask=(1, 0, 0))
    out = op.infer(_info([DYNAMIC, 4, 5]), _ints([0, 0, 1]), _ints([1, 0, 3]), _ints([1, 1, 1]))[0]
    assert out.shape == PartialShape([1, 2, 5])


def test_range_inference():
    out = ops.Range(output_type=ElementType.i64).infer(_info([], 0), _info([], 10), _info([], 3))[0]
    assert out.shape == PartialShape([4])
    assert ops.Range().infer(_info([]), _info([], 10), _info([], 3))[0].shape == PartialShape([DYNAMIC])
    with pytest.raises(ValueError):
        ops.Range().infer(_info([], 0), _info([], 10), _info([], 0))


def test_topk_inference():
    outs = ops.TopK(axis=-1).infer(_info([DYNAMIC, 8]), _info([], 3, ElementType.i64))
    assert [o.shape for o in outs] == [PartialShape([DYNAMIC, 3])] * 2
    assert outs[1].element_type == ElementType.i64
    outs = ops.TopK(axis=0).infer(_info([2, 8]), _info([], 5, ElementType.i64))
    assert outs[0].shape == PartialShape([2, 8])    # k is capped by the axis length
    assert ops.TopK().infer(_info([4, 8]), _info([], et=ElementType.i64))[0].shape == PartialShape([4, DYNAMIC])
