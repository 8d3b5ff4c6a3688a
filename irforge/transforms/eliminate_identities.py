"""Remove ops that do nothing: Convert to the same type, Reshape to the same static shape, Transpose by the
identity permutation, Concat of one input, Broadcast to the same static shape."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Graph, Node


def _is_identity(node: Node) -> bool:
    op = node.op
    if not node.inputs or len(node.outputs) != 1:
        return False
    x, y = node.inputs[0], node.outputs[0]
    same_static = x.shape.is_static and y.shape.is_static and x.shape == y.shape and x.element_type == y.element_type
    if isinstance(op, ops.Convert):
        return op.destination_type == x.element_type
    if isinstance(op, (ops.Reshape, ops.Squeeze, ops.Unsqueeze, ops.Broadcast, ops.Tile)):
        return same_static
    if isinstance(op, ops.Transpose):
        perm = node.inputs[1].value
        return perm is not None and list(np.asarray(perm).reshape(-1)) == list(range(len(perm.reshape(-1))))
    if isinstance(op, ops.Concat):
        return len(node.inputs) == 1
    return False


def eliminate_identities(graph: Graph) -> int:
    removed = 0
    for node in graph.topological():
        if not _is_identity(node) or not node.outputs[0].uses:
            continue
        feeds_result = any(isinstance(u.node.op, ops.Result) for u in node.outputs[0].uses)
        if feeds_result and isinstance(node.inputs[0].node.op, ops.Parameter):
            continue  # the model output would become the input tensor itself and take over its name
        graph.replace_uses(node.outputs[0], node.inputs[0])
        removed += 1
    return removed
