"""Split -> N Convolutions -> Concat fused into one GroupConvolution (off with --disable_gfusing)."""
from __future__ import annotations

import numpy as np
import pytest

from onnx_builder import OnnxBuilder, check_pass_alone, convert_and_check, op_types

from irforge.transforms.fuse_grouped_convolutions import fuse_grouped_convolutions


def split_convs(groups: int = 3, bias: bool = True, bn_after: bool = False, odd: bool = False):
    b = OnnxBuilder()
    x = b.input("x", [1, 2 * groups, 6, 6])
    parts = b.node("Split", [x, b.init(np.full(groups, 2, np.int64))], outputs=groups, axis=1)
    convs = []
    for i, p in enumerate(parts):
        kernel = 1 if odd and i == 1 else 3
        inputs = [p, b.random(4, 2, kernel, kernel)] + ([b.random(4)] if bias else [])
        convs.append(b.node("Conv", inputs, pads=[kernel // 2] * 4, strides=[2, 2]))
    y = b.node("Concat", convs, axis=1)
    if bn_after:
        c = 4 * groups
        y = b.node("BatchNormalization", [y, b.random(c, low=0.5, high=1.5), b.random(c), b.random(c),
                                          b.random(c, low=0.5, high=1.5)])
    return b.model([b.node("Relu", [y])])


@pytest.mark.parametrize("bias", [True, False])
def test_split_convolutions_concat_is_one_group_convolution(tmp_path, bias):
    graph = convert_and_check(split_convs(bias=bias), tmp_path)
    expected = {"GroupConvolution": 1, "ReLU": 1} | ({"Add": 1} if bias else {})
    assert op_types(graph) == expected
    gconv = next(n for n in graph.nodes if n.op.TYPE == "GroupConvolution")
    assert gconv.inputs[1].shape.to_static() == (3, 4, 2, 3, 3)


def test_batchnorm_after_concat_folds_into_group_convolution(tmp_path):
    graph = convert_and_check(split_convs(bn_after=True), tmp_path)
    assert op_types(graph) == {"GroupConvolution": 1, "Add": 1, "ReLU": 1}


def test_gfusing_alone_and_disabled(tmp_path):
    graph, counts = check_pass_alone(split_convs(), tmp_path / "alone", [fuse_grouped_convolutions])
    assert counts == [1] and op_types(graph)["GroupConvolution"] == 1
    kept = convert_and_check(split_convs(), tmp_path / "off", disable_gfusing=True)
    assert op_types(kept)["Convolution"] == 3 and "GroupConvolution" not in op_types(kept)


def test_different_kernels_are_not_grouped(tmp_path):
    graph = convert_and_check(split_convs(odd=True), tmp_path)
    assert op_types(graph)["Convolution"] == 3
