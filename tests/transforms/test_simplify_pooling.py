"""ceil / ceil_torch pooling rounding becomes floor (or ceil) where the window count is the same."""
from __future__ import annotations

import numpy as np

from onnx_builder import OnnxBuilder, check_pass_alone, convert_and_check, op_types

from irforge.ops import RoundingType
from irforge.transforms.simplify_pooling import simplify_pooling


def roundings(graph):
    return sorted(n.op.rounding_type.value for n in graph.nodes if n.op.TYPE in ("MaxPool", "AvgPool"))


def test_ceil_mode_pools(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [1, 2, 7, 7])
    # ONNX ceil_mode is PyTorch's rule (ceil_torch): count the windows each rounding gives on 7 (+ pads)
    same = b.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)           # 3 = floor
    more = b.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)           # 4 = ceil, not floor
    dropped = b.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)  # 4 = floor
    avg = b.node("AveragePool", [x], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1, count_include_pad=1)
    graph, counts = check_pass_alone(b.model([same, more, dropped, avg]), tmp_path, [simplify_pooling])
    assert counts == [4]
    assert roundings(graph) == ["ceil", "floor", "floor", "floor"]


def test_ceil_avg_pool_then_takes_its_pad(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [1, 2, 6, 6])
    p = b.node("Pad", [x, b.init(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))])
    y = b.node("AveragePool", [p], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1, count_include_pad=1)
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"AvgPool": 1}
    assert roundings(graph) == [RoundingType.FLOOR.value]
