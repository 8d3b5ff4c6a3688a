"""Grouped convolution fusing (the legacy tool's default for TensorFlow graphs; off with --disable_gfusing):
Split(x, channels) -> N Convolutions of the same geometry -> Concat(channels), in the same order, is one
GroupConvolution with the N filters stacked on a group axis. Per-branch bias Adds (all or none) become one Add
of the concatenated biases."""
from __future__ import annotations

from dataclasses import fields

import numpy as np

from irforge import ops
from irforge.core.graph import Graph, Node, Output
from irforge.core.pattern import known_value

from .weights import FusionMask, channel_vector


def _split_axis(split: Node) -> int | None:
    x = split.inputs[0]
    axis = known_value(split.inputs[1])
    if x.shape.rank is None or axis is None:
        return None
    if isinstance(split.op, ops.VariadicSplit):
        sizes = {o.shape[int(axis.reshape(-1)[0]) % x.shape.rank] for o in split.outputs}
        if len(sizes) != 1:
            return None
    return int(axis.reshape(-1)[0]) % x.shape.rank


def _only_use(out: Output) -> Node | None:
    return out.uses[0].node if len(out.uses) == 1 else None


def _branch(out: Output, mask: FusionMask) -> tuple[Node, Node | None, np.ndarray | None, Node] | None:
    """Split output -> Convolution [-> Add(bias)] -> the node after: (conv, add, bias vector, next node)."""
    conv = _only_use(out)
    if conv is None or type(conv.op) is not ops.Convolution or out.uses[0].index != 0 or not mask.allows(conv):
        return None
    if not isinstance(conv.inputs[1].node.op, ops.Constant):
        return None
    after = _only_use(conv.outputs[0])
    if after is None:
        return None
    if isinstance(after.op, ops.Add):
        other = after.inputs[1 - conv.outputs[0].uses[0].index]
        value = known_value(other)
        rank = conv.outputs[0].shape.rank
        channels = conv.outputs[0].shape[1] if rank else None
        if value is not None and rank and isinstance(channels, int) and after.outputs[0].shape == conv.outputs[0].shape:
            bias = channel_vector(np.asarray(value), rank, 1, channels)
            nxt = _only_use(after.outputs[0])
            if bias is not None and nxt is not None:
                return conv, after, bias, nxt
    return conv, None, None, after


def _same_geometry(convs: list[Node]) -> bool:
    first = convs[0]
    attrs = [f.name for f in fields(first.op)]
    return all(getattr(c.op, a) == getattr(first.op, a) for c in convs for a in attrs) and \
        len({tuple(c.inputs[1].shape.to_static()) for c in convs if c.inputs[1].shape.is_static}) == 1 and \
        all(c.inputs[1].shape.is_static and c.inputs[1].element_type == first.inputs[1].element_type for c in convs)


def fuse_grouped_convolutions(graph: Graph, finegrain: tuple[str, ...] | list[str] = ()) -> int:
    mask = FusionMask(finegrain)
    fused = 0
    for split in graph.nodes_of((ops.Split, ops.VariadicSplit)):
        if len(split.outputs) < 2 or _split_axis(split) != 1 or not mask.allows(split):
            continue
        branches = [_branch(o, mask) for o in split.outputs]
        if any(b is None for b in branches):
            continue
        convs = [b[0] for b in branches]
        concat = branches[0][3]
        if not isinstance(concat.op, ops.Concat) or not _same_geometry(convs):
            continue
        tails = [(b[1] or b[0]).outputs[0] for b in branches]
        rank = concat.outputs[0].shape.rank
        if rank is None or concat.op.axis % rank != 1 or concat.inputs != tails:
            continue
        if len({b[1] is None for b in branches}) != 1:
            continue                                   # some branches have a bias and some do not
        weights = np.stack([c.inputs[1].node.op.array() for c in convs])   # [G, O/G, C/G, *K]
        group_conv = graph.out(ops.GroupConvolution(**{f.name: getattr(convs[0].op, f.name)
                                                       for f in fields(convs[0].op)}),
                               split.inputs[0], graph.constant(weights, name=convs[0].inputs[1].node.name + "/grouped"),
                               name=convs[0].name + "/grouped")
        y = group_conv
        if branches[0][1] is not None:
            bias = np.concatenate([b[2] for b in branches]).astype(weights.dtype)
            y = graph.out(ops.Add(), y, graph.constant(bias.reshape((1, -1) + (1,) * (rank - 2))),
                          name=concat.name + "/bias")
        graph.replace_uses(concat.outputs[0], y)
        fused += 1
    return fused
