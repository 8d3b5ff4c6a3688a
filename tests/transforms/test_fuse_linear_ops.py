"""Linear operations fusing: BatchNorm / Mul / Add / Sub / Div chains folded into Convolution, GroupConvolution,
ConvolutionBackpropData and MatMul weights (and collapsed elsewhere); each case checks the structure irforge
writes and the values (OpenVINO and the reference runtime against onnxruntime)."""
from __future__ import annotations

import numpy as np
import pytest

from onnx_builder import OnnxBuilder, check_pass_alone, convert_and_check, layer_norm, op_types

from irforge.transforms.fuse_linear_ops import fuse_linear_ops


def batchnorm(b: OnnxBuilder, x: str, c: int) -> str:
    return b.node("BatchNormalization", [x, b.random(c, low=0.5, high=1.5), b.random(c), b.random(c),
                                         b.random(c, low=0.5, high=2.0)], epsilon=1e-3)


def conv_bn_model(group: int = 1, transpose: bool = False, bias: bool = True):
    b = OnnxBuilder()
    x = b.input("x", [1, 4, 8, 8])
    if transpose:
        w = b.random(4, 6 // group, 3, 3)
        y = b.node("ConvTranspose", [x, w] + ([b.random(6)] if bias else []), group=group, strides=[2, 2],
                   pads=[1, 1, 1, 1])
    else:
        w = b.random(6, 4 // group, 3, 3)
        y = b.node("Conv", [x, w] + ([b.random(6)] if bias else []), group=group, pads=[1, 1, 1, 1],
                   name="conv")
    y = batchnorm(b, y, 6)
    return b.model([b.node("Relu", [y])])


@pytest.mark.parametrize("group,transpose", [(1, False), (2, False), (1, True), (2, True)])
def test_batchnorm_folds_into_convolution_weights(tmp_path, group, transpose):
    model = conv_bn_model(group, transpose)
    graph = convert_and_check(model, tmp_path)
    conv = {(1, False): "Convolution", (2, False): "GroupConvolution", (1, True): "ConvolutionBackpropData",
            (2, True): "GroupConvolutionBackpropData"}[(group, transpose)]
    assert op_types(graph) == {conv: 1, "Add": 1, "ReLU": 1}


def test_fusing_alone_and_disabled(tmp_path):
    model = conv_bn_model()
    graph, counts = check_pass_alone(model, tmp_path / "alone", [fuse_linear_ops])
    assert counts == [1] and op_types(graph) == {"Convolution": 1, "Add": 1, "ReLU": 1}
    kept = convert_and_check(model, tmp_path / "off", disable_fusing=True)
    assert op_types(kept) == {"Convolution": 1, "Add": 1, "BatchNormInference": 1, "ReLU": 1}


def test_finegrain_fusing_keeps_named_nodes(tmp_path):
    """The convolution named "conv" is exempt: its weights stay, the BatchNorm becomes a Multiply and an Add."""
    kept = convert_and_check(conv_bn_model(), tmp_path, finegrain_fusing=["^con"])
    assert op_types(kept) == {"Convolution": 1, "Add": 2, "Multiply": 1, "ReLU": 1}
    exempt = convert_and_check(conv_bn_model(), tmp_path / "bn", finegrain_fusing=["Batch"])
    assert op_types(exempt)["BatchNormInference"] == 1


def test_scale_shift_chain_after_convolution(tmp_path):
    """Conv(+bias) -> Mul -> Add -> Sub -> Div (per channel and scalar) is one Convolution and one Add."""
    b = OnnxBuilder()
    x = b.input("x", [1, 3, 6, 6])
    y = b.node("Conv", [x, b.random(5, 3, 1, 1), b.random(5)])
    y = b.node("Mul", [b.random(1, 5, 1, 1), y])            # constant first: operand order does not matter
    y = b.node("Add", [y, b.random(5, 1, 1)])
    y = b.node("Sub", [y, b.scalar(0.25)])
    y = b.node("Div", [y, b.random(1, 5, 1, 1, low=1.0, high=2.0)])
    graph = convert_and_check(b.model([b.node("Sigmoid", [y])]), tmp_path)
    assert op_types(graph) == {"Convolution": 1, "Add": 1, "Sigmoid": 1}


def test_fully_connected_scale(tmp_path):
    """Gemm (transB) and MatMul with constant weights take a per-column Mul / scalar Div."""
    b = OnnxBuilder()
    x = b.input("x", [2, 8])
    y = b.node("Gemm", [x, b.random(5, 8), b.random(5)], transB=1)
    y = b.node("Mul", [y, b.random(5)])
    y = b.node("MatMul", [y, b.random(5, 3)])
    y = b.node("Div", [y, b.scalar(3.0)])
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"MatMul": 2, "Add": 1}


def test_scale_before_convolution_fuses_forward(tmp_path):
    """x * s -> padded Conv: s moves into the input channels of the weights (padding stays zero)."""
    b = OnnxBuilder()
    x = b.input("x", [1, 3, 7, 7])
    y = b.node("Mul", [x, b.random(1, 3, 1, 1)])
    y = b.node("Conv", [y, b.random(4, 3, 3, 3)], pads=[1, 1, 1, 1], strides=[2, 2])
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"Convolution": 1}


