"""Reshape -> Transpose -> Reshape channel shuffles fused into ShuffleChannels."""
from __future__ import annotations

import numpy as np

from onnx_builder import OnnxBuilder, check_pass_alone, convert_and_check, op_types

from irforge.transforms.fuse_shuffle_channels import fuse_shuffle_channels


def shuffle(b: OnnxBuilder, x: str, split, perm, back) -> str:
    y = b.node("Reshape", [x, b.init(np.array(split, np.int64))])
    y = b.node("Transpose", [y], perm=perm)
    return b.node("Reshape", [y, b.init(np.array(back, np.int64))])


def test_channel_shuffle_is_one_op(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [2, 12, 3, 3])
    y = shuffle(b, b.node("Relu", [x]), [2, 3, 4, 3, 3], [0, 2, 1, 3, 4], [2, -1, 3, 3])   # ShuffleNet v2 style
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"ReLU": 1, "ShuffleChannels": 1}
    node = next(n for n in graph.nodes if n.op.TYPE == "ShuffleChannels")
    assert (node.op.axis, node.op.group) == (1, 3)


def test_other_transposes_stay(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [2, 12, 3, 3])
    moved = shuffle(b, x, [2, 3, 4, 3, 3], [0, 2, 1, 4, 3], [2, 12, 3, 3])        # also swaps H and W
    flat = shuffle(b, x, [2, 3, 4, 3, 3], [0, 2, 1, 3, 4], [2, 12, 9])            # not back to x's shape
    graph, counts = check_pass_alone(b.model([moved, flat]), tmp_path, [fuse_shuffle_channels])
    assert counts == [0] and "ShuffleChannels" not in op_types(graph)
