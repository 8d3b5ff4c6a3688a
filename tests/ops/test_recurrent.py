"""RNN / GRU / LSTM cells and sequences against the real OpenVINO runtime: directions, sequence lengths shorter than
the time axis, clip, activations, linear_before_reset."""
import numpy as np
import pytest

from irforge import ops
from oracles import check_op_against_openvino

rng = np.random.default_rng(13)
f32 = np.float32
N, T, I, H = 3, 5, 4, 6


def rand(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(f32)


def test_rnn_cell(tmp_path):
    check_op_against_openvino(ops.RNNCell(hidden_size=H), [rand(N, I), rand(N, H), rand(H, I), rand(H, H), rand(H)],
                              tmp_path, constant=[False, False, True, True, True])
    check_op_against_openvino(ops.RNNCell(hidden_size=H, activations=("relu",), clip=0.3),
                              [rand(N, I), rand(N, H), rand(H, I), rand(H, H), rand(H)], tmp_path,
                              constant=[False, False, True, True, True])


@pytest.mark.parametrize("linear_before_reset", [False, True])
def test_gru_cell(tmp_path, linear_before_reset):
    b = rand(4 * H if linear_before_reset else 3 * H)
    op = ops.GRUCell(hidden_size=H, linear_before_reset=linear_before_reset)
    check_op_against_openvino(op, [rand(N, I), rand(N, H), rand(3 * H, I), rand(3 * H, H), b], tmp_path,
                              constant=[False, False, True, True, True])


@pytest.mark.parametrize("clip", [0.0, 0.5])
def test_lstm_cell(tmp_path, clip):
    op = ops.LSTMCell(hidden_size=H, clip=clip)
    check_op_against_openvino(op, [rand(N, I), rand(N, H), rand(N, H), rand(4 * H, I), rand(4 * H, H), rand(4 * H)],
                              tmp_path, constant=[False, False, False, True, True, True])


LENGTHS = np.array([5, 2, 4], np.int32)


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_rnn_sequence(tmp_path, direction):
    d = 2 if direction == "bidirectional" else 1
    op = ops.RNNSequence(direction=direction, hidden_size=H)
    check_op_against_openvino(op, [rand(N, T, I), rand(N, d, H), LENGTHS, rand(d, H, I), rand(d, H, H), rand(d, H)],
                              tmp_path, constant=[False, False, True, True, True, True], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@pytest.mark.parametrize("linear_before_reset", [False, True])
def test_gru_sequence(tmp_path, direction, linear_before_reset):
    d = 2 if direction == "bidirectional" else 1
    op = ops.GRUSequence(direction=direction, hidden_size=H, linear_before_reset=linear_before_reset)
    b = rand(d, (4 if linear_before_reset else 3) * H)
    check_op_against_openvino(op, [rand(N, T, I), rand(N, d, H), LENGTHS, rand(d, 3 * H, I), rand(d, 3 * H, H), b],
                              tmp_path, constant=[False, False, True, True, True, True], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_lstm_sequence(tmp_path, direction):
    d = 2 if direction == "bidirectional" else 1
    op = ops.LSTMSequence(direction=direction, hidden_size=H)
    check_op_against_openvino(op, [rand(N, T, I), rand(N, d, H), rand(N, d, H), LENGTHS, rand(d, 4 * H, I),
                                   rand(d, 4 * H, H), rand(d, 4 * H)], tmp_path,
                              constant=[False, False, False, True, True, True, True], rtol=1e-4, atol=1e-5)


def test_lstm_sequence_clip_and_full_lengths(tmp_path):
    op = ops.LSTMSequence(direction="forward", hidden_size=H, clip=0.4)
    check_op_against_openvino(op, [rand(N, T, I), rand(N, 1, H), rand(N, 1, H), np.full(N, T, np.int64),
                                   rand(1, 4 * H, I), rand(1, 4 * H, H), rand(1, 4 * H)], tmp_path,
                              constant=[False, False, False, True, True, True, True], rtol=1e-4, atol=1e-5)


N2, T2, I2, H2 = 2, 4, 3, 5  # (cases first written with the MXNet frontend's fused RNN)


def _inputs_b(gates: int, dirs: int, cells: int, lengths, bias_gates: int | None = None, seed: int = 0):
    rng = np.random.default_rng(seed)
    f = np.float32
    x = rng.standard_normal((N2, T2, I2)).astype(f)
    states = [rng.standard_normal((N2, dirs, H2)).astype(f) for _ in range(cells)]
    w = rng.standard_normal((dirs, gates * H2, I2)).astype(f) * f(0.5)
    r = rng.standard_normal((dirs, gates * H2, H2)).astype(f) * f(0.5)
    b = rng.standard_normal((dirs, (bias_gates or gates) * H2)).astype(f) * f(0.5)
    return [x, *states, np.asarray(lengths, np.int32), w, r, b]


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@pytest.mark.parametrize("lengths", [[T2, T2], [T2, 2]])
def test_lstm_sequence_b(direction, lengths, tmp_path):
    dirs = 2 if direction == "bidirectional" else 1
    inputs = _inputs_b(4, dirs, 2, lengths)
    check_op_against_openvino(ops.LSTMSequence(hidden_size=H2, direction=direction), inputs, tmp_path,
                              constant=[False, False, False, True, True, True, True], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("linear_before_reset", [False, True])
@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
def test_gru_sequence_b(linear_before_reset, direction, tmp_path):
    dirs = 2 if direction == "bidirectional" else 1
    inputs = _inputs_b(3, dirs, 1, [T2, 3], bias_gates=4 if linear_before_reset else 3)
    check_op_against_openvino(ops.GRUSequence(hidden_size=H2, direction=direction,
                                              linear_before_reset=linear_before_reset), inputs, tmp_path,
                              constant=[False, False, True, True, True, True], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_rnn_sequence_b(activation, tmp_path):
    inputs = _inputs_b(1, 2, 1, [3, T2])
    check_op_against_openvino(ops.RNNSequence(hidden_size=H2, direction="bidirectional", activations=(activation,)),
                              inputs, tmp_path, constant=[False, False, True, True, True, True], rtol=1e-4, atol=1e-5)


def test_lstm_clip_b(tmp_path):
    inputs = _inputs_b(4, 1, 2, [T2, T2], seed=3)
    inputs[0] = inputs[0] * np.float32(4)
    check_op_against_openvino(ops.LSTMSequence(hidden_size=H2, clip=0.5), inputs, tmp_path,
                              constant=[False, False, False, True, True, True, True], rtol=1e-4, atol=1e-5)
