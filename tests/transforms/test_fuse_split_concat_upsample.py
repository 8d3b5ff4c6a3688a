"""Split + Concat nearest upsampling fused into one Interpolate (needs the Interpolate op in the opset)."""
from __future__ import annotations

import numpy as np
import pytest

from onnx_builder import OnnxBuilder, check_pass_alone, convert_and_check, op_types

from irforge import ops
from irforge.transforms.fuse_split_concat_upsample import fuse_split_concat_upsample

pytestmark = pytest.mark.skipif(not hasattr(ops, "Interpolate11"), reason="the Interpolate op is not in the opset")


def upsample(b: OnnxBuilder, x: str, axis: int, n: int, k: int) -> str:
    parts = b.node("Split", [x, b.init(np.ones(n, np.int64))], outputs=n, axis=axis)
    return b.node("Concat", [p for p in parts for _ in range(k)], axis=axis)


def test_two_axes_become_one_interpolate(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [1, 2, 3, 4])
    y = upsample(b, upsample(b, b.node("Relu", [x]), 2, 3, 2), 3, 4, 3)
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"ReLU": 1, "Interpolate": 1}


def test_other_orders_are_not_upsampling(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [1, 2, 3, 4])
    parts = b.node("Split", [x, b.init(np.ones(3, np.int64))], outputs=3, axis=2)
    y = b.node("Concat", [parts[0], parts[1], parts[0], parts[1], parts[2], parts[2]], axis=2)
    graph, counts = check_pass_alone(b.model([y]), tmp_path, [fuse_split_concat_upsample])
    assert counts == [0] and "Interpolate" not in op_types(graph)
