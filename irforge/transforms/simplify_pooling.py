"""Pooling rounding made as plain as the shapes allow: with a static input, a window count that rounding down
already gives needs no ceil (nor PyTorch's ceil_torch, which only exists from MaxPool-14 / AvgPool-14 on and
which runtimes may not optimise as well). The windows are then the same ones, so the values are too."""
from __future__ import annotations

from dataclasses import replace

from irforge import ops
from irforge.core.graph import Graph
from irforge.ops import AutoPad, RoundingType

POOLS = (ops.MaxPool, ops.MaxPoolV1, ops.AvgPool)


def simplify_pooling(graph: Graph) -> int:
    changed = 0
    for node in graph.nodes_of(POOLS):
        op, x = node.op, node.inputs[0]
        if op.rounding_type == RoundingType.FLOOR or op.auto_pad != AutoPad.EXPLICIT or not x.shape.is_static:
            continue
        for rounding in (RoundingType.FLOOR, RoundingType.CEIL):
            if rounding == op.rounding_type:
                break
            simpler = replace(op, rounding_type=rounding)
            if simpler.infer(x.info)[0].shape == node.outputs[0].shape:
                new = graph.add(simpler, x, name=node.name)
                for old, out in zip(node.outputs, new.outputs):
                    graph.replace_uses(old, out)
                changed += 1
                break
    return changed
