"""Ops that do nothing are removed: x + 0, x - 0, x * 1, x / 1, zero Pad; but not when the constant broadcasts
x to a bigger shape."""
from __future__ import annotations

import numpy as np

from onnx_builder import OnnxBuilder, check_pass_alone, op_types

from irforge.transforms.eliminate_identities import eliminate_identities


def test_neutral_arithmetic_and_zero_pad(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [1, 3, 4, 4])
    y = b.node("Relu", [x])
    y = b.node("Add", [b.init(np.zeros((1, 3, 1, 1), np.float32)), y])
    y = b.node("Sub", [y, b.scalar(0.0)])
    y = b.node("Mul", [y, b.init(np.ones(4, np.float32))])
    y = b.node("Div", [y, b.scalar(1.0)])
    y = b.node("Pad", [y, b.init(np.zeros(8, np.int64))])
    graph, counts = check_pass_alone(b.model([b.node("Sigmoid", [y])]), tmp_path, [eliminate_identities])
    assert counts == [5] and op_types(graph) == {"ReLU": 1, "Sigmoid": 1}


def test_broadcasting_or_non_neutral_stays(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [3, 1])
    grown = b.node("Add", [x, b.init(np.zeros((1, 4), np.float32))])   # [3, 1] -> [3, 4]
    minus = b.node("Sub", [b.scalar(0.0), x])                           # 0 - x is -x
    graph, counts = check_pass_alone(b.model([grown, minus]), tmp_path, [eliminate_identities])
    assert counts == [0] and op_types(graph) == {"Add": 1, "Subtract": 1}
