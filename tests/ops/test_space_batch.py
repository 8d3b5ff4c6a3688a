"""SpaceToBatch / BatchToSpace against the real OpenVINO runtime (NCHW, NHWC-style blocks, 3-D, crops)."""
import numpy as np
import pytest

from irforge import ops
from oracles import check_op_against_openvino

rng = np.random.default_rng(5)


def i64(v):
    return np.asarray(v, np.int64)


@pytest.mark.parametrize("shape,block,begin,end", [
    ((2, 3, 4, 6), [1, 1, 2, 3], [0, 0, 0, 0], [0, 0, 0, 0]),
    ((1, 5, 5, 2), [1, 2, 2, 1], [0, 1, 0, 0], [0, 0, 1, 0]),     # NHWC blocks, as TensorFlow uses them
    ((2, 3, 7), [1, 1, 4], [0, 0, 1], [0, 0, 0]),
    ((1, 2, 3, 4, 2), [1, 1, 3, 2, 2], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]),
])
def test_space_to_batch(tmp_path, shape, block, begin, end):
    x = rng.standard_normal(shape).astype(np.float32)
    check_op_against_openvino(ops.SpaceToBatch(), [x, i64(block), i64(begin), i64(end)], tmp_path,
                              constant=[False, True, True, True])


@pytest.mark.parametrize("shape,block,begin,end", [
    ((12, 3, 2, 2), [1, 1, 2, 3], [0, 0, 0, 0], [0, 0, 0, 0]),
    ((8, 3, 3, 2), [1, 2, 2, 1], [0, 1, 0, 0], [0, 0, 2, 0]),
    ((8, 3, 2), [1, 1, 4], [0, 0, 1], [0, 0, 2]),
])
def test_batch_to_space(tmp_path, shape, block, begin, end):
    x = rng.standard_normal(shape).astype(np.float32)
    check_op_against_openvino(ops.BatchToSpace(), [x, i64(block), i64(begin), i64(end)], tmp_path,
                              constant=[False, True, True, True])


def test_round_trip():
    x = rng.standard_normal((2, 6, 4, 3)).astype(np.float32)
    block, pads = i64([1, 2, 2, 1]), i64([0, 0, 0, 0])
    (y,) = ops.SpaceToBatch().evaluate(x, block, pads, pads)
    (z,) = ops.BatchToSpace().evaluate(y, block, pads, pads)
    np.testing.assert_array_equal(z, x)
