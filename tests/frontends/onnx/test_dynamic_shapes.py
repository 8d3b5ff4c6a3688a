"""Symbolic dims stay dynamic: a model with a dynamic batch, sequence length or image size converts once, its IR
declares those dims dynamic, and the same IR runs at several shapes in the OpenVINO runtime and the reference
runtime with onnxruntime's answers."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import irforge
from irforge.core.shape import Interval
from oracles import assert_close, run_onnxruntime, run_openvino, run_reference

rng = np.random.default_rng(31)
F = TensorProto.FLOAT


def const(name, array):
    return helper.make_tensor(name, TensorProto.FLOAT if array.dtype == np.float32 else TensorProto.INT64,
                              array.shape, array.reshape(-1).tolist())


def attention_model():
    """x [batch, seq, 16] -> 2-head self-attention whose reshapes take batch and seq from Shape at run time,
    then LayerNormalization (expanded from its ONNX function) and a GELU."""
    d, heads = 16, 2
    inits = [const(f"W{k}", (rng.standard_normal((d, d)) * 0.3).astype(np.float32)) for k in "qkvo"]
    inits += [const("gamma", np.ones(d, np.float32)), const("beta", np.zeros(d, np.float32)),
              const("heads", np.array([heads, d // heads], np.int64)), const("zero", np.array([0], np.int64)),
              const("one", np.array([1], np.int64)), const("minus1", np.array([-1], np.int64)),
              const("scale", np.array(1 / np.sqrt(d // heads), np.float32))]
    nodes = [helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("Gather", ["shape", "zero"], ["b"], axis=0),
             helper.make_node("Gather", ["shape", "one"], ["s"], axis=0),
             helper.make_node("Concat", ["b", "s", "heads"], ["split_shape"], axis=0),
             helper.make_node("Concat", ["b", "s", "minus1"], ["merge_shape"], axis=0)]
    for k in "qkv":
        nodes += [helper.make_node("MatMul", ["x", f"W{k}"], [f"{k}0"]),
                  helper.make_node("Reshape", [f"{k}0", "split_shape"], [f"{k}1"]),
                  helper.make_node("Transpose", [f"{k}1"], [f"{k}"], perm=[0, 2, 3, 1] if k == "k" else [0, 2, 1, 3])]
    nodes += [helper.make_node("MatMul", ["q", "k"], ["scores0"]),
              helper.make_node("Mul", ["scores0", "scale"], ["scores"]),
              helper.make_node("Softmax", ["scores"], ["p"], axis=-1),
              helper.make_node("MatMul", ["p", "v"], ["ctx0"]),
              helper.make_node("Transpose", ["ctx0"], ["ctx1"], perm=[0, 2, 1, 3]),
              helper.make_node("Reshape", ["ctx1", "merge_shape"], ["ctx"]),
              helper.make_node("MatMul", ["ctx", "Wo"], ["proj"]),
              helper.make_node("Add", ["proj", "x"], ["res"]),
              helper.make_node("LayerNormalization", ["res", "gamma", "beta"], ["ln"], axis=-1),
              helper.make_node("Gelu", ["ln"], ["y"])]
    graph = helper.make_graph(nodes, "attention", [helper.make_tensor_value_info("x", F, ["batch", "seq", d])],
                              [helper.make_tensor_value_info("y", F, ["batch", "seq", d])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)]), \
        [(1, 5, d), (3, 2, d), (2, 9, d)]


def cnn_model():
    """x [batch, 3, height, width] -> Conv -> Relu -> Resize x2 -> Conv -> GlobalAveragePool."""
    inits = [const("w1", (rng.standard_normal((4, 3, 3, 3)) * 0.3).astype(np.float32)),
             const("w2", (rng.standard_normal((2, 4, 3, 3)) * 0.3).astype(np.float32)),
             const("scales", np.array([1, 1, 2, 2], np.float32))]
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Resize", ["r1", "", "scales"], ["up"], mode="linear"),
             helper.make_node("Conv", ["up", "w2"], ["c2"], strides=[2, 2]),
             helper.make_node("GlobalAveragePool", ["c2"], ["y"])]
    graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", F, ["batch", 3, "height", "width"])],
                              [helper.make_tensor_value_info("y", F, ["batch", 2, 1, 1])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), \
        [(1, 3, 8, 8), (2, 3, 11, 6), (1, 3, 5, 13)]


def recurrent_model():
    """x [seq, batch, 4] -> LSTM (bidirectional) -> a Loop summing the sequence one step at a time."""
    h = 5
    inits = [const("W", (rng.standard_normal((2, 4 * h, 4)) * 0.4).astype(np.float32)),
             const("R", (rng.standard_normal((2, 4 * h, h)) * 0.4).astype(np.float32)),
             const("zero", np.array([0], np.int64)), const("axis0", np.array([0], np.int64))]
    body = helper.make_graph(
        [helper.make_node("Gather", ["Y", "i"], ["step2"], axis=0),             # [2, batch, h]
         helper.make_node("ReduceSum", ["step2", "axis0"], ["step"], keepdims=0),  # [batch, h]
         helper.make_node("Add", ["acc_in", "step"], ["acc_out"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body", [helper.make_tensor_value_info("i", TensorProto.INT64, []),
                 helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
                 helper.make_tensor_value_info("acc_in", F, None)],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_out", F, None)])
    nodes = [helper.make_node("LSTM", ["x", "W", "R"], ["Y", "Y_h"], hidden_size=h, direction="bidirectional"),
             helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("Gather", ["shape", "zero"], ["steps1"], axis=0),
             helper.make_node("Squeeze", ["steps1", "axis0"], ["steps"]),
             helper.make_node("ReduceSum", ["Y_h", "axis0"], ["init"], keepdims=0),
             helper.make_node("Mul", ["init", "init"], ["start"]),
             helper.make_node("Loop", ["steps", "", "start"], ["total"], body=body)]
    graph = helper.make_graph(nodes, "rnn", [helper.make_tensor_value_info("x", F, ["seq", "batch", 4])],
                              [helper.make_tensor_value_info("total", F, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), [(4, 2, 4), (7, 1, 4), (1, 3, 4)]


@pytest.mark.parametrize("make", [attention_model, cnn_model, recurrent_model])
def test_converts_once_runs_at_several_shapes(tmp_path, make):
    model, shapes = make()
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    graph = irforge.convert_model(str(path))
    declared = graph.parameters[0].outputs[0].shape
    symbolic = [i for i, d in enumerate(model.graph.input[0].type.tensor_type.shape.dim) if d.dim_param]
    assert all(isinstance(declared[i], Interval) for i in symbolic), f"symbolic dims became static: [{declared}]"
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "model.xml")
    text = xml.read_text()
    assert 'type="Parameter"' in text and "?" in text.split('type="Parameter"')[1].split("/>")[0]
    for shape in shapes:
        x = rng.standard_normal(shape).astype(np.float32)
        expected = run_onnxruntime(path, [x])
        for name, got in (("OpenVINO", run_openvino(xml, [x])), ("reference", run_reference(xml, [x]))):
            for g, e in zip(got, expected):
                assert_close(g, e, rtol=1e-4, atol=1e-4, what=f"{name} runtime at input shape {shape}")


def test_bounded_dims_stay_bounded(tmp_path):
    """A dim given as a range keeps its bounds in the IR's Parameter shape, and the IR runs inside them."""
    model, shapes = attention_model()
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    graph = irforge.convert_model(str(path), input_shape="[1..4,?,16]")
    assert graph.parameters[0].outputs[0].shape.dims[0] == Interval(1, 4)
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "model.xml")
    assert 'shape="1..4,?,16"' in xml.read_text()
    for shape in shapes:
        x = rng.standard_normal(shape).astype(np.float32)
        expected = run_onnxruntime(path, [x])
        assert_close(run_openvino(xml, [x])[0], expected[0], rtol=1e-4, atol=1e-4, what=f"OpenVINO at {shape}")
        assert_close(run_reference(xml, [x])[0], expected[0], rtol=1e-4, atol=1e-4, what=f"reference at {shape}")
