"""Identical constants stored as one node, and identical ops on the same inputs computed once."""
from __future__ import annotations

import numpy as np

from onnx_builder import OnnxBuilder, check_pass_alone, convert_and_check, op_types

from irforge.core.graph import Constant
from irforge.transforms.merge_duplicates import merge_duplicates


def twins_model():
    b = OnnxBuilder()
    x = b.input("x", [1, 2, 5, 5])
    w = np.random.default_rng(0).standard_normal((3, 2, 3, 3)).astype(np.float32)
    left = b.node("Conv", [b.node("Relu", [x]), b.init(w)])
    right = b.node("Conv", [b.node("Relu", [x]), b.init(w.copy())])    # same bytes, another initializer
    y = b.node("Add", [b.node("Mul", [left, b.scalar(2.0)]), b.node("Mul", [right, b.scalar(2.0)])])
    return b.model([y])


def test_twins_become_one(tmp_path):
    graph, counts = check_pass_alone(twins_model(), tmp_path, [merge_duplicates])
    assert counts == [4]         # the weights, then ReLU, Convolution and Multiply (whose scalars are equal)
    assert op_types(graph) == {"ReLU": 1, "Convolution": 1, "Multiply": 1, "Add": 1}
    assert sum(isinstance(n.op, Constant) for n in graph.topological()) == 2


def test_elementwise_constants_keep_one_node_per_reader(tmp_path):
    """Equal biases of two convolutions stay two Const nodes: the CPU plugin fuses a bias Add into its
    convolution only when nothing else reads the bias constant."""
    b = OnnxBuilder()
    x = b.input("x", [1, 2, 5, 5])
    bias = np.random.default_rng(1).standard_normal((1, 3, 1, 1)).astype(np.float32)
    ys = [b.node("Add", [b.node("Conv", [x, b.random(3, 2, 1, 1)]), b.init(bias.copy())]) for _ in range(2)]
    graph, counts = check_pass_alone(b.model(ys), tmp_path, [merge_duplicates])
    assert counts == [0]
    adds = [n for n in graph.topological() if n.op.TYPE == "Add"]
    assert len({id(n.inputs[1].node) for n in adds}) == 2


def test_in_the_pipeline(tmp_path):
    graph = convert_and_check(twins_model(), tmp_path)
    assert op_types(graph) == {"ReLU": 1, "Convolution": 1, "Add": 1}   # the * 2 folded into the weights


def test_different_values_stay_apart(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [2, 3])
    y = b.node("Add", [b.node("Mul", [x, b.scalar(2.0)]), b.node("Mul", [x, b.scalar(3.0)])])
    graph, counts = check_pass_alone(b.model([y]), tmp_path, [merge_duplicates])
    assert counts == [0] and op_types(graph) == {"Multiply": 2, "Add": 1}
