"""Channel shuffle: Reshape(x, [.., g, C/g, ..]) -> Transpose(swap those two) -> Reshape(back to x's shape)
is one ShuffleChannels(axis, group) (ShuffleNet v1/v2 exports spell it out)."""
from __future__ import annotations

from irforge import ops
from irforge.core.graph import Graph, Output
from irforge.core.pattern import Match, capture, const, op, rewrite

SHUFFLE = op(ops.Reshape, op(ops.Transpose, op(ops.Reshape, capture("x"), const(), name="split"),
                             const(name="perm")), const())


def _shuffle(graph: Graph, m: Match) -> Output | None:
    x, split, y = m["x"], m["split"], m.root
    if not (x.shape.is_static and split.shape.is_static and y.shape == x.shape):
        return None
    dims, parts = x.shape.to_static(), split.shape.to_static()
    if len(parts) != len(dims) + 1:
        return None
    # The axis that was split in two: everything before it and after it is unchanged.
    axis = next((a for a in range(len(dims)) if dims[:a] == parts[:a] and dims[a + 1:] == parts[a + 2:]
                 and parts[a] * parts[a + 1] == dims[a]), None)
    perm = [int(v) for v in m.value("perm").reshape(-1)]
    if axis is None or perm != [*range(axis), axis + 1, axis, *range(axis + 2, len(parts))]:
        return None
    return graph.out(ops.ShuffleChannels(axis=axis, group=parts[axis]), x, name=m.root.node.name)


def fuse_shuffle_channels(graph: Graph) -> int:
    return rewrite(graph, [(SHUFFLE, _shuffle)])
