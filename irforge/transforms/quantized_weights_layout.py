"""Layout changes of fake-quantized weights moved into the weights: Transpose / Reshape / Squeeze / Unsqueeze of
FakeQuantize(constant weights, constant limits) becomes FakeQuantize(the weights moved, the limits moved).

Frontends whose layouts differ from OpenVINO's reorder weights with such ops (TensorFlow's HWIO filters become
OIHW, depthwise filters gain a group axis); constant folding does that on plain weights, but a FakeQuantize is not
folded, so a quantized model would keep each weight's layout change in the IR and store its integers in the
framework's layout. After this pass compress_quantized_weights sees FakeQuantize(weights) feeding the layer
directly, as the IR of an ONNX model has it: integers in the layer's layout and no extra nodes.

A FakeQuantize is elementwise, so it commutes with any movement of its data that moves its limits the same way:
each limit is broadcast to the data's rank, moved (a Transpose permutes its axes; the other ops reshape the
limit broadcast to the data's full shape), and shrunk back to size 1 along every axis where it does not vary.
A move that would make the limits larger (a Reshape merging the axis they vary along, as blocked scales [K / B,
1, N] of weights [K / B, B, N] reshaped to [K, N]) is left alone: the integer chain keeps its compact scales,
which the CPU plugin reads as grouped weight decompression (it computes wrong results from scales [K, N]).
"""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Constant, Graph, Node

MOVES = (ops.Transpose, ops.Reshape, ops.Squeeze, ops.Unsqueeze)


def _movable(move: Node) -> Node | None:
    """The FakeQuantize this layout op can move into, if any: constant data and limits, no other consumer, the
    op's own parameters constant."""
    fq = move.inputs[0].node
    if not isinstance(fq.op, ops.FakeQuantize) or len(fq.outputs[0].uses) != 1:
        return None
    if not all(isinstance(x.node.op, Constant) for x in (*fq.inputs, *move.inputs[1:])):
        return None
    return fq


def _shrunk(limit: np.ndarray) -> np.ndarray:
    """The smallest array that broadcasts to `limit`: size 1 along every axis where it does not vary."""
    for axis in range(limit.ndim):
        if limit.shape[axis] > 1 and np.all(limit == limit.take([0], axis=axis)):
            limit = limit.take([0], axis=axis)
    return np.ascontiguousarray(limit)


def _moved_limit(move: Node, limit: np.ndarray, data_shape: tuple[int, ...], params: list[np.ndarray]
                 ) -> np.ndarray:
    full = limit.reshape((1,) * (len(data_shape) - limit.ndim) + limit.shape)
    if isinstance(move.op, ops.Transpose):
        perm = [int(p) for p in params[0].reshape(-1)] or list(reversed(range(full.ndim)))
        return _shrunk(np.transpose(full, perm))
    return _shrunk(move.op.evaluate(np.broadcast_to(full, data_shape), *params)[0])


def quantized_weights_layout(graph: Graph) -> int:
    """Move every layout op over a FakeQuantize of constant weights into the weights. Returns the ops moved."""
    moved = 0
    for move in graph.topological():
        if not isinstance(move.op, MOVES) or not move.outputs[0].uses:
            continue
        fq = _movable(move)
        if fq is None:
            continue
        data = fq.inputs[0].node.op.array()
        if any(x.shape.rank is None or x.shape.rank > data.ndim for x in fq.inputs[1:]):
            continue
        params = [x.node.op.array() for x in move.inputs[1:]]
        weights = np.ascontiguousarray(move.op.evaluate(data, *params)[0])
        limits = [_moved_limit(move, np.asarray(x.node.op.array()), data.shape, params) for x in fq.inputs[1:]]
        shape = np.broadcast_shapes(*(v.shape for v in limits))  # the CPU plugin needs limits of one shape
        if np.prod(shape) > max(x.node.op.array().size for x in fq.inputs[1:]):
            continue  # limits that vary along axes the op merges (blocked scales): they would grow, so stay
        limits = [np.ascontiguousarray(np.broadcast_to(v, shape)) for v in limits]
        source = fq.inputs[0].node
        inputs = [graph.constant(weights, source.op.element_type, name=source.name)]
        inputs += [graph.constant(v, x.element_type, name=x.node.name) for v, x in zip(limits, fq.inputs[1:])]
        new = graph.add(fq.op, *inputs, name=fq.name, origin=fq.origin)
        graph.replace_uses(move.outputs[0], new.outputs[0])
        _remove_unused(graph, move)
        for old, replacement in ((fq, new), (source, inputs[0].node)):
            if old not in graph.nodes:  # gone: its name passes on (the weights' name stays in the IR)
                replacement.name = old.name
        moved += 1
    return moved


def _remove_unused(graph: Graph, node: Node) -> None:
    """Remove `node` and whatever only it used (the old FakeQuantize and its constants)."""
    if any(o.uses for o in node.outputs) or node in graph.results or node in graph.sinks:
        return
    inputs = [x.node for x in node.inputs]
    graph.remove(node)
    for source in inputs:
        if source in graph.nodes and not isinstance(source.op, ops.Parameter):
            _remove_unused(graph, source)
