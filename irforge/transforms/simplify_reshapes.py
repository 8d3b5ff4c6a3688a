"""Data-movement ops that only relabel the shape, made one Reshape: a Transpose that moves only unit axes
([1, C, 1, 1] -> [1, 1, 1, C] keeps the element order), and chains of Reshape / Squeeze / Unsqueeze (with static
shapes), whose middle shapes nobody else reads. A chain that ends where it started is removed by
eliminate_identities afterwards."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Graph, Node, Output

RESHAPES = (ops.Reshape, ops.Squeeze, ops.Unsqueeze)


def _keeps_order(node: Node) -> bool:
    """A Transpose of a static tensor whose non-unit axes stay in their order."""
    x, perm = node.inputs[0], node.inputs[1].value
    if perm is None or not x.shape.is_static:
        return False
    dims = x.shape.to_static()
    moved = [int(p) for p in np.asarray(perm).reshape(-1) if dims[int(p)] != 1]
    return moved == sorted(moved)


def _reshape(graph: Graph, x: Output, like: Node) -> Output:
    target = graph.constant(np.asarray(like.outputs[0].shape.to_static(), np.int64))
    return graph.out(ops.Reshape(special_zero=False), x, target, name=like.name)


def simplify_reshapes(graph: Graph) -> int:
    changed = 0
    for node in graph.topological():
        out = node.outputs[0] if len(node.outputs) == 1 else None
        if out is None or not out.uses or not out.shape.is_static:
            continue
        if isinstance(node.op, ops.Transpose) and _keeps_order(node):
            graph.replace_uses(out, _reshape(graph, node.inputs[0], node))
            changed += 1
        elif isinstance(node.op, RESHAPES):
            # The replacement of an earlier node is a Reshape too, so chains fold from their start.
            source = node.inputs[0]
            if isinstance(source.node.op, RESHAPES) and len(source.uses) == 1:
                graph.replace_uses(out, _reshape(graph, source.node.inputs[0], node))
                changed += 1
    return changed
