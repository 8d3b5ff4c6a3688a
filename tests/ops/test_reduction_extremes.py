"""ReduceMax / ReduceMin at the edges (infinities, empty sets) against the real OpenVINO runtime."""
import numpy as np

from irforge import ops
from oracles import check_op_against_openvino


def test_reduce_max_min_of_infinities_and_empty_sets(tmp_path):
    """The runtime starts max / min from the lowest / highest finite value: all -inf gives -3.4e38, not -inf
    (irforge's evaluate does the same; the ONNX translator makes empty sets -inf / +inf itself)."""
    x = np.full((2, 3), -np.inf, np.float32)
    x[1, 0] = 1.0
    check_op_against_openvino(ops.ReduceMax(keep_dims=False), [x, np.array([1])], tmp_path, constant=[False, True])
    check_op_against_openvino(ops.ReduceMin(keep_dims=False), [-x, np.array([1])], tmp_path, constant=[False, True])
    check_op_against_openvino(ops.ReduceMax(keep_dims=True), [np.zeros((2, 0, 3), np.float32), np.array([1])],
                              tmp_path, constant=[False, True])
