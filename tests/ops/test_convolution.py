"""Convolutions: irforge's evaluate against the real OpenVINO runtime on the same single-op IR."""
import numpy as np
import pytest

from irforge import ops
from irforge.ops import AutoPad
from oracles import check_op_against_openvino

rng = np.random.default_rng(0)


@pytest.mark.parametrize("strides,pads,dilations,auto_pad", [
    ((1, 1), (0, 0, 0, 0), (1, 1), AutoPad.EXPLICIT),
    ((2, 2), (1, 1, 1, 1), (1, 1), AutoPad.EXPLICIT),
    ((2, 1), (0, 1, 2, 0), (2, 1), AutoPad.EXPLICIT),
    ((2, 2), (0, 0, 0, 0), (1, 1), AutoPad.SAME_UPPER),
    ((2, 2), (0, 0, 0, 0), (1, 1), AutoPad.SAME_LOWER),
    ((3, 3), (0, 0, 0, 0), (1, 1), AutoPad.VALID),
])
def test_convolution_2d(tmp_path, strides, pads, dilations, auto_pad):
    x = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 2)).astype(np.float32)
    op = ops.Convolution(strides, pads[:2], pads[2:], dilations, auto_pad)
    check_op_against_openvino(op, [x, w], tmp_path, constant=[False, True], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("rank", [1, 3])
def test_convolution_other_ranks(tmp_path, rank):
    x = rng.standard_normal((1, 2) + (6,) * rank).astype(np.float32)
    w = rng.standard_normal((3, 2) + (3,) * rank).astype(np.float32)
    op = ops.Convolution((1,) * rank, (1,) * rank, (0,) * rank, (1,) * rank)
    check_op_against_openvino(op, [x, w], tmp_path, constant=[False, True], rtol=1e-4, atol=1e-4)


def test_group_convolution_depthwise_and_grouped(tmp_path):
    x = rng.standard_normal((1, 6, 7, 7)).astype(np.float32)
    for w_shape in [(6, 1, 1, 3, 3), (2, 4, 3, 3, 3)]:
        w = rng.standard_normal(w_shape).astype(np.float32)
        op = ops.GroupConvolution((2, 2), (1, 1), (1, 1), (1, 1))
        check_op_against_openvino(op, [x, w], tmp_path, constant=[False, True], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("strides,pads,out_pad,dil", [
    ((1, 1), (0, 0, 0, 0), (0, 0), (1, 1)),
    ((2, 2), (1, 1, 1, 1), (1, 1), (1, 1)),
    ((2, 3), (0, 1, 1, 0), (1, 0), (2, 1)),
])
def test_convolution_backprop_data(tmp_path, strides, pads, out_pad, dil):
    x = rng.standard_normal((2, 3, 5, 4)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    op = ops.ConvolutionBackpropData(strides, pads[:2], pads[2:], dil, AutoPad.EXPLICIT, out_pad)
    check_op_against_openvino(op, [x, w], tmp_path, constant=[False, True], rtol=1e-4, atol=1e-4)


def test_convolution_backprop_with_output_shape(tmp_path):
    x = rng.standard_normal((1, 3, 5, 5)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    for auto_pad in (AutoPad.SAME_UPPER, AutoPad.SAME_LOWER):
        op = ops.ConvolutionBackpropData((2, 2), (0, 0), (0, 0), (1, 1), auto_pad, (0, 0))
        check_op_against_openvino(op, [x, w, np.array([10, 10], np.int64)], tmp_path,
                                  constant=[False, True, True], rtol=1e-4, atol=1e-4)


def test_group_convolution_backprop_data(tmp_path):
    x = rng.standard_normal((1, 4, 5, 5)).astype(np.float32)
    w = rng.standard_normal((2, 2, 3, 3, 3)).astype(np.float32)
    op = ops.GroupConvolutionBackpropData((2, 2), (1, 1), (1, 1), (1, 1), AutoPad.EXPLICIT, (1, 1))
    check_op_against_openvino(op, [x, w], tmp_path, constant=[False, True], rtol=1e-4, atol=1e-4)


def test_channel_mismatch_is_a_shape_error():
    from irforge.core import ElementType, Graph, PartialShape
    from irforge.errors import ShapeError
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([1, 3, 8, 8]))
    w = g.constant(np.zeros((4, 2, 3, 3), np.float32))
    with pytest.raises(ShapeError, match="3 channels"):
        g.add(ops.Convolution((1, 1), (0, 0), (0, 0), (1, 1)), x, w, name="conv")


def test_dynamic_spatial_dims_stay_dynamic():
    from irforge.core import ElementType, Graph, Interval, PartialShape
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([Interval(), 3, Interval(8, 64), 8]))
    w = g.constant(np.zeros((4, 3, 3, 3), np.float32))
    y = g.out(ops.Convolution((2, 2), (1, 1), (1, 1), (1, 1)), x, w)
    assert str(y.shape) == "?,4,4..32,4"


@pytest.mark.parametrize("rank,w_shape,dil", [
    (1, (4, 1, 1, 3), (2,)),          # depthwise 1-D, dilated
    (2, (4, 2, 1, 3, 3), (1, 2)),     # channel multiplier 2 (per group: 1 in, 2 out)
    (2, (2, 3, 2, 1, 2), (1, 1)),     # 2 groups of 2 in, 3 out
    (3, (4, 1, 1, 2, 2, 2), (1, 1, 1)),
])
def test_group_convolution_batched_layouts(tmp_path, rank, w_shape, dil):
    """Batch 2 and the group layouts the fast paths treat differently (depthwise vs batched matmul)."""
    x = rng.standard_normal((2, 4) + (6,) * rank).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    op = ops.GroupConvolution((1,) * rank, (1,) * rank, (0,) * rank, dil)
    check_op_against_openvino(op, [x, w], tmp_path, constant=[False, True], rtol=1e-4, atol=1e-4)
