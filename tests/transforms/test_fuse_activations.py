"""Activation patterns fused into one op (GELU erf/tanh, Swish, HSwish, HSigmoid, Mish, SoftPlus): structure
and values (OpenVINO and the reference runtime against onnxruntime), with operands in either order."""
from __future__ import annotations

import math

import pytest

from onnx_builder import OnnxBuilder, check_pass_alone, convert_and_check, op_types

from irforge.transforms.fuse_activations import fuse_activations


def _input(b: OnnxBuilder):
    return b.input("x", [2, 3, 5])


def gelu_erf(b, x, variant):
    if variant == 0:   # torch: x * 0.5 * (1 + erf(x / sqrt2)) as ((x * (1 + erf)) * 0.5)
        erf = b.node("Erf", [b.node("Div", [x, b.scalar(math.sqrt(2))])])
        return b.node("Mul", [b.node("Mul", [x, b.node("Add", [erf, b.scalar(1.0)])]), b.scalar(0.5)])
    if variant == 1:   # (0.5 * x) * (1 + erf(x * 1/sqrt2)), constants first
        erf = b.node("Erf", [b.node("Mul", [b.scalar(1 / math.sqrt(2)), x])])
        return b.node("Mul", [b.node("Mul", [b.scalar(0.5), x]), b.node("Add", [b.scalar(1.0), erf])])
    erf = b.node("Erf", [b.node("Div", [x, b.scalar(math.sqrt(2))])])   # x * ((1 + erf) * 0.5)
    return b.node("Mul", [x, b.node("Mul", [b.node("Add", [erf, b.scalar(1.0)]), b.scalar(0.5)])])


@pytest.mark.parametrize("variant", [0, 1, 2])
def test_gelu_erf(tmp_path, variant):
    b = OnnxBuilder()
    y = gelu_erf(b, _input(b), variant)
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"Gelu": 1}
    gelu = next(n for n in graph.nodes if n.op.TYPE == "Gelu")
    assert gelu.op.approximation_mode == "ERF"


def test_gelu_tanh(tmp_path):
    b = OnnxBuilder()
    x = _input(b)
    cube = b.node("Pow", [x, b.scalar(3.0)])
    inner = b.node("Mul", [b.node("Add", [x, b.node("Mul", [cube, b.scalar(0.044715)])]),
                           b.scalar(math.sqrt(2 / math.pi))])
    one_plus = b.node("Add", [b.node("Tanh", [inner]), b.scalar(1.0)])
    y = b.node("Mul", [b.node("Mul", [x, b.scalar(0.5)]), one_plus])
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"Gelu": 1}
    assert next(n for n in graph.nodes if n.op.TYPE == "Gelu").op.approximation_mode == "TANH"


def test_gelu_with_other_constant_is_not_fused(tmp_path):
    b = OnnxBuilder()
    x = _input(b)
    erf = b.node("Erf", [b.node("Div", [x, b.scalar(1.3)])])
    y = b.node("Mul", [b.node("Mul", [x, b.node("Add", [erf, b.scalar(1.0)])]), b.scalar(0.5)])
    graph = convert_and_check(b.model([y]), tmp_path)
    assert "Gelu" not in op_types(graph)


def test_swish(tmp_path):
    b = OnnxBuilder()
    x = _input(b)
    y = b.node("Mul", [b.node("Sigmoid", [x]), x])
    z = b.node("Mul", [x, b.node("Sigmoid", [b.node("Mul", [b.scalar(1.7), x])])])
    graph = convert_and_check(b.model([y, z]), tmp_path)
    assert op_types(graph) == {"Swish": 2}


def test_sigmoid_gate_of_another_tensor_is_not_swish(tmp_path):
    b = OnnxBuilder()
    x = _input(b)
    y = b.node("Mul", [x, b.node("Sigmoid", [b.node("Relu", [x])])])
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"Multiply": 1, "Sigmoid": 1, "ReLU": 1}


@pytest.mark.parametrize("form", ["clip", "relu_min"])
def test_hswish_and_hsigmoid(tmp_path, form):
    b = OnnxBuilder()
    x = _input(b)

    def relu6_plus3(v):
        shifted = b.node("Add", [b.scalar(3.0), v])
        if form == "clip":
            return b.node("Clip", [shifted, b.scalar(0.0), b.scalar(6.0)])
        return b.node("Min", [b.node("Relu", [shifted]), b.scalar(6.0)])
    hswish = b.node("Div", [b.node("Mul", [x, relu6_plus3(x)]), b.scalar(6.0)])
    hsigmoid = b.node("Mul", [relu6_plus3(b.node("Neg", [x])), b.scalar(1 / 6)])
    graph = convert_and_check(b.model([hswish, hsigmoid]), tmp_path)
    assert op_types(graph) == {"HSwish": 1, "HSigmoid": 1, "Negative": 1}


def test_mish_and_softplus(tmp_path):
    b = OnnxBuilder()
    x = _input(b)
    softplus = b.node("Log", [b.node("Add", [b.node("Exp", [x]), b.scalar(1.0)])])
    mish = b.node("Mul", [x, b.node("Tanh", [softplus])])
    alone = b.node("Log", [b.node("Add", [b.scalar(1.0), b.node("Exp", [b.node("Neg", [x])])])])
    graph = convert_and_check(b.model([mish, alone]), tmp_path)
    assert op_types(graph) == {"Mish": 1, "SoftPlus": 1, "Negative": 1}


def test_activation_fusion_alone(tmp_path):
    b = OnnxBuilder()
    x = _input(b)
    y = gelu_erf(b, b.node("Mul", [b.node("Sigmoid", [x]), x]), 0)
    graph, counts = check_pass_alone(b.model([y]), tmp_path, [fuse_activations])
    assert counts == [2] and op_types(graph) == {"Swish": 1, "Gelu": 1}
