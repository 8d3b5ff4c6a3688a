"""Sliding-window helpers shared by convolution and pooling: pad resolution, output sizes, window views."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from irforge.core.shape import Dim, Interval, make_dim

from .base import AutoPad


def resolve_pads(auto_pad: AutoPad, spatial: Sequence[Dim], kernel: Sequence[int], strides: Sequence[int],
                 dilations: Sequence[int], pads_begin: Sequence[int], pads_end: Sequence[int]
                 ) -> tuple[list[int], list[int]] | None:
    """Explicit pads, or SAME_UPPER / SAME_LOWER / VALID resolved; None if SAME pads depend on a dynamic dim."""
    rank = len(kernel)
    if auto_pad == AutoPad.EXPLICIT:
        return list(pads_begin) or [0] * rank, list(pads_end) or [0] * rank
    if auto_pad == AutoPad.VALID:
        return [0] * rank, [0] * rank
    begin, end = [], []
    for size, k, s, d in zip(spatial, kernel, strides, dilations):
        if not isinstance(size, int):
            return None
        out = -(-size // s)
        total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
        low = total // 2 if auto_pad == AutoPad.SAME_UPPER else total - total // 2
        begin.append(low)
        end.append(total - low)
    return begin, end


def output_size(size: Dim, kernel: int, stride: int, dilation: int, pad_begin: int, pad_end: int,
                ceil: bool = False, ceil_torch: bool = False) -> Dim:
    """Length along one axis of a sliding window's output.

    `ceil` rounds the window count up (Caffe, ceil_mode); `ceil_torch` then drops a last window that would
    start past the input and its begin pad (PyTorch / Caffe rule, OpenVINO rounding_type="ceil_torch").
    """
    effective = (kernel - 1) * dilation + 1
    if isinstance(size, int):
        span = size + pad_begin + pad_end - effective
        out = (-(-span // stride) if ceil else span // stride) + 1
        if ceil and ceil_torch and out > 1 and (out - 1) * stride >= size + pad_begin:
            out -= 1
        return max(out, 0)
    lower = output_size(max(size.lower, effective - pad_begin - pad_end), kernel, stride, dilation, pad_begin,
                        pad_end, ceil, ceil_torch) if size.lower else 0
    upper = None if size.upper is None else output_size(size.upper, kernel, stride, dilation, pad_begin, pad_end,
                                                        ceil, ceil_torch)
    return make_dim(int(lower), upper)  # type: ignore[arg-type]


def same_output_size(size: Dim, stride: int) -> Dim:
    """SAME_* auto padding keeps ceil(size / stride)."""
    if isinstance(size, int):
        return -(-size // stride)
    assert isinstance(size, Interval)
    return make_dim(-(-size.lower // stride), None if size.upper is None else -(-size.upper // stride))


def windows(padded: np.ndarray, kernel: Sequence[int], strides: Sequence[int], dilations: Sequence[int],
            out_spatial: Sequence[int]) -> np.ndarray:
    """A strided view [N, C, *out_spatial, *kernel] over the trailing spatial axes of a padded [N, C, *S] array."""
    rank = len(kernel)
    effective = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    view = np.lib.stride_tricks.sliding_window_view(padded, effective, axis=tuple(range(2, 2 + rank)))
    index = (slice(None), slice(None))
    index += tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(out_spatial, strides))
    index += tuple(slice(None, None, d) for d in dilations)
    return view[index]


def pad_spatial(x: np.ndarray, begin: Sequence[int], end: Sequence[int], value: float = 0.0,
                out_spatial: Sequence[int] | None = None, kernel: Sequence[int] | None = None,
                strides: Sequence[int] | None = None, dilations: Sequence[int] | None = None) -> np.ndarray:
    """Pad the spatial axes; with the window geometry given, also pad the end far enough for ceil-mode windows."""
    widths = [(0, 0), (0, 0)]
    for i, (b, e) in enumerate(zip(begin, end)):
        if out_spatial is not None and kernel is not None and strides is not None and dilations is not None:
            need = (out_spatial[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1
            e = max(e, need - x.shape[2 + i] - b)
        widths.append((b, e))
    if all(w == (0, 0) for w in widths):
        return x
    return np.pad(x, widths, constant_values=value)
