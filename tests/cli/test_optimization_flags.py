"""The legacy optimization flags through the `mo` command: each changes the IR's structure as the legacy tool's
did, and every variant gives onnxruntime's answers in OpenVINO and the reference runtime. (The passes themselves
are tested in tests/transforms.)"""
from __future__ import annotations

import collections

import numpy as np
import pytest
from onnx import helper

import irforge
from oracles import run_onnxruntime
from tiny_models import F, _init, _model, _rng, check_ir, mo, save


def split_convs_bn():
    """x -> Split (2) -> conv_a, conv_b -> Concat -> BatchNormalization 'bn' -> y: grouped-conv fusing makes one
    GroupConvolution, linear fusing folds the BatchNorm into its weights."""
    r = _rng(7)
    nodes = [helper.make_node("Split", ["x"], ["xa", "xb"], name="split", axis=1),
             helper.make_node("Conv", ["xa", "Wa", "Ba"], ["ya"], name="conv_a", pads=[1, 1, 1, 1]),
             helper.make_node("Conv", ["xb", "Wb", "Bb"], ["yb"], name="conv_b", pads=[1, 1, 1, 1]),
             helper.make_node("Concat", ["ya", "yb"], ["c"], name="concat", axis=1),
             helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["y"], name="bn", epsilon=1e-3)]
    inits = [_init("Wa", r.standard_normal((3, 2, 3, 3)).astype(np.float32)),
             _init("Wb", r.standard_normal((3, 2, 3, 3)).astype(np.float32)),
             _init("Ba", r.standard_normal(3).astype(np.float32)), _init("Bb", r.standard_normal(3).astype(np.float32)),
             _init("g", r.uniform(0.5, 1.5, 6).astype(np.float32)), _init("b", r.standard_normal(6).astype(np.float32)),
             _init("m", r.standard_normal(6).astype(np.float32)), _init("v", r.uniform(0.5, 2, 6).astype(np.float32))]
    return _model(nodes, [helper.make_tensor_value_info("x", F, [1, 4, 6, 6])],
                  [helper.make_tensor_value_info("y", F, None)], inits)


@pytest.mark.parametrize("args,expected", [
    ([], {"GroupConvolution": 1, "Add": 1}),
    (["--disable_fusing"], {"GroupConvolution": 1, "Add": 1, "BatchNormInference": 1}),
    # the BatchNorm after the Concat has no one convolution to fold into: a Multiply and an Add
    (["--disable_gfusing"], {"Split": 1, "Convolution": 2, "Add": 3, "Concat": 1, "Multiply": 1}),
    (["--disable_fusing", "--disable_gfusing"],
     {"Split": 1, "Convolution": 2, "Add": 2, "Concat": 1, "BatchNormInference": 1}),
    (["--finegrain_fusing", "conv_a,bn"],
     {"Split": 1, "Convolution": 2, "Add": 2, "Concat": 1, "BatchNormInference": 1}),
])
def test_fusing_flags(tmp_path, args, expected):
    model = save(split_convs_bn(), tmp_path)
    run = mo(model, tmp_path / "ir", *args, "--disable_resnet_optimization")
    assert run.code == 0, run.err
    graph = irforge.read_model(run.xml)
    types = collections.Counter(n.op.TYPE for n in graph.nodes
                                if n.op.TYPE not in ("Parameter", "Result", "Const"))
    assert dict(types) == expected
    x = _rng(1).standard_normal((1, 4, 6, 6)).astype(np.float32)
    check_ir(run.xml, [x], run_onnxruntime(split_convs_bn(), [x]))
