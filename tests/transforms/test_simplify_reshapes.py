"""Unit-axis Transposes become Reshapes and Reshape / Squeeze / Unsqueeze chains become one Reshape."""
from __future__ import annotations

import numpy as np

from onnx_builder import OnnxBuilder, check_pass_alone, convert_and_check, op_types

from irforge.transforms.simplify_reshapes import simplify_reshapes


def test_layernorm2d_head(tmp_path):
    """ConvNeXt's head: mean over H, W -> permute to channels-last -> LayerNorm -> permute back -> flatten."""
    b = OnnxBuilder(opset=17)
    x = b.input("x", [1, 8, 3, 3])
    y = b.node("ReduceMean", [x], axes=[2, 3], keepdims=1)
    y = b.node("Transpose", [y], perm=[0, 2, 3, 1])
    y = b.node("LayerNormalization", [y, b.random(8), b.random(8)], axis=-1)
    y = b.node("Transpose", [y], perm=[0, 3, 1, 2])
    y = b.node("Flatten", [y], axis=1)
    y = b.node("Gemm", [y, b.random(4, 8)], transB=1)
    graph = convert_and_check(b.model([y]), tmp_path)
    assert op_types(graph) == {"ReduceMean": 1, "Reshape": 2, "MVN": 1, "MatMul": 1, "Multiply": 1, "Add": 1}


def test_reshape_chain_and_real_transposes(tmp_path):
    b = OnnxBuilder(opset=13)
    x = b.input("x", [2, 3, 4])
    chain = b.node("Reshape", [b.node("Unsqueeze", [b.node("Relu", [x]), b.init(np.array([0], np.int64))]),
                               b.init(np.array([6, 4], np.int64))])
    real = b.node("Transpose", [x], perm=[0, 2, 1])                  # moves non-unit axes: stays
    back = b.node("Squeeze", [b.node("Unsqueeze", [x, b.init(np.array([1], np.int64))]),
                              b.init(np.array([1], np.int64))])      # back to x's shape: gone
    graph, counts = check_pass_alone(b.model([chain, real, b.node("Neg", [back])]), tmp_path, [simplify_reshapes])
    assert counts == [2]
    from irforge.transforms.eliminate_identities import eliminate_identities
    eliminate_identities(graph)
    assert op_types(graph) == {"ReLU": 1, "Reshape": 1, "Transpose": 1, "Negative": 1}
