"""The fused RNN op (LSTM, GRU, vanilla tanh/relu; several layers; bidirectional) as one opset5 *Sequence per
layer.

MXNet packs every weight into one vector (cuDNN's layout): for each layer, for each direction, W_i2h [G*H, I]
then W_h2h [G*H, H]; after all the weights, for each layer and direction, b_i2h [G*H] then b_h2h [G*H].
Gates are ordered i, f, c, o (LSTM) and r, z, n (GRU); OpenVINO wants f, i, c, o and z, r, h. MXNet's GRU applies
the reset gate after the recurrent product (cuDNN), which is GRUSequence's linear_before_reset.
"""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Constant, Output

from ..node import MxNode
from .common import i64, shape_of

GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
LSTM_ORDER = (1, 0, 2, 3)     # MXNet i f c o -> OpenVINO f i c o
GRU_ORDER = (1, 0, 2)         # MXNet r z n  -> OpenVINO z r h


def constant_value(x: Output) -> np.ndarray | None:
    """The value of x when everything it depends on is constant (evaluated with each op's numpy evaluate):
    the packed RNN parameters are often a concat of reshaped weight variables."""
    memo: dict[int, list[np.ndarray]] = {}

    def value(out: Output) -> np.ndarray | None:
        node = out.node
        if id(node) not in memo:
            if isinstance(node.op, Constant):
                memo[id(node)] = [node.op.array()]
            elif out.info.value is not None and len(node.outputs) == 1:
                memo[id(node)] = [out.info.value]
            else:
                args = [value(i) for i in node.inputs]
                if not node.inputs or any(a is None for a in args) or not node.op.FOLDABLE:
                    return None
                memo[id(node)] = list(node.op.evaluate(*args))
        return memo[id(node)][out.index]

    return value(x)


def _reorder(block: np.ndarray, order: tuple[int, ...], hidden: int) -> np.ndarray:
    parts = [block[g * hidden:(g + 1) * hidden] for g in range(len(order))]
    return np.concatenate([parts[g] for g in order], axis=0)


