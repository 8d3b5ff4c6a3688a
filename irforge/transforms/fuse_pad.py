"""Pad folded into the window of the op that reads it: Pad(x, zeros on H, W...) -> Convolution /
GroupConvolution / AvgPool becomes that op with bigger pads_begin / pads_end (TensorFlow and PyTorch exports pad
explicitly before "VALID" windows).

Only zero constant padding of the spatial axes qualifies. AvgPool qualifies only when it counts padding in its
divisor (exclude-pad false), rounds down, and pads explicitly: a separate Pad's zeros are always counted. MaxPool
never qualifies: its own padding is -inf, not zero."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from irforge import ops
from irforge.core.graph import Graph, Node
from irforge.core.pattern import known_value
from irforge.ops import AutoPad, RoundingType


def _spatial_pads(pad: Node) -> tuple[list[int], list[int]] | None:
    """The pad's (begin, end) over the spatial axes, when it is a zero constant pad of those axes only."""
    op = pad.op
    if not isinstance(op, ops.Pad) or op.pad_mode != "constant":
        return None
    begin, end = (known_value(x) for x in pad.inputs[1:3])
    if begin is None or end is None:
        return None
    if len(pad.inputs) > 3:
        value = known_value(pad.inputs[3])
        if value is None or np.any(value != 0):
            return None
    begin, end = [int(v) for v in begin.reshape(-1)], [int(v) for v in end.reshape(-1)]
    if len(begin) < 3 or any(v < 0 for v in begin + end) or any(begin[:2]) or any(end[:2]):
        return None
    return begin[2:], end[2:]


def _window_op(consumer: Node, begin: list[int], end: list[int]):
    op = consumer.op
    if isinstance(op, (ops.Convolution, ops.GroupConvolution)):
        if op.auto_pad not in (AutoPad.EXPLICIT, AutoPad.VALID):
            return None
    elif isinstance(op, ops.AvgPool):
        if op.exclude_pad or op.rounding_type != RoundingType.FLOOR or op.auto_pad != AutoPad.EXPLICIT:
            return None
    else:
        return None
    old_b = op.pads_begin if op.auto_pad == AutoPad.EXPLICIT else (0,) * len(begin)
    old_e = op.pads_end if op.auto_pad == AutoPad.EXPLICIT else (0,) * len(end)
    if len(old_b) != len(begin):
        return None
    return replace(op, pads_begin=tuple(a + b for a, b in zip(old_b, begin)),
                   pads_end=tuple(a + b for a, b in zip(old_e, end)), auto_pad=AutoPad.EXPLICIT)


def fuse_pad(graph: Graph) -> int:
    fused = 0
    for pad in graph.nodes_of(ops.Pad):
        pads = _spatial_pads(pad)
        if pads is None:
            continue
        for use in list(pad.outputs[0].uses):
            consumer = use.node
            new_op = _window_op(consumer, *pads) if use.index == 0 else None
            if new_op is None:
                continue
            new = graph.out(new_op, pad.inputs[0], *consumer.inputs[1:], name=consumer.name)
            graph.replace_uses(consumer.outputs[0], new)
            fused += 1
    return fused
