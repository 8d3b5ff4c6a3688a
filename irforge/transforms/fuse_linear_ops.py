"""Linear operations fusing (the legacy tool's default, off with --disable_fusing; --finegrain_fusing exempts
nodes by name).

A chain of per-channel affine ops (BatchNormInference, and Multiply / Add / Subtract / Divide by a constant) is
one y = a * x + b. Each maximal chain is collapsed to that form, and:
  - when x comes from a Convolution, GroupConvolution, ConvolutionBackpropData, GroupConvolutionBackpropData or
    a MatMul with constant weights (FullyConnected), and a is per output channel, a is folded into the weights:
    y = Op(x, W * a) + b;
  - otherwise the chain becomes at most one Multiply and one Add (a lone BatchNormInference too, as the legacy tool
    decomposed it: two ops with two constants instead of one op with four).
Then a chain whose every consumer is such an op (reading it as data) is folded forward: a scales the consumers'
input channels (zero padding stays zero after scaling, so padded convolutions are fine) and b becomes an offset
added after each consumer: b @ W for a MatMul, sum(W * b) per output channel for a convolution without padding
(with padding the border windows would see zeros instead of b, so an Add before a padded convolution stays, as
in the legacy tool).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge import ops
from irforge.core.graph import Graph, Node, Output
from irforge.core.pattern import known_value
from irforge.core.tensor import ScaledWeights

from .weights import (FusionMask, channel_axis, channel_vector, constant_weights, fused_weights, input_channels,
                      input_offset, output_channels, scale_input_channels, scale_output_channels)


@dataclass
class Affine:
    """y = a * x + b for the data input `x` of one node (a, b broadcast against x)."""

    data_index: int
    a: np.ndarray
    b: np.ndarray


def _affine(node: Node) -> Affine | None:
    """The node as an affine map of its one non-constant input, or None."""
    op = node.op
    if not node.outputs or not node.outputs[0].element_type.is_float:
        return None
    if isinstance(op, ops.BatchNormInference):
        params = [known_value(x) for x in node.inputs[1:]]
        x = node.inputs[0]
        if any(p is None for p in params) or x.shape.rank is None or known_value(x) is not None:
            return None
        gamma, beta, mean, var = (np.asarray(p, np.float64).reshape(-1) for p in params)
        scale = gamma / np.sqrt(var + op.epsilon)
        shape = (-1,) + (1,) * (x.shape.rank - 2)
        return Affine(0, scale.reshape(shape), (beta - mean * scale).reshape(shape))
    if not isinstance(op, (ops.Multiply, ops.Add, ops.Subtract, ops.Divide)):
        return None
    values = [known_value(x) for x in node.inputs]
    if (values[0] is None) == (values[1] is None):
        return None                      # both constant (folding's job) or neither (not linear)
    data = 0 if values[1] is not None else 1
    c = np.asarray(values[1 - data], np.float64)
    one, zero = np.ones((), np.float64), np.zeros((), np.float64)
    if isinstance(op, ops.Multiply):
        return Affine(data, c, zero)
    if isinstance(op, ops.Add):
        return Affine(data, one, c)
    if isinstance(op, ops.Subtract):
        return Affine(data, one, -c) if data == 0 else Affine(data, -one, c)
    if data == 0 and np.all(c != 0):     # x / c; c / x is not linear
        return Affine(data, 1.0 / c, zero)
    return None


def _fits(x: Output, *constants: np.ndarray) -> bool:
    """The constants broadcast into x's shape without growing it (so the chain keeps x's shape)."""
    if x.shape.rank is None:
        return False
    dims = list(x.shape)
    for c in constants:
        if c.ndim > len(dims):
            return False
        for d, cd in zip(reversed(dims), reversed(c.shape)):
            if cd != 1 and d != cd:
                return False
    return True


def _chain_from(start: Node, aff: Affine, mask: FusionMask) -> tuple[list[Node], np.ndarray, np.ndarray]:
    """The longest single-use chain of affine nodes starting at `start`, collapsed to (a, b)."""
    nodes, a, b = [start], aff.a, aff.b
    while True:
        out = nodes[-1].outputs[0]
        if len(out.uses) != 1:
            break
        user = out.uses[0].node
        nxt = _affine(user) if mask.allows(user) else None
        if nxt is None or out.uses[0].index != nxt.data_index:
            break
        a, b = a * nxt.a, b * nxt.a + nxt.b
        nodes.append(user)
    return nodes, a, b


def _maximal_chains(graph: Graph, mask: FusionMask):
    """(first node, its data input x, the chain's nodes, a, b) for each maximal affine chain, in graph order."""
    seen: set[int] = set()
    for node in graph.topological():
        if id(node) in seen or not mask.allows(node):
            continue
        aff = _affine(node)
        if aff is None:
            continue
        chain, a, b = _chain_from(node, aff, mask)
        seen.update(id(n) for n in chain)
        yield node, node.inputs[aff.data_index], chain, a, b


def _is_ones(v: np.ndarray) -> bool:
    return bool(np.all(v == 1))


def _is_zeros(v: np.ndarray) -> bool:
    return bool(np.all(v == 0))


def _compact(v: np.ndarray, rank: int) -> np.ndarray:
    """A constant that holds one value becomes a scalar; any other gets the data's rank ([C, 1, 1] -> [1, C, 1, 1]):
    the OpenVINO CPU plugin fuses a per-channel Add / Multiply into the convolution before it in that form."""
    flat = v.reshape(-1)
    if np.all(flat == flat[0]):
        return flat[:1].reshape(())
    return v.reshape((1,) * (rank - v.ndim) + v.shape)


def _foldable_producer(x: Output, chain_start: Node, mask: FusionMask) -> Node | None:
    """The conv-like / FullyConnected node producing x, when x feeds only the chain and its weights are constant."""
    producer = x.node
    if len(x.uses) != 1 or x.uses[0].node is not chain_start or not mask.allows(producer):
        return None
    if x.index != 0 or constant_weights(producer) is None:
        return None
    return producer


def _emit(graph: Graph, x: Output, a: np.ndarray, b: np.ndarray, name: str) -> Output:
    et, rank = x.element_type.numpy, x.shape.rank or 0
    y = x
    if not _is_ones(a):
        y = graph.out(ops.Multiply(), y, graph.constant(_compact(a, rank).astype(et)), name=name + "/scale")
    if not _is_zeros(b):
        y = graph.out(ops.Add(), y, graph.constant(_compact(b, rank).astype(et)), name=name + "/shift")
    return y


def _refold(graph: Graph, producer: Node, a: np.ndarray) -> Output | None:
    """producer with its weights scaled by a along the output channels, or None when a is not per channel."""
    w = constant_weights(producer)
    out = producer.outputs[0]
    if w is None or out.shape.rank is None:
        return None
    vec = channel_vector(a, out.shape.rank, channel_axis(producer), output_channels(producer, w))
    if vec is None:
        return None
    weights = fused_weights(graph, producer, scale_output_channels(producer, vec))
    return graph.out(producer.op, producer.inputs[0], weights, *producer.inputs[2:], name=producer.name)


# Rounding ops define exact edges: a chain written out op for op before one of them (TensorFlow's fake
# quantization above 256 levels) reassociated as a * x + b moves inputs near an edge across it.
_ROUNDING = (ops.Floor, ops.Ceiling, ops.Round)


def _feeds_rounding(out: Output) -> bool:
    return any(isinstance(use.node.op, _ROUNDING) for use in out.uses)


def collapse_linear_chains(graph: Graph, mask: FusionMask | None = None) -> int:
    """Collapse each chain of affine ops, folding the scale into a preceding conv / FullyConnected when possible."""
    mask = mask or FusionMask()
    done = 0
    for node, x, chain, a, b in _maximal_chains(graph, mask):
        last = chain[-1].outputs[0]
        if not _fits(x, a, b) or last.shape != x.shape or last.element_type != x.element_type:
            continue
        producer = _foldable_producer(x, node, mask) if not _is_ones(a) else None
        source = _refold(graph, producer, a) if producer is not None else None
        if source is not None:
            new = _emit(graph, source, np.ones((), np.float64), b, chain[-1].name)
        else:
            emitted = (not _is_ones(a)) + (not _is_zeros(b))
            batchnorms = sum(isinstance(n.op, ops.BatchNormInference) for n in chain)
            if emitted >= len(chain) + batchnorms and not batchnorms:
                continue         # nothing to gain: a lone Multiply / Add, or Multiply -> Add already
            if _feeds_rounding(last):
                continue
            new = _emit(graph, x, a, b, chain[-1].name)
        graph.replace_uses(last, new)
        done += 1
    return done


def _forward_plan(node: Node, use_index: int, a: np.ndarray, b: np.ndarray, rank: int,
                  mask: FusionMask) -> tuple[ScaledWeights, np.ndarray | None] | None:
    """New weights (and the per-output-channel offset that b becomes) for a consumer reading a * x + b."""
    w = constant_weights(node)
    if use_index != 0 or w is None or not mask.allows(node):
        return None
    if isinstance(node.op, ops.MatMul) and node.op.transpose_a:
        return None
    channels = input_channels(node, w)
    scale = channel_vector(a, rank, channel_axis(node), channels)
    shift = channel_vector(b, rank, channel_axis(node), channels)
    if scale is None or shift is None:
        return None
    offset = None
    if not _is_zeros(shift):
        offset = input_offset(node, w, shift)     # None where padding would see the shift (or no closed form)
        if offset is None:
            return None
    return scale_input_channels(node, scale), offset


def fuse_affine_forward(graph: Graph, mask: FusionMask | None = None) -> int:
    """a * x + b read only by Convolutions / FullyConnected MatMuls: a scales their input channels; b becomes an
    offset added after them (for a MatMul, and for a convolution without padding, where every window sees b)."""
    mask = mask or FusionMask()
    done = 0
    for _, x, chain, a, b in _maximal_chains(graph, mask):
        out = chain[-1].outputs[0]
        if not out.uses or out.shape != x.shape or out.shape.rank is None or not _fits(x, a, b):
            continue
        plans = [_forward_plan(u.node, u.index, a, b, out.shape.rank, mask) for u in out.uses]
        if any(p is None for p in plans):
            continue
        for use, (weights, offset) in zip(list(out.uses), plans):    # type: ignore[misc]
            consumer = use.node
            w_out = fused_weights(graph, consumer, weights)
            new = graph.out(consumer.op, x, w_out, *consumer.inputs[2:], name=consumer.name)
            if offset is not None:
                axis = channel_axis(consumer)
                shape = [1] * new.shape.rank  # type: ignore[operator]
                shape[axis] = -1
                new = graph.out(ops.Add(), new, graph.constant(offset.reshape(shape).astype(weights.element_type.numpy)),
                                name=consumer.name + "/shift")
            graph.replace_uses(consumer.outputs[0], new)
        done += 1
    return done


def fuse_linear_ops(graph: Graph, finegrain: tuple[str, ...] | list[str] = ()) -> int:
    """Backward (into the producer), then forward (into the consumers), then once more backward: the offsets
    that forward fusing adds after a consumer merge with that consumer's own bias Add."""
    mask = FusionMask(finegrain)
    done = 0
    for step in (collapse_linear_chains, fuse_affine_forward, collapse_linear_chains):
        done += step(graph, mask)
        graph.remove_dead_nodes()    # replaced chains still read the tensors the next step looks at
    return done

