"""Where the channels are in the weights of the ops that linear fusing folds into: Convolution, GroupConvolution,
ConvolutionBackpropData, GroupConvolutionBackpropData and MatMul with a constant 2-D right operand.

A "channel scale" is a vector with one value per output (or input) channel of the op; scaling those channels of
the weights is the same as multiplying the op's output (or input) by the vector along its channel axis.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from irforge import ops
from irforge.core.graph import Constant, Graph, Node, Output
from irforge.core.tensor import ScaledWeights, row_blocks, scaled_weights

CONVOLUTIONS = (ops.Convolution, ops.GroupConvolution, ops.ConvolutionBackpropData,
                ops.GroupConvolutionBackpropData)


def constant_weights(node: Node) -> np.ndarray | None:
    """The weights of a conv-like node or of a MatMul with a constant right operand, when they are a Constant."""
    if len(node.inputs) < 2 or not isinstance(node.inputs[1].node.op, Constant):
        return None
    if isinstance(node.op, ops.MatMul):
        w = node.inputs[1].node.op.array()
        return w if w.ndim == 2 and node.inputs[0].shape.rank not in (None, 1) and \
            node.inputs[1].element_type.is_float else None
    if isinstance(node.op, CONVOLUTIONS) and node.inputs[1].element_type.is_float:
        return node.inputs[1].node.op.array()
    return None


def channel_axis(node: Node) -> int:
    """The axis of the node's output (and data input) that holds channels: 1 for convolutions, -1 for MatMul."""
    return -1 if isinstance(node.op, ops.MatMul) else 1


def channel_vector(value: np.ndarray, rank: int, axis: int, channels: int) -> np.ndarray | None:
    """`value` as one number per channel when it broadcasts against a rank-`rank` tensor only along `axis`
    (e.g. [1, C, 1, 1] or [C, 1, 1] for axis 1, a scalar for any axis); None otherwise."""
    if value.ndim > rank:
        return None
    full = value.reshape((1,) * (rank - value.ndim) + value.shape)
    axis = axis % rank
    if any(d != 1 for i, d in enumerate(full.shape) if i != axis):
        return None
    vec = full.reshape(-1)
    if vec.size == 1:
        return np.full(channels, vec[0], dtype=np.float64)
    return vec.astype(np.float64) if vec.size == channels else None


# The weight dims that hold the output and the input channels (their product is the channel count), per op.
_CHANNEL_DIMS: dict[type, tuple[tuple[int, ...], tuple[int, ...]]] = {
    ops.Convolution: ((0,), (1,)),                          # [Cout, Cin, *K]
    ops.ConvolutionBackpropData: ((1,), (0,)),              # [Cin, Cout, *K]
    ops.GroupConvolution: ((0, 1), (0, 2)),                 # [G, Cout/G, Cin/G, *K]
    ops.GroupConvolutionBackpropData: ((0, 2), (0, 1)),     # [G, Cin/G, Cout/G, *K]
}


def _channel_dims(node: Node) -> tuple[tuple[int, ...], tuple[int, ...]]:
    op = node.op
    if isinstance(op, ops.MatMul):                          # [K, N], or [N, K] with transpose_b
        return ((0,), (1,)) if op.transpose_b else ((1,), (0,))
    return _CHANNEL_DIMS[type(op)]


def output_channels(node: Node, w: np.ndarray) -> int:
    return int(np.prod([w.shape[d] for d in _channel_dims(node)[0]]))


def input_channels(node: Node, w: np.ndarray) -> int:
    return int(np.prod([w.shape[d] for d in _channel_dims(node)[1]]))


def scale_output_channels(node: Node, vec: np.ndarray) -> ScaledWeights:
    """Weights whose op output equals the old output times vec along the channel axis (computed when written)."""
    op, shape = node.op, _weights_shape(node)
    if isinstance(op, ops.MatMul):
        return _scaled(node, vec.reshape((-1, 1) if op.transpose_b else (1, -1)))
    tail = (1,) * (len(shape) - 2)
    if isinstance(op, ops.GroupConvolutionBackpropData):        # [G, Cin/G, Cout/G, *K]
        return _scaled(node, vec.reshape(shape[0], 1, shape[2], *tail[1:]))
    if isinstance(op, ops.GroupConvolution):                    # [G, Cout/G, Cin/G, *K]
        return _scaled(node, vec.reshape(shape[0], shape[1], *tail))
    if isinstance(op, ops.ConvolutionBackpropData):             # [Cin, Cout, *K]
        return _scaled(node, vec.reshape(1, -1, *tail))
    return _scaled(node, vec.reshape(-1, 1, *tail))             # [Cout, Cin, *K]