def rnn(n: MxNode) -> list[Output]:
    """One LSTMSequence / GRUSequence / RNNSequence per layer; packed weights reordered at conversion."""
    mode = n.str("mode")
    if mode not in GATES:
        raise n.error(f"mode {mode} is not one of lstm, gru, rnn_tanh, rnn_relu")
    if n.int("projection_size", None):
        raise n.error("LSTM with projection_size is not supported")
    if n.float("lstm_state_clip_min", None) is not None or n.float("lstm_state_clip_max", None) is not None:
        raise n.error("lstm_state_clip_min/max is not supported")
    if n.bool("use_sequence_length", False):
        raise n.error("use_sequence_length=True is not supported")
    hidden, layers = n.int("state_size"), n.int("num_layers", 1)
    dirs = 2 if n.bool("bidirectional", False) else 1
    gates = GATES[mode]
    data = n.input(0)
    if data.shape.rank != 3 or not isinstance(data.shape[2], int):
        raise n.error("RNN data must be [seq, batch, input] with a known input size: give --input_shape")
    packed = constant_value(n.input(1))
    if packed is None:
        raise n.error("the packed RNN parameters must be known at conversion time")
    packed = np.asarray(packed, np.float32).reshape(-1)
    sizes = [data.shape[2]] + [dirs * hidden] * (layers - 1)
    expected = sum(dirs * gates * hidden * (i + hidden + 2) for i in sizes)
    if packed.size != expected:
        raise n.error(f"the packed parameters hold {packed.size} values; {mode} with {layers} layer(s), "
                      f"{dirs} direction(s), state_size {hidden} and input size {sizes[0]} needs {expected}")
    weights, pos = [], 0
    for size in sizes:
        per_dir = []
        for _ in range(dirs):
            w = packed[pos:pos + gates * hidden * size].reshape(gates * hidden, size)
            pos += w.size
            r = packed[pos:pos + gates * hidden * hidden].reshape(gates * hidden, hidden)
            pos += r.size
            per_dir.append([w, r])
        weights.append(per_dir)
    for layer in weights:
        for pair in layer:
            b_w = packed[pos:pos + gates * hidden]
            b_r = packed[pos + gates * hidden:pos + 2 * gates * hidden]
            pos += 2 * gates * hidden
            pair.extend([b_w, b_r])

    x = n.out(ops.Transpose(), data, n.const(i64([1, 0, 2])))             # [N, T, I]
    shape = shape_of(n, x)
    batch = n.out(ops.Gather(), shape, n.const(i64([0])), n.const(i64(0)))
    seq = n.out(ops.Gather(), shape, n.const(i64([1])), n.const(i64(0)))
    lengths = n.out(ops.Convert(ElementType.i32), n.out(ops.Broadcast(), seq, batch))
    state_shape = n.out(ops.Concat(axis=0), n.const(i64([layers * dirs])), batch, n.const(i64([hidden])))
    states = [_state(n, n.input(2), state_shape)]
    if mode == "lstm":
        states.append(_state(n, n.input(3), state_shape))
    finals: list[list[Output]] = [[] for _ in states]
    direction = "bidirectional" if dirs == 2 else "forward"
    for index, layer in enumerate(weights):
        W, R, B = [], [], []
        for w, r, b_w, b_r in layer:
            if mode == "lstm":
                W.append(_reorder(w, LSTM_ORDER, hidden))
                R.append(_reorder(r, LSTM_ORDER, hidden))
                B.append(_reorder(b_w + b_r, LSTM_ORDER, hidden))
            elif mode == "gru":
                W.append(_reorder(w, GRU_ORDER, hidden))
                R.append(_reorder(r, GRU_ORDER, hidden))
                zr = _reorder(b_w, GRU_ORDER, hidden)[:2 * hidden] + _reorder(b_r, GRU_ORDER, hidden)[:2 * hidden]
                B.append(np.concatenate([zr, b_w[2 * hidden:], b_r[2 * hidden:]]))
            else:
                W.append(w)
                R.append(r)
                B.append(b_w + b_r)
        w_c, r_c, b_c = (n.const(np.stack(v).astype(np.float32)) for v in (W, R, B))
        initial = [n.out(ops.Transpose(), n.out(ops.Slice(), s, n.const(i64([index * dirs])),
                                                n.const(i64([(index + 1) * dirs])), n.const(i64([1])),
                                                n.const(i64([0]))), n.const(i64([1, 0, 2])))
                   for s in states]
        if mode == "lstm":
            seq_op = ops.LSTMSequence(hidden_size=hidden, direction=direction)
        elif mode == "gru":
            seq_op = ops.GRUSequence(hidden_size=hidden, direction=direction, linear_before_reset=True)
        else:
            seq_op = ops.RNNSequence(hidden_size=hidden, direction=direction,
                                     activations=("tanh",) if mode == "rnn_tanh" else ("relu",))
        node = n.add(seq_op, x, *initial, lengths, w_c, r_c, b_c)
        y = node.outputs[0]                                                   # [N, D, T, H]
        for k in range(len(states)):
            finals[k].append(n.out(ops.Transpose(), node.outputs[1 + k], n.const(i64([1, 0, 2]))))  # [D, N, H]
        x = n.out(ops.Reshape(special_zero=True), n.out(ops.Transpose(), y, n.const(i64([0, 2, 1, 3]))),
                  n.const(i64([0, 0, -1])))                                  # [N, T, D*H]
    out = n.out(ops.Transpose(), x, n.const(i64([1, 0, 2])))                 # [T, N, D*H]
    if not n.bool("state_outputs", False):
        return [out]
    return [out] + [f[0] if len(f) == 1 else n.out(ops.Concat(axis=0), *f) for f in finals]


def _state(n: MxNode, state: Output, shape: Output) -> Output:
    """The initial state [L*D, N, H]; zeros with unknown dims (gluon's begin state) broadcast to it."""
    return n.out(ops.Broadcast(), state, shape)
