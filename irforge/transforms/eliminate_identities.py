"""Remove ops that do nothing: Convert to the same type, Reshape to the same static shape, Transpose by the
identity permutation, Concat of one input, Broadcast to the same static shape, Pad by zeros, and arithmetic with
its neutral constant (x + 0, x - 0, x * 1, x / 1) when the constant does not broadcast x to a bigger shape."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Graph, Node, Output
from irforge.core.pattern import known_value

# op -> (the neutral value, which operand positions may hold it)
NEUTRAL = {ops.Add: (0, (0, 1)), ops.Subtract: (0, (1,)), ops.Multiply: (1, (0, 1)), ops.Divide: (1, (1,))}


def _same_static(x: Output, y: Output) -> bool:
    return x.shape.is_static and y.shape.is_static and x.shape == y.shape and x.element_type == y.element_type


def _neutral_operand(node: Node) -> Output | None:
    """x for x + 0, 0 + x, x - 0, x * 1, 1 * x, x / 1 when the result has x's shape and type."""
    neutral = NEUTRAL.get(type(node.op))
    if neutral is None:
        return None
    value, positions = neutral
    y = node.outputs[0]
    for pos in positions:
        c = known_value(node.inputs[pos])
        x = node.inputs[1 - pos]
        if c is not None and known_value(x) is None and np.all(np.asarray(c) == value) \
                and x.shape == y.shape and x.element_type == y.element_type:
            return x
    return None


def identity_input(node: Node) -> Output | None:
    """The input this node passes through unchanged, or None."""
    op = node.op
    if not node.inputs or len(node.outputs) != 1:
        return None
    x, y = node.inputs[0], node.outputs[0]
    if isinstance(op, ops.Convert):
        return x if op.destination_type == x.element_type else None
    if isinstance(op, (ops.Reshape, ops.Squeeze, ops.Unsqueeze, ops.Broadcast, ops.Tile)):
        return x if _same_static(x, y) else None
    if isinstance(op, ops.Transpose):
        perm = node.inputs[1].value
        if perm is not None and list(np.asarray(perm).reshape(-1)) == list(range(len(perm.reshape(-1)))):
            return x
        return None
    if isinstance(op, ops.Concat):
        return x if len(node.inputs) == 1 else None
    if isinstance(op, ops.Pad):
        pads = [known_value(p) for p in node.inputs[1:3]]
        return x if all(p is not None and not np.any(p) for p in pads) and _same_static(x, y) else None
    return _neutral_operand(node)


def eliminate_identities(graph: Graph) -> int:
    removed = 0
    for node in graph.topological():
        if not node.outputs or not node.outputs[0].uses:
            continue
        x = identity_input(node)
        if x is None:
            continue
        feeds_result = any(isinstance(u.node.op, ops.Result) for u in node.outputs[0].uses)
        if feeds_result and isinstance(x.node.op, ops.Parameter):
            continue  # the model output would become the input tensor itself and take over its name
        graph.replace_uses(node.outputs[0], x)
        removed += 1
    return removed
