"""Constant folding (through each op's own numpy evaluation), dead-node elimination and identical constants stored
once, on ONNX models: the structure irforge writes, and the values (OpenVINO and the reference runtime against
onnxruntime)."""
from __future__ import annotations

import numpy as np

from onnx_builder import OnnxBuilder, check_pass_alone, convert_and_check, op_types

from irforge.transforms.fold_constants import fold_constants
from irforge.transforms.remove_dead_nodes import remove_dead_nodes


def shape_arithmetic_model():
    """x [2, 3, 4] -> Reshape to [2, 12] through Shape -> Gather -> Mul -> Concat, and a weight computed from
    constants (Transpose(W) * 2 + 1) for a MatMul: everything but the MatMul and a Relu is known at conversion."""
    b = OnnxBuilder()
    x = b.input("x", [2, 3, 4])
    shape = b.node("Shape", [x])
    batch = b.node("Gather", [shape, b.init(np.array([0], np.int64))], axis=0)
    rest = b.node("Mul", [b.node("Gather", [shape, b.init(np.array([1], np.int64))], axis=0),
                          b.node("Gather", [shape, b.init(np.array([2], np.int64))], axis=0)])
    flat = b.node("Reshape", [x, b.node("Concat", [batch, rest], axis=0)])
    w = b.node("Add", [b.node("Mul", [b.node("Transpose", [b.random(5, 12)], perm=[1, 0]), b.scalar(2.0)]),
                       b.scalar(1.0)])
    return b.model([b.node("Relu", [b.node("MatMul", [flat, w])])])


def test_shape_and_weight_computations_fold(tmp_path):
    graph, counts = check_pass_alone(shape_arithmetic_model(), tmp_path, [fold_constants])
    assert op_types(graph) == {"Reshape": 1, "MatMul": 1, "ReLU": 1}


def test_keep_shape_ops_keeps_the_shape_computation(tmp_path):
    """--keep_shape_ops: the Reshape target stays computed from ShapeOf, so the IR stays reshape-able; the weight
    chain still folds."""
    graph = convert_and_check(shape_arithmetic_model(), tmp_path, keep_shape_ops=True)
    types = op_types(graph)
    assert types["ShapeOf"] == 1 and types["MatMul"] == 1 and "Transpose" not in types


def test_dead_nodes_are_removed(tmp_path):
    """A branch that feeds no output (a Sigmoid of the input, a Tanh of a constant) is not in the IR."""
    b = OnnxBuilder()
    x = b.input("x", [1, 6])
    b.node("Sigmoid", [x])
    b.node("Tanh", [b.random(6)])
    graph, counts = check_pass_alone(b.model([b.node("Relu", [x])]), tmp_path, [remove_dead_nodes])
    assert counts[0] >= 2 and op_types(graph) == {"ReLU": 1}


def test_identical_constants_are_stored_once(tmp_path):
    """Two initializers with the same bytes (a weight repeated by an exporter) take one place in the .bin."""
    import irforge
    b = OnnxBuilder()
    x = b.input("x", [1, 256])
    w = (np.random.default_rng(5).standard_normal((256, 256)) / 16).astype(np.float32)
    y = b.node("MatMul", [b.node("Relu", [b.node("MatMul", [x, b.init(w)])]), b.init(w.copy())])
    graph = convert_and_check(b.model([y]), tmp_path / "check")
    _, bin_path = irforge.save_model(graph, tmp_path / "ir" / "model.xml")
    assert w.nbytes <= bin_path.stat().st_size < 2 * w.nbytes



def test_big_weight_transpose_is_deferred_to_the_writer(tmp_path):
    """A 2 MB weight transposed before its MatMul (as TensorFlow kernels are into the IR layout) folds into a
    DeferredValue: computed when the IR is written, one weight at a time; the IR holds the transposed values."""
    from irforge.core.graph import Constant
    from irforge.core.tensor import DeferredValue
    b = OnnxBuilder()
    x = b.input("x", [2, 1024])
    w = b.node("Transpose", [b.random(512, 1024, low=-0.1, high=0.1)], perm=[1, 0])
    model = b.model([b.node("MatMul", [x, w])])
    graph, _ = check_pass_alone(model, tmp_path, [fold_constants], atol=1e-4)   # sums of 1024 products
    weights = [n.op for n in graph.nodes if isinstance(n.op, Constant) and n.outputs[0].uses]
    assert op_types(graph) == {"MatMul": 1}
    assert [type(c.data) for c in weights] == [DeferredValue] and weights[0].shape == (1024, 512)
