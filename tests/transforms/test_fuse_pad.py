"""Pad folded into Convolution / GroupConvolution / AvgPool pads: structure and values; the cases that must
not fold (MaxPool, exclude-pad AvgPool, non-zero value, padding the channels) keep their Pad."""
from __future__ import annotations

import numpy as np
import pytest

from onnx_builder import OnnxBuilder, check_pass_alone, convert_and_check, op_types

from irforge.transforms.fuse_pad import fuse_pad


def padded(b: OnnxBuilder, x: str, pads, value: float | None = None) -> str:
    inputs = [x, b.init(np.array(pads, np.int64))]
    if value is not None:
        inputs.append(b.scalar(value))
    return b.node("Pad", inputs)


@pytest.mark.parametrize("group", [1, 3])
def test_pad_into_convolution(tmp_path, group):
    b = OnnxBuilder()
    x = b.input("x", [1, 3, 7, 6])
    y = padded(b, x, [0, 0, 1, 2, 0, 0, 2, 1])
    y = b.node("Conv", [y, b.random(6, 3 // group, 3, 3)], group=group, pads=[1, 0, 0, 1], strides=[2, 1])
    graph = convert_and_check(b.model([y]), tmp_path)
    conv = {1: "Convolution", 3: "GroupConvolution"}[group]
    assert op_types(graph) == {conv: 1}
    node = next(n for n in graph.nodes if n.op.TYPE == conv)
    assert node.op.pads_begin == (2, 2) and node.op.pads_end == (2, 2)


def test_pad_into_average_pool_counting_pads(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [1, 2, 6, 6])
    y = b.node("AveragePool", [padded(b, x, [0, 0, 1, 1, 0, 0, 1, 1])], kernel_shape=[3, 3], count_include_pad=1)
    graph, counts = check_pass_alone(b.model([y]), tmp_path, [fuse_pad])
    assert counts == [1] and op_types(graph) == {"AvgPool": 1}


def test_pads_that_must_stay(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [1, 2, 6, 6])
    p = padded(b, x, [0, 0, 1, 1, 0, 0, 1, 1])
    outs = [b.node("MaxPool", [p], kernel_shape=[2, 2]),                       # MaxPool pads with -inf
            b.node("AveragePool", [p], kernel_shape=[3, 3]),                   # exclude-pad divisor
            b.node("Conv", [padded(b, x, [0, 0, 1, 1, 0, 0, 1, 1], 0.5), b.random(2, 2, 3, 3)]),   # value 0.5
            b.node("Conv", [padded(b, x, [0, 1, 0, 0, 0, 1, 0, 0]), b.random(2, 4, 1, 1)])]        # channels
    graph = convert_and_check(b.model(outs), tmp_path)
    assert op_types(graph)["Pad"] == 3
