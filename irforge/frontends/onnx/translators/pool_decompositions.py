"""Pooling forms OpenVINO's pooling ops lack, built from other ops: AveragePool with dilations (a depthwise
convolution with a kernel of ones, divided by the window counts) and MaxPool's column-major indices."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Output
from irforge.ops import AutoPad

from ..node import OnnxNode
from .generic import i64


def _axis_windows(size: int, kernel: int, stride: int, dilation: int, begin: int, end: int, ceil: bool
                  ) -> tuple[int, list[np.ndarray]]:
    """Output length along one axis and, per output position, the input positions its window reads."""
    span = size + begin + end - ((kernel - 1) * dilation + 1)
    count = (-(-span // stride) if ceil else span // stride) + 1
    if ceil and (count - 1) * stride >= size + begin:   # ONNX (as PyTorch) drops a window starting in the end pad
        count -= 1
    return count, [o * stride - begin + np.arange(kernel) * dilation for o in range(count)]


def dilated_average_pool(n: OnnxNode, x: Output, kernel: list[int], strides: list[int], dilations: list[int],
                         begin: list[int], end: list[int], ceil: bool, include_pad: bool) -> Output:
    """sum over each dilated window / its count. The count is a constant: per axis, the window positions inside
    the input (or inside input + pads with count_include_pad), multiplied over the axes."""
    dims = x.shape.dims
    if dims is None or not all(isinstance(d, int) for d in dims[1:]):
        raise n.error("AveragePool with dilations needs static channels and spatial dims")
    counts, extra_end = [], []
    for size, k, s, d, b, e in zip(dims[2:], kernel, strides, dilations, begin, end):
        out, windows = _axis_windows(size, k, s, d, b, e, ceil)  # type: ignore[arg-type]
        low, high = (-b, size + e) if include_pad else (0, size)
        counts.append(np.array([np.count_nonzero((w >= low) & (w < high)) for w in windows], np.float64))
        last = windows[-1][-1] if windows else 0
        extra_end.append(max(0, int(last) - (size + e - 1)))   # ceil windows reaching past the end pad read zeros
    count = counts[0]
    for c in counts[1:]:
        count = np.multiply.outer(count, c)
    channels = dims[1]
    weights = n.const(np.ones((channels, 1, 1, *kernel), x.element_type.numpy), x.element_type)
    summed = n.out(ops.GroupConvolution(strides=tuple(strides), pads_begin=tuple(begin),
                                        pads_end=tuple(e + x_ for e, x_ in zip(end, extra_end)),
                                        dilations=tuple(dilations), auto_pad=AutoPad.EXPLICIT), x, weights)
    divisor = n.const(np.maximum(count, 1).astype(x.element_type.numpy)[None, None], x.element_type)
    return n.out(ops.Divide(), summed, divisor)


def column_major_indices(n: OnnxNode, indices: Output, x: Output) -> Output:
    """MaxPool's flat indices over [N, C, H, W] (row-major) -> storage_order=1: within each H x W plane the index
    counts down the columns (h + w * H)."""
    dims = x.shape.dims
    if dims is None or len(dims) != 4 or not all(isinstance(d, int) for d in dims[2:]):
        raise n.error("storage_order=1 needs a 4-D input with static spatial dims")
    height, width = dims[2], dims[3]
    plane = n.const(i64(height * width))
    within = n.out(ops.FloorMod(), indices, plane)
    base = n.out(ops.Subtract(), indices, within)
    h = n.out(ops.Divide(), within, n.const(i64(width)))
    w = n.out(ops.FloorMod(), within, n.const(i64(width)))
    return n.out(ops.Add(), base, n.out(ops.Add(), h, n.out(ops.Multiply(), w, n.const(i64(height)))))
