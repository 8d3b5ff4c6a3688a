"""LSTMSequence, GRUSequence, RNNSequence (opset5) as the MXNet frontend builds them: irforge's evaluate against the
OpenVINO runtime on the same IR, all directions, shorter sequence lengths, GRU's linear_before_reset and clip.
(Kept beside test_recurrent.py when the MXNet and onnx-suite versions of ops/recurrent.py were merged.)"""
from __future__ import annotations

import numpy as np
import pytest

from irforge import ops
from oracles import check_op_against_openvino

N, T, I, H = 2, 4, 3, 5


def _inputs(gates: int, dirs: int, cells: int, lengths, bias_gates: int | None = None, seed: int = 0):
    rng = np.random.default_rng(seed)
    f = np.float32
    x = rng.standard_normal((N, T, I)).astype(f)
    states = [rng.standard_normal((N, dirs, H)).astype(f) for _ in range(cells)]
    w = rng.standard_normal((dirs, gates * H, I)).astype(f) * f(0.5)
    r = rng.standard_normal((dirs, gates * H, H)).astype(f) * f(0.5)
    b = rng.standard_normal((dirs, (bias_gates or gates) * H)).astype(f) * f(0.5)
    return [x, *states, np.asarray(lengths, np.int32), w, r, b]


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@pytest.mark.parametrize("lengths", [[T, T], [T, 2]])
def test_lstm_sequence(direction, lengths, tmp_path):
    dirs = 2 if direction == "bidirectional" else 1
    inputs = _inputs(4, dirs, 2, lengths)
    check_op_against_openvino(ops.LSTMSequence(hidden_size=H, direction=direction), inputs, tmp_path,
                              constant=[False, False, False, True, True, True, True], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("linear_before_reset", [False, True])
@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
def test_gru_sequence(linear_before_reset, direction, tmp_path):
    dirs = 2 if direction == "bidirectional" else 1
    inputs = _inputs(3, dirs, 1, [T, 3], bias_gates=4 if linear_before_reset else 3)
    check_op_against_openvino(ops.GRUSequence(hidden_size=H, direction=direction,
                                              linear_before_reset=linear_before_reset), inputs, tmp_path,
                              constant=[False, False, True, True, True, True], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_rnn_sequence(activation, tmp_path):
    inputs = _inputs(1, 2, 1, [3, T])
    check_op_against_openvino(ops.RNNSequence(hidden_size=H, direction="bidirectional", activations=(activation,)),
                              inputs, tmp_path, constant=[False, False, True, True, True, True], rtol=1e-4, atol=1e-5)


def test_lstm_clip(tmp_path):
    inputs = _inputs(4, 1, 2, [T, T], seed=3)
    inputs[0] = inputs[0] * np.float32(4)
    check_op_against_openvino(ops.LSTMSequence(hidden_size=H, clip=0.5), inputs, tmp_path,
                              constant=[False, False, False, True, True, True, True], rtol=1e-4, atol=1e-5)
