"""Pooling against the real OpenVINO runtime."""
import numpy as np
import pytest

from irforge import ops
from irforge.core import ElementType
from irforge.ops import AutoPad, RoundingType
from oracles import check_op_against_openvino

rng = np.random.default_rng(1)


@pytest.mark.parametrize("kernel,strides,pads,rounding", [
    ((3, 3), (2, 2), (0, 0, 0, 0), RoundingType.FLOOR),
    ((3, 3), (2, 2), (0, 0, 0, 0), RoundingType.CEIL),
    ((3, 3), (2, 2), (1, 1, 1, 1), RoundingType.CEIL_TORCH),
    ((2, 3), (1, 2), (1, 0, 0, 1), RoundingType.FLOOR),
])
def test_max_pool(tmp_path, kernel, strides, pads, rounding):
    x = rng.standard_normal((2, 3, 8, 9)).astype(np.float32)
    op = ops.MaxPool(strides, pads[:2], pads[2:], kernel, rounding, AutoPad.EXPLICIT, (1, 1))
    check_op_against_openvino(op, [x], tmp_path)


def test_max_pool_indices_axis(tmp_path):
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    for axis in (0, 1, 2):
        op = ops.MaxPool((2, 2), (0, 0), (0, 0), (2, 2), RoundingType.FLOOR, AutoPad.EXPLICIT, (1, 1), axis=axis)
        check_op_against_openvino(op, [x], tmp_path)


@pytest.mark.parametrize("exclude_pad", [True, False])
@pytest.mark.parametrize("rounding", [RoundingType.FLOOR, RoundingType.CEIL, RoundingType.CEIL_TORCH])
def test_avg_pool(tmp_path, exclude_pad, rounding):
    x = rng.standard_normal((1, 2, 7, 7)).astype(np.float32)
    op = ops.AvgPool((2, 2), (1, 1), (1, 1), (3, 3), rounding, AutoPad.EXPLICIT, exclude_pad)
    check_op_against_openvino(op, [x], tmp_path)


@pytest.mark.parametrize("exclude_pad", [True, False])
@pytest.mark.parametrize("pads", [(1, 1), (0, 0)])
@pytest.mark.parametrize("rounding", [RoundingType.CEIL, RoundingType.CEIL_TORCH])
def test_avg_pool_window_past_the_end_pad(tmp_path, exclude_pad, pads, rounding):
    """8 wide, kernel 3, stride 2, pad 1, ceil: the last window runs one past the end pad. With pads and without
    exclude-pad OpenVINO divides by the whole kernel there; without pads, by the elements inside the input."""
    x = rng.standard_normal((1, 2, 8, 9)).astype(np.float32)
    op = ops.AvgPool((2, 2), pads, pads, (3, 3), rounding, AutoPad.EXPLICIT, exclude_pad)
    check_op_against_openvino(op, [x], tmp_path)


def test_adaptive_pools(tmp_path):
    x = rng.standard_normal((1, 2, 7, 9)).astype(np.float32)
    check_op_against_openvino(ops.AdaptiveAvgPool(), [x, np.array([3, 4], np.int64)], tmp_path,
                              constant=[False, True])
    # The CPU plugin takes AdaptiveMaxPool indices as i32 only.
    check_op_against_openvino(ops.AdaptiveMaxPool(ElementType.i32), [x, np.array([3, 4], np.int64)], tmp_path,
                              constant=[False, True])
