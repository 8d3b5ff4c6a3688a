"""Constant MatMul weights stored [K, N] become [N, K] with transpose_b (the FullyConnected layout)."""
from __future__ import annotations

from onnx_builder import OnnxBuilder, check_pass_alone, convert_and_check, op_types

from irforge.transforms.transpose_matmul_weights import transpose_matmul_weights


def matmuls(graph):
    return sorted((n.op.transpose_b, n.inputs[1].shape.to_static()) for n in graph.nodes if n.op.TYPE == "MatMul")


def test_linear_on_3d_input(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [2, 3, 8])
    y = b.node("Add", [b.node("MatMul", [x, b.random(8, 5)]), b.random(5)])
    z = b.node("MatMul", [x, b.node("Transpose", [x], perm=[0, 2, 1])])          # not constant: stays
    graph, counts = check_pass_alone(b.model([y, z]), tmp_path, [transpose_matmul_weights])
    assert counts == [1]
    assert (True, (5, 8)) in matmuls(graph)


def test_gemm_keeps_its_layout(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [2, 8])
    y = b.node("Gemm", [x, b.random(5, 8)], transB=1)
    graph = convert_and_check(b.model([y]), tmp_path)
    assert matmuls(graph) == [(True, (5, 8))] and op_types(graph) == {"MatMul": 1}
