"""--transform MakeStateful: an input the model returns updated becomes runtime state (ReadValue/Assign). The
stateful IR, called step by step in OpenVINO and in the reference runtime, gives what the stateless model gives
with the state fed back by hand in onnxruntime."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import irforge
from irforge.errors import OptionError
from oracles import F32_HINT, assert_close, openvino, run_onnxruntime
from tiny_models import mo

rng = np.random.default_rng(12)


def rnn_cell(tmp_path):
    """h_out = tanh(x @ W + h_in @ U); y = 2 * h_out (inputs x [1,3], h_in [1,4]; outputs y, h_out)."""
    w, u = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((4, 4)).astype(np.float32) * 0.5
    nodes = [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("MatMul", ["h_in", "U"], ["hu"]),
             helper.make_node("Add", ["xw", "hu"], ["s"]), helper.make_node("Tanh", ["s"], ["h_out"]),
             helper.make_node("Mul", ["h_out", "two"], ["y"])]
    graph = helper.make_graph(nodes, "cell", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3]),
                                              helper.make_tensor_value_info("h_in", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4]),
                               helper.make_tensor_value_info("h_out", TensorProto.FLOAT, [1, 4])],
                              [numpy_helper.from_array(w, "W"), numpy_helper.from_array(u, "U"),
                               numpy_helper.from_array(np.float32(2), "two")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "cell.onnx"
    onnx.save(model, str(path))
    return path


def expected_steps(path, xs):
    h, ys = np.zeros((1, 4), np.float32), []
    for x in xs:
        y, h = run_onnxruntime(str(path), [x, h])
        ys.append(y)
    return ys


def test_state_is_carried_between_calls(tmp_path):
    path = rnn_cell(tmp_path)
    run = mo(path, tmp_path / "ir", "--transform", "MakeStateful[param_res_names={'h_in':'h_out'}]")
    assert run.code == 0, run.err
    graph = irforge.read_model(run.xml)
    assert [p.name for p in graph.parameters] == ["x"] and [r.name for r in graph.results] == ["y"]
    assert {n.op.TYPE for n in graph.nodes} >= {"ReadValue", "Assign"}
    xs = [rng.standard_normal((1, 3)).astype(np.float32) for _ in range(4)]
    want = expected_steps(path, xs)

    compiled = irforge.compile_model(str(run.xml))
    for x, y in zip(xs, want):
        assert_close(compiled([x])["y"], y, what="reference runtime")

    ov = openvino()
    core = ov.Core()
    request = core.compile_model(core.read_model(str(run.xml)), "CPU", F32_HINT).create_infer_request()
    for round_ in range(2):                 # reset_state() starts over from zeros
        for x, y in zip(xs, want):
            assert_close(np.array(request.infer([x])[0]), y, what=f"OpenVINO, round {round_}")
        request.reset_state()


@pytest.mark.parametrize("value,words", [
    ("LowLatency2", "no LowLatency2"),
    ("MakeStateful", "param_res_names with input -> output names"),
    ("MakeStateful[param_res_names={'h':'h_out'}]", "input 'h'"),
    ("MakeStateful[param_res_names={'h_in':'nope'}]", "output 'nope'"),
    ("Quantize", "unknown transformation"),
])
def test_bad_transforms(tmp_path, value, words):
    run = mo(rnn_cell(tmp_path), tmp_path / "ir", "--transform", value)
    assert run.code != 0 and "--transform" in run.err and words in run.err, run.err
    assert not run.xml.exists()


def test_dynamic_state_needs_a_shape(tmp_path):
    path = rnn_cell(tmp_path)
    with pytest.raises(OptionError, match="needs a shape"):
        irforge.convert_model(str(path), input="x[1,3],h_in[?,4]",
                              transform="MakeStateful[param_res_names={'h_in':'h_out'}]")