def scale_input_channels(node: Node, vec: np.ndarray) -> ScaledWeights:
    """Weights whose op applied to x gives the old op applied to x * vec (vec along the data's channel axis)."""
    op, shape = node.op, _weights_shape(node)
    if isinstance(op, ops.MatMul):
        return _scaled(node, vec.reshape((1, -1) if op.transpose_b else (-1, 1)))
    tail = (1,) * (len(shape) - 2)
    if isinstance(op, ops.GroupConvolutionBackpropData):        # [G, Cin/G, Cout/G, *K]
        return _scaled(node, vec.reshape(shape[0], shape[1], *tail))
    if isinstance(op, ops.GroupConvolution):                    # [G, Cout/G, Cin/G, *K]
        return _scaled(node, vec.reshape(shape[0], 1, shape[2], *tail[1:]))
    if isinstance(op, ops.ConvolutionBackpropData):             # [Cin, Cout, *K]
        return _scaled(node, vec.reshape(-1, 1, *tail))
    return _scaled(node, vec.reshape(1, -1, *tail))             # [Cout, Cin, *K]


def fused_weights(graph: Graph, node: Node, data: ScaledWeights) -> Output:
    """The constant holding a node's new weights, named after its old ones."""
    const = node.inputs[1].node
    return graph.constant_from_file(data, const.op.element_type, const.op.shape, name=const.name + "/fused")


def input_offset(node: Node, w: np.ndarray, shift: np.ndarray) -> np.ndarray | None:
    """What adding `shift` (one value per input channel) to the op's data input adds to its output, per output
    channel; None when that is not one number per channel (padded or transposed convolutions). The weights are
    read a block of rows at a time (`row_blocks`), so none of them stays in memory."""
    op = node.op
    if isinstance(op, ops.MatMul):
        if op.transpose_b:                                      # [N, K] @ shift, by rows of N
            return _by_rows(node, lambda s, e, b: b.astype(np.float64) @ shift)
        return sum(shift[s:e] @ b.astype(np.float64) for s, e, b in _blocks(node))   # shift @ [K, N], by rows of K
    if type(op) not in (ops.Convolution, ops.GroupConvolution):
        return None
    if op.auto_pad not in (ops.AutoPad.EXPLICIT, ops.AutoPad.VALID) or \
            (op.auto_pad == ops.AutoPad.EXPLICIT and (any(op.pads_begin) or any(op.pads_end))):
        return None
    tail = (1,) * (w.ndim - 3)
    if isinstance(op, ops.GroupConvolution):                    # [G, Cout/G, Cin/G, *K], by groups
        per_group = shift.reshape(w.shape[0], 1, w.shape[2], *tail)
        return _by_rows(node, lambda s, e, b: (b.astype(np.float64) * per_group[s:e]).reshape(
            (e - s) * w.shape[1], -1).sum(axis=1))
    per_channel = shift.reshape(1, -1, *(1,) * (w.ndim - 2))   # [Cout, Cin, *K], by rows of Cout
    return _by_rows(node, lambda s, e, b: (b.astype(np.float64) * per_channel).reshape(e - s, -1).sum(axis=1))


def _blocks(node: Node):
    const = node.inputs[1].node.op
    return row_blocks(const.data, const.element_type, const.shape)


def _by_rows(node: Node, fn) -> np.ndarray:
    return np.concatenate([np.ravel(fn(s, e, b)) for s, e, b in _blocks(node)])


def _weights_shape(node: Node) -> tuple[int, ...]:
    return node.inputs[1].node.op.shape


def _scaled(node: Node, factor: np.ndarray) -> ScaledWeights:
    # In float64, rounded once to the weights' type (the runtime would round the folded product the same way);
    # lazily, so that the weights are not copied (see ScaledWeights).
    const = node.inputs[1].node.op
    return scaled_weights(const.data, const.element_type, const.shape, factor)


def data_input(node: Node) -> Output:
    return node.inputs[0]


class FusionMask:
    """--finegrain_fusing: regular expressions (searched in node names, as the legacy tool did) of nodes that
    must not take part in fusing."""

    def __init__(self, patterns: Sequence[str] = ()):
        self.patterns = [re.compile(p) for p in patterns if p]

    def allows(self, *nodes: Node) -> bool:
        return not any(p.search(n.name) for p in self.patterns for n in nodes)