def test_add_before_padded_convolution_is_not_fused_forward(tmp_path):
    b = OnnxBuilder()
    x = b.input("x", [1, 3, 7, 7])
    y = b.node("Add", [x, b.random(1, 3, 1, 1)])
    y = b.node("Conv", [y, b.random(4, 3, 3, 3)], pads=[1, 1, 1, 1])
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"Add": 1, "Convolution": 1}


@pytest.mark.parametrize("group", [1, 3])
def test_scale_shift_before_unpadded_convolution_fuses_forward(tmp_path, group):
    """BatchNorm -> 1x1 (grouped) Conv with a bias: the BatchNorm's shift becomes part of the conv's bias Add."""
    b = OnnxBuilder()
    x = b.input("x", [1, 6, 5, 5])
    y = batchnorm(b, b.node("Relu", [x]), 6)
    y = b.node("Conv", [y, b.random(9, 6 // group, 2, 2), b.random(9)], group=group, strides=[2, 2])
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"ReLU": 1, "GroupConvolution" if group > 1 else "Convolution": 1, "Add": 1}


def test_layer_norm_affine_tail_fuses_into_the_next_linear(tmp_path):
    """LayerNorm's * gamma + beta before Linear layers (transformer / ConvNeXt blocks): both move into the MatMul
    weights and bias of every consumer."""
    b = OnnxBuilder(opset=13)
    x = b.input("x", [2, 3, 8])
    y = layer_norm(b, x, [-1], width=8)
    first = b.node("Add", [b.node("MatMul", [y, b.random(8, 5)]), b.random(5)])
    second = b.node("MatMul", [y, b.random(8, 2)])
    graph = convert_and_check(b.model([first, second]), tmp_path)
    assert op_types(graph) == {"MVN": 1, "MatMul": 2, "Add": 2}


def test_chain_without_convolution_collapses(tmp_path):
    """BatchNorm -> Mul -> Add on an input (nothing to fold into) is one Multiply and one Add; a lone BatchNorm
    becomes a Multiply and an Add too (two constants instead of four)."""
    b = OnnxBuilder()
    x = b.input("x", [1, 4, 5, 5])
    y = batchnorm(b, x, 4)
    y = b.node("Mul", [y, b.random(4, 1, 1)])
    y = b.node("Add", [y, b.random(4, 1, 1)])
    z = batchnorm(b, b.node("Relu", [y]), 4)
    graph = convert_and_check(b.model([z]), tmp_path)
    assert op_types(graph) == {"Multiply": 2, "Add": 2, "ReLU": 1}


def test_chain_before_a_rounding_op_stays_op_for_op(tmp_path):
    """(x - 0.3) * 7 + 0.5 -> Floor: reassociated as x * 7 + b, inputs on a rounding edge could floor a step away
    (the exact formula matters there, as in TensorFlow's fake quantization), so the chain stays as written and
    the reference runtime floors the edges as onnxruntime does."""
    import irforge
    from oracles import assert_close, run_onnxruntime, run_reference
    b = OnnxBuilder()
    x = b.input("x", [2, 8])
    y = b.node("Sub", [x, b.init(np.float32(0.3))])
    y = b.node("Add", [b.node("Mul", [y, b.init(np.float32(7.0))]), b.init(np.float32(0.5))])
    model = b.model([b.node("Floor", [y])])
    graph = convert_and_check(model, tmp_path)
    assert op_types(graph) == {"Subtract": 1, "Multiply": 1, "Add": 1, "Floor": 1}
    edges = [((np.arange(16, dtype=np.float32) - np.float32(0.5)) / np.float32(7.0)
              + np.float32(0.3)).reshape(2, 8)]
    xml, _ = irforge.save_model(graph, tmp_path / "edges" / "model.xml")
    assert_close(run_reference(xml, edges)[0], run_onnxruntime(model, edges)[0], 0, 0, "reference at the edges")


def test_spatial_scale_is_not_folded_into_weights(tmp_path):
    """A Mul that varies over H, W is not per channel: it stays."""
    b = OnnxBuilder()
    x = b.input("x", [1, 3, 4, 4])
    y = b.node("Conv", [x, b.random(2, 3, 1, 1)])
    y = b.node("Mul", [y, b.random(1, 1, 4, 4)])
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"Convolution": 1, "Multiply": 1}


def test_shared_convolution_output_is_not_refolded(tmp_path):
    """The conv output also feeds another op: scaling its weights would change that op's input."""
    b = OnnxBuilder()
    x = b.input("x", [1, 3, 4, 4])
    y = b.node("Conv", [x, b.random(2, 3, 1, 1)])
    z = b.node("Mul", [y, b.random(1, 2, 1, 1)])
    graph = convert_and_check(b.model([b.node("Add", [y, z])]), tmp_path)
    assert op_types(graph) == {"Convolution": 1, "Multiply": 1, "Add": 1}
