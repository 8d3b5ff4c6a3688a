"""MVN (LayerNorm / InstanceNorm bodies) and SoftMax patterns: structure and values."""
from __future__ import annotations

import pytest

from onnx_builder import OnnxBuilder, check_pass_alone, convert_and_check, layer_norm, op_types

from irforge.transforms.fuse_normalizations import fuse_normalizations


@pytest.mark.parametrize("square,eps_inside", [("pow", True), ("mul", False)])
def test_layer_norm_becomes_mvn(tmp_path, square, eps_inside):
    b = OnnxBuilder(opset=13)
    x = b.input("x", [2, 4, 6])
    graph = convert_and_check(b.model([layer_norm(b, x, [-1], square, eps_inside)]), tmp_path)
    assert op_types(graph) == {"MVN": 1, "Multiply": 1, "Add": 1}
    mvn = next(n for n in graph.nodes if n.op.TYPE == "MVN")
    assert mvn.op.eps_mode == ("inside_sqrt" if eps_inside else "outside_sqrt")
    assert mvn.inputs[1].value.tolist() == [2]


def test_instance_norm_body_over_spatial_axes(tmp_path):
    b = OnnxBuilder(opset=13)
    x = b.input("x", [1, 3, 4, 5])
    mean = b.node("ReduceMean", [x], axes=[2, 3], keepdims=1)
    centered = b.node("Sub", [x, mean])
    var = b.node("ReduceMean", [b.node("Mul", [centered, centered])], axes=[3, 2], keepdims=1)
    y = b.node("Div", [centered, b.node("Sqrt", [b.node("Add", [b.scalar(1e-3), var])])])
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"MVN": 1}


def test_different_axes_are_not_mvn(tmp_path):
    b = OnnxBuilder(opset=13)
    x = b.input("x", [1, 3, 4, 5])
    mean = b.node("ReduceMean", [x], axes=[3], keepdims=1)
    centered = b.node("Sub", [x, mean])
    var = b.node("ReduceMean", [b.node("Mul", [centered, centered])], axes=[2, 3], keepdims=1)
    y = b.node("Div", [centered, b.node("Sqrt", [b.node("Add", [var, b.scalar(1e-3)])])])
    graph = convert_and_check(b.model([y]), tmp_path)
    assert "MVN" not in op_types(graph)


@pytest.mark.parametrize("stable", [True, False])
def test_softmax_pattern(tmp_path, stable):
    b = OnnxBuilder(opset=13)
    x = b.input("x", [2, 3, 7])
    shifted = b.node("Sub", [x, b.node("ReduceMax", [x], axes=[1], keepdims=1)]) if stable else x
    e = b.node("Exp", [shifted])
    y = b.node("Div", [e, b.node("ReduceSum", [e, b.init([1] if stable else [-2], None)], keepdims=1)])
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"SoftMax": 1}
    assert next(n for n in graph.nodes if n.op.TYPE == "SoftMax").op.axis == 1


def test_normalization_fusion_alone(tmp_path):
    b = OnnxBuilder(opset=13)
    x = b.input("x", [2, 4, 6])
    graph, counts = check_pass_alone(b.model([layer_norm(b, x, [2])]), tmp_path, [fuse_normalizations])
    assert counts == [1] and op_types(graph)["MVN"] == 1
