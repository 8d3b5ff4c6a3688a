"""ONNX RNN / GRU / LSTM against onnxruntime: layouts, directions, sequence lengths, initial states, biases, and
the LSTMs that need the explicit TensorIterator cell (peepholes, input_forget, other activations)."""
import numpy as np
import pytest
from onnx import TensorProto, helper

from oracles import check_onnx_model

rng = np.random.default_rng(17)
T, B, I, H = 5, 3, 4, 6
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def make(op, direction="forward", layout=0, lengths=False, states=False, bias=True, peepholes=False, **attrs):
    d = 2 if direction == "bidirectional" else 1
    g = GATES[op]
    x_shape = [B, T, I] if layout else [T, B, I]
    s_shape = [B, d, H] if layout else [d, B, H]
    inits = [helper.make_tensor("W", TensorProto.FLOAT, [d, g * H, I], rng.standard_normal(d * g * H * I) * 0.5),
             helper.make_tensor("R", TensorProto.FLOAT, [d, g * H, H], rng.standard_normal(d * g * H * H) * 0.5)]
    names = ["X", "W", "R", "B" if bias else "", "lens" if lengths else "", "h0" if states else ""]
    if bias:
        inits.append(helper.make_tensor("B", TensorProto.FLOAT, [d, 2 * g * H], rng.standard_normal(d * 2 * g * H) * .3))
    if lengths:
        inits.append(helper.make_tensor("lens", TensorProto.INT32, [B], [5, 2, 4]))
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)]
    if states:
        inputs.append(helper.make_tensor_value_info("h0", TensorProto.FLOAT, s_shape))
    if op == "LSTM":
        names.append("c0" if states else "")
        if states:
            inputs.append(helper.make_tensor_value_info("c0", TensorProto.FLOAT, s_shape))
        if peepholes:
            names.append("P")
            inits.append(helper.make_tensor("P", TensorProto.FLOAT, [d, 3 * H], rng.standard_normal(d * 3 * H) * .3))
    outs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, names, outs, hidden_size=H, direction=direction, layout=layout, **attrs)
    graph = helper.make_graph([node], "rnn", inputs, [helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
                                                      for o in outs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    feeds = [rng.standard_normal(x_shape).astype(np.float32)]
    feeds += [rng.standard_normal(s_shape).astype(np.float32) for _ in range(2 if op == "LSTM" else 1) if states]
    return model, feeds


@pytest.mark.parametrize("op", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_sequences(tmp_path, op, direction):
    # (onnxruntime has no layout=1: the node suite's *_batchwise cases cover it against ONNX's expected outputs.)
    model, feeds = make(op, direction, 0, lengths=True, states=True)
    check_onnx_model(model, feeds, tmp_path)


def test_gru_linear_before_reset(tmp_path):
    model, feeds = make("GRU", "bidirectional", linear_before_reset=1, states=True)
    check_onnx_model(model, feeds, tmp_path)


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_lstm_peepholes_with_lengths(tmp_path, direction):
    model, feeds = make("LSTM", direction, lengths=True, states=True, peepholes=True)
    check_onnx_model(model, feeds, tmp_path)


def test_lstm_input_forget_and_other_activations(tmp_path):
    model, feeds = make("LSTM", "forward", states=True, input_forget=1,
                        activations=["HardSigmoid", "LeakyRelu", "Tanh"], activation_alpha=[0.3, 0.1, 1.0],
                        activation_beta=[0.4, 0.0, 0.0])
    check_onnx_model(model, feeds, tmp_path)
