"""Separable resizing of the last two axes, given as the framework defines it: one weight matrix per axis
(rows [Ho, H], cols [Wo, W]; out = rows @ x @ cols^T). Frontends write their framework's rule down as these
matrices, which makes it exact by construction; `resize_2d` then builds the cheapest graph that computes them:

1. one Interpolate-11 when one of its modes (nearest, linear_onnx, with any coordinate transformation) gives the
   same weights on both axes, after cropping rows and columns no output reads (Caffe's negative pads);
2. else Gathers of constant indices when every output pixel copies one input pixel (nearest with a rule
   Interpolate has no coordinate mode for);
3. else two MatMuls with the matrices as constants.

"The same weights" is decided here, at conversion, with the Interpolate weights irforge's own evaluate uses
(ops/interpolate.py, which follows the runtime's float32 coordinates), up to float32 rounding of the source
coordinate. Not a framework package: every frontend may import it (frontends never import each other).

Speed: the OpenVINO CPU plugin (2026.4) runs the two-MatMul form 1.2-3.7x faster than the equivalent Interpolate
(bench/resize_paths.py, docs/BENCHMARKS.md); Interpolate is preferred for a smaller, self-describing IR. Trying the
MatMul form first (for linear weights) is the one change to make if speed on CPU matters more."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Output
from irforge.ops.interpolate import F32, linear_onnx_weights, nearest_index, source_coords

from .base import NodeBuilder

COORDINATE_MODES = ("half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel", "tf_half_pixel_for_nn")
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple")


def interpolate_weights(mode: str, coordinates: str, nearest_mode: str, out_len: int, in_len: int) -> np.ndarray:
    """The [out, in] weights Interpolate-11 (sizes mode) applies along one axis."""
    scale = F32(out_len) / F32(in_len)
    coords = source_coords(coordinates, out_len, in_len, scale)
    if mode == "linear_onnx":
        return linear_onnx_weights(coords, in_len)
    index = nearest_index(coords, nearest_mode, bool(scale < 1), in_len)
    weights = np.zeros((out_len, in_len), F32)
    weights[np.arange(out_len), index] = 1
    return weights


def _tolerance(matrix: np.ndarray) -> float:
    # Source coordinates are float32 in the framework and in the runtime: both round them to the ulp of the
    # largest coordinate, which is what the weights may differ by.
    return 4.0 * float(np.spacing(F32(max(matrix.shape[1], 2))))


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.abs(a - b).max(initial=0.0) <= _tolerance(a))


def _one_hot(matrix: np.ndarray) -> bool:
    return bool(np.all((matrix == 0) | (matrix == 1)) and np.all(matrix.sum(axis=1) == 1))


def interpolate_for(rows: np.ndarray, cols: np.ndarray, rank: int = 4) -> ops.Interpolate11 | None:
    """The Interpolate-11 (sizes mode, the last two of `rank` axes) whose weights are `rows` and `cols`, or None."""
    nearest = _one_hot(rows) and _one_hot(cols)
    candidates = [("nearest", c, n) for c in COORDINATE_MODES for n in NEAREST_MODES] if nearest else \
        [("linear_onnx", c, "round_prefer_floor") for c in COORDINATE_MODES]
    for mode, coordinates, nearest_mode in candidates:
        if all(_same(m, interpolate_weights(mode, coordinates, nearest_mode, *m.shape)) for m in (rows, cols)):
            return ops.Interpolate11(mode=mode, shape_calculation_mode="sizes",
                                     coordinate_transformation_mode=coordinates, nearest_mode=nearest_mode,
                                     pads_begin=(0,) * rank, pads_end=(0,) * rank)
    return None


def _read_span(matrix: np.ndarray) -> tuple[int, int]:
    """[first, last + 1) of the input positions any output reads."""
    used = np.flatnonzero(np.any(matrix != 0, axis=0))
    return (int(used[0]), int(used[-1]) + 1) if used.size else (0, matrix.shape[1])


def resize_2d(b: NodeBuilder, x: Output, rows: np.ndarray, cols: np.ndarray) -> Output:
    """x [..., H, W] -> [..., Ho, Wo] = rows @ x @ cols^T, for x of static rank >= 2."""
    rank = x.shape.rank
    assert rank is not None and rank >= 2
    rows, cols = np.asarray(rows, F32), np.asarray(cols, F32)
    (r0, r1), (c0, c1) = _read_span(rows), _read_span(cols)
    whole = ((0, 0), (rows.shape[1], cols.shape[1]))
    spans = [whole] + ([((r0, c0), (r1, c1))] if ((r0, c0), (r1, c1)) != whole else [])
    for begin, end in spans:
        op = interpolate_for(rows[:, begin[0]:end[0]], cols[:, begin[1]:end[1]], rank)
        if op is None:
            continue
        axes = b.const(np.array([rank - 2, rank - 1], np.int64))
        source = x
        if (begin, end) != whole:
            source = b.out(ops.Slice(), x, b.const(np.array(begin, np.int64)), b.const(np.array(end, np.int64)),
                           b.const(np.ones(2, np.int64)), axes)
        return b.out(op, source, b.const(np.array([rows.shape[0], cols.shape[0]], np.int64)), axes)
    if _one_hot(rows) and _one_hot(cols):
        y = b.out(ops.Gather(), x, b.const(rows.argmax(axis=1).astype(np.int64)), b.const(np.int64(rank - 2)))
        return b.out(ops.Gather(), y, b.const(cols.argmax(axis=1).astype(np.int64)), b.const(np.int64(rank - 1)))
    y = b.out(ops.MatMul(), b.const(rows), x)                                   # [..., Ho, W]
    return b.out(ops.MatMul(transpose_b=True), y, b.const(cols))                # [..., Ho, Wo]
