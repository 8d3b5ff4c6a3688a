"""Interpolate-4 and Interpolate-11: resizing along some axes with nearest, linear (with antialiasing),
linear_onnx, cubic and (v11) Pillow's bilinear / bicubic filters.

Every mode is separable, so evaluation resizes one axis at a time: nearest gathers, the others multiply by an
[out, in] weight matrix built per axis. Coordinates are computed in float32, as the runtime computes them, so
that nearest picks the same pixels.

irforge follows the specification as OpenVINO's reference implementation (its constant folding) computes it:
`antialias` widens the triangle filter of mode linear on downsampled axes, and Pillow's bicubic filter uses
cube_coeff. The CPU plugin ignores both (docs/OPENVINO_QUIRKS.md); tests/ops compare those cases against
OpenVINO's constant folding. Integer results are rounded to nearest even."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from irforge.core.shape import DYNAMIC, Dim, Interval, make_dim

from .base import Op, PartialShape, TensorInfo, normalize_axis, partial_value

F32 = np.float32
SHAPE_EPSILON = 1e-5  # the runtime adds this before flooring dim * scale (so 0.6 * 5 gives 3, not 2)


# -- coordinates -------------------------------------------------------------------------------------------------
def source_coords(mode: str, out_len: int, in_len: int, scale: float) -> np.ndarray:
    """Input coordinate (float32) of each output index along one axis."""
    x = np.arange(out_len, dtype=F32)
    s, lr, lo = F32(scale), F32(out_len), F32(in_len)
    if s == F32(1) or out_len == in_len:
        return x
    with np.errstate(all="ignore"):
        if mode == "half_pixel":
            return (x + F32(0.5)) / s - F32(0.5)
        if mode == "pytorch_half_pixel":
            return (x + F32(0.5)) / s - F32(0.5) if out_len > 1 else np.zeros_like(x)
        if mode == "asymmetric":
            return x / s
        if mode == "tf_half_pixel_for_nn":
            return (x + F32(0.5)) / s
        if mode == "align_corners":
            return np.zeros_like(x) if out_len == 1 else x * (lo - F32(1)) / (lr - F32(1))
    raise ValueError(f"coordinate_transformation_mode {mode!r} is not one of half_pixel, pytorch_half_pixel, "
                     "asymmetric, tf_half_pixel_for_nn, align_corners")


def nearest_index(coords: np.ndarray, mode: str, downsample: bool, in_len: int) -> np.ndarray:
    """Nearest input index of each coordinate, clamped into the axis."""
    if mode == "round_prefer_floor":
        halfway = coords == np.trunc(coords) + F32(0.5)
        idx = np.where(halfway, np.floor(coords), _round_half_away(coords))
    elif mode == "round_prefer_ceil":
        idx = _round_half_away(coords)
    elif mode == "floor":
        idx = np.floor(coords)
    elif mode == "ceil":
        idx = np.ceil(coords)
    elif mode == "simple":
        idx = np.ceil(coords) if downsample else np.trunc(coords)
    else:
        raise ValueError(f"nearest_mode {mode!r} is not one of round_prefer_floor, round_prefer_ceil, floor, ceil, "
                         "simple")
    return np.clip(idx.astype(np.int64), 0, in_len - 1)


def _round_half_away(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + F32(0.5))


# -- per-axis weight matrices ([out, in]) -------------------------------------------------------------------------
def linear_onnx_weights(coords: np.ndarray, in_len: int) -> np.ndarray:
    """Two taps, the coordinate clamped into the axis."""
    c = np.clip(coords, F32(0), F32(in_len - 1))
    lo = np.minimum(c.astype(np.int64), in_len - 1)
    hi = np.minimum(lo + 1, in_len - 1)
    w_lo, w_hi = np.abs(c - hi.astype(F32)), np.abs(c - lo.astype(F32))
    same = lo == hi
    w_lo, w_hi = np.where(same, F32(0.5), w_lo), np.where(same, F32(0.5), w_hi)
    weights = np.zeros((len(c), in_len), F32)
    rows = np.arange(len(c))
    np.add.at(weights, (rows, lo), w_lo)
    np.add.at(weights, (rows, hi), w_hi)
    return weights


def cubic_coefficients(t: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution weights of the taps at -1, 0, 1, 2 for fractional offsets t: [len(t), 4]."""
    a = F32(a)
    t = np.abs(t).astype(F32)
    one = F32(1)
    return np.stack([
        ((a * (t + one) - F32(5) * a) * (t + one) + F32(8) * a) * (t + one) - F32(4) * a,
        ((a + F32(2)) * t - (a + F32(3))) * t * t + one,
        ((a + F32(2)) * (one - t) - (a + F32(3))) * (one - t) * (one - t) + one,
        ((a * (F32(2) - t) - F32(5) * a) * (F32(2) - t) + F32(8) * a) * (F32(2) - t) - F32(4) * a,
    ], axis=1)


def cubic_weights(coords: np.ndarray, in_len: int, a: float) -> np.ndarray:
    """Four taps around floor(coordinate), their indices clamped into the axis (edge pixels repeat)."""
    base = np.floor(coords).astype(np.int64)
    coeffs = cubic_coefficients(coords - base.astype(F32), a)
    weights = np.zeros((len(coords), in_len), F32)
    rows = np.arange(len(coords))
    for k in range(4):
        np.add.at(weights, (rows, np.clip(base + k - 1, 0, in_len - 1)), coeffs[:, k])
    return weights


def triangle_weights(coords: np.ndarray, in_len: int, scale: float, antialias: bool) -> np.ndarray:
    """The runtime's "linear" mode: a triangle filter around round(coordinate), widened by 1 / scale when
    antialiasing a downsampled axis, normalised by the sum of the weights that fall inside the axis."""
    a = F32(scale) if antialias else F32(1)
    radius = 2 if scale > 1.0 else int(math.ceil(F32(2) / a))
    center = _round_half_away(coords).astype(np.int64)
    weights = np.zeros((len(coords), in_len), F32)
    for offset in range(-radius, radius + 1):
        idx = center + offset
        inside = (idx >= 0) & (idx < in_len)
        w = a * np.maximum(F32(0), F32(1) - np.abs(a * (coords - idx.astype(F32))))
        rows = np.nonzero(inside)[0]
        np.add.at(weights, (rows, idx[inside]), w[inside])
    total = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, total, out=np.zeros_like(weights), where=total != 0)


def pillow_weights(out_len: int, in_len: int, kind: str, cube_coeff: float = -0.5) -> np.ndarray:
    """Pillow's resampling filter: support widened by the downscale factor, centers at (x + 0.5) * in / out,
    weights normalised per output pixel."""
    support_base = 1.0 if kind == "bilinear_pillow" else 2.0
    scale = in_len / out_len
    filter_scale = max(scale, 1.0)
    support = support_base * filter_scale
    weights = np.zeros((out_len, in_len), np.float64)
    for xx in range(out_len):
        center = (xx + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_len)
        x = (np.arange(lo, hi) - center + 0.5) / filter_scale
        w = _bilinear_filter(x) if kind == "bilinear_pillow" else _bicubic_filter(x, cube_coeff)
        total = w.sum()
        weights[xx, lo:hi] = w / total if total else w
    return weights.astype(F32)


def _bilinear_filter(x: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, 1.0 - np.abs(x))


def _bicubic_filter(x: np.ndarray, a: float) -> np.ndarray:
    x = np.abs(x)
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = (((x - 5.0) * x + 8.0) * x - 4.0) * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def apply_weights(x: np.ndarray, weights: np.ndarray, axis: int) -> np.ndarray:
    """Resample one axis: out[..., i, ...] = sum_j weights[i, j] * x[..., j, ...] (accumulated in float32)."""
    moved = np.moveaxis(x.astype(F32 if x.dtype != np.float64 else np.float64), axis, -1)
    return np.moveaxis(moved @ weights.T.astype(moved.dtype), -1, axis)


# -- the ops ----------------------------------------------------------------------------------------------------
MODES_V4 = ("nearest", "linear", "linear_onnx", "cubic")
MODES_V11 = MODES_V4 + ("bilinear_pillow", "bicubic_pillow")


@dataclass(frozen=True)
class Interpolate(Op):
    """opset4 Interpolate: inputs (data, sizes [int], scales [float], axes?). `shape_calculation_mode` says
    whether sizes or scales give the output shape; the other input is still present. Both pads are applied
    (zeros) before resizing; without axes every axis may be resized."""

    TYPE = "Interpolate"
    VERSION = "opset4"
    MODES = MODES_V4
    mode: str = "nearest"
    shape_calculation_mode: str = "sizes"
    coordinate_transformation_mode: str = "half_pixel"
    nearest_mode: str = "round_prefer_floor"
    antialias: bool = False
    pads_begin: tuple[int, ...] = field(default=(0,))
    pads_end: tuple[int, ...] = field(default=(0,))
    cube_coeff: float = -0.75

    # -- input roles (v11 overrides) --
    def split_inputs(self, inputs: Sequence) -> tuple[object, object | None, object | None, object | None]:
        """(data, sizes, scales, axes) from the op's inputs."""
        data, sizes, scales = inputs[0], inputs[1], inputs[2]
        return data, sizes, scales, inputs[3] if len(inputs) > 3 else None

    def _check(self) -> None:
        if self.mode not in self.MODES:
            raise ValueError(f"Interpolate mode {self.mode!r} is not one of {', '.join(self.MODES)}")
        if self.shape_calculation_mode not in ("sizes", "scales"):
            raise ValueError(f"shape_calculation_mode {self.shape_calculation_mode!r} is not sizes or scales")

    def _pads(self, rank: int) -> tuple[list[int], list[int]]:
        begin = (list(self.pads_begin) + [0] * rank)[:rank]
        end = (list(self.pads_end) + [0] * rank)[:rank]
        return begin, end

    def infer(self, *inputs: TensorInfo) -> list[TensorInfo]:
        self._check()
        data, sizes, scales, axes = self.split_inputs(inputs)
        assert isinstance(data, TensorInfo)
        if data.rank is None:
            return [TensorInfo(data.element_type, PartialShape(None))]
        rank = data.rank
        begin, end = self._pads(rank)
        dims: list[Dim] = []
        for d, b, e in zip(data.shape, begin, end):
            dims.append(d + b + e if isinstance(d, int) else make_dim(d.lower + b + e, None if d.upper is None
                                                                      else d.upper + b + e))
        axis_list = _known(axes)
        if axes is not None and axis_list is None:
            return [TensorInfo(data.element_type, PartialShape.dynamic(rank))]
        axis_list = [normalize_axis(int(a), rank) for a in axis_list] if axis_list is not None else list(range(rank))
        source = sizes if self.shape_calculation_mode == "sizes" else scales
        # Sizes computed from a dynamic shape keep their known elements (ShapeOf -> Slice -> Concat).
        values = (partial_value(source) if isinstance(source, TensorInfo) else None) \
            if self.shape_calculation_mode == "sizes" else _known(source)
        for k, a in enumerate(axis_list):
            if values is None:
                dims[a] = DYNAMIC
            elif self.shape_calculation_mode == "sizes":
                dims[a] = values[k]
            else:
                dims[a] = _scaled(dims[a], float(values[k]))
        return [TensorInfo(data.element_type, PartialShape(dims))]

    def evaluate(self, *inputs: np.ndarray) -> list[np.ndarray]:
        self._check()
        data, sizes, scales, axes = self.split_inputs(inputs)
        assert isinstance(data, np.ndarray)
        rank = data.ndim
        begin, end = self._pads(rank)
        if any(begin) or any(end):
            data = np.pad(data, list(zip(begin, end)))
        axis_list = [normalize_axis(int(a), rank) for a in np.asarray(axes).reshape(-1)] if axes is not None \
            else list(range(rank))
        if self.shape_calculation_mode == "sizes":
            out_sizes = [int(v) for v in np.asarray(sizes).reshape(-1)]
            axis_scales = [F32(o) / F32(data.shape[a]) for o, a in zip(out_sizes, axis_list)]
        else:
            axis_scales = [F32(v) for v in np.asarray(scales).reshape(-1)]
            out_sizes = [int(_scaled(data.shape[a], float(s))) for a, s in zip(axis_list, axis_scales)]
        return [self.resample(data, axis_list, out_sizes, axis_scales)]

    def resample(self, data: np.ndarray, axes: list[int], sizes: list[int], scales: list) -> np.ndarray:
        if self.mode == "nearest":
            out = data
            for a, size, s in zip(axes, sizes, scales):
                coords = source_coords(self.coordinate_transformation_mode, size, data.shape[a], s)
                out = np.take(out, nearest_index(coords, self.nearest_mode, s < 1, data.shape[a]), axis=a)
            return out
        if self.mode in ("bilinear_pillow", "bicubic_pillow") and len(axes) != 2:
            raise ValueError("Pillow modes resize exactly two axes")
        downsample = any(s < 1 for s in scales)
        out = data
        for a, size, s in zip(axes, sizes, scales):
            n = data.shape[a]
            if self.mode in ("bilinear_pillow", "bicubic_pillow"):
                weights = pillow_weights(size, n, self.mode, self.cube_coeff)
            else:
                coords = source_coords(self.coordinate_transformation_mode, size, n, s)
                if self.mode == "linear_onnx":
                    weights = linear_onnx_weights(coords, n)
                elif self.mode == "cubic":
                    weights = cubic_weights(coords, n, self.cube_coeff)
                else:
                    weights = triangle_weights(coords, n, s, self.antialias and downsample)
            out = apply_weights(out, weights, a)
        if data.dtype.kind in "iu":
            out = np.rint(out)
        return out.astype(data.dtype)


def _known(info) -> list | None:
    if info is None:
        return None
    value = info.value if isinstance(info, TensorInfo) else info
    return None if value is None else list(np.asarray(value).reshape(-1))


def _scaled(d: Dim, scale: float) -> Dim:
    """floor(dim * scale + epsilon), the runtime's output length for a scale."""
    if isinstance(d, int):
        return int(math.floor(F32(d) * F32(scale) + F32(SHAPE_EPSILON)))  # all in float32, as the runtime
    assert isinstance(d, Interval)
    return make_dim(int(math.floor(d.lower * scale + SHAPE_EPSILON)),
                    None if d.upper is None else int(math.floor(d.upper * scale + SHAPE_EPSILON)))


@dataclass(frozen=True)
class Interpolate11(Interpolate):
    """opset11 Interpolate: inputs (data, scales_or_sizes, axes?); input 1 is an integer tensor of sizes or a
    float tensor of scales as shape_calculation_mode says. Adds the Pillow modes."""

    TYPE = "Interpolate"
    VERSION = "opset11"
    MODES = MODES_V11

    def split_inputs(self, inputs: Sequence) -> tuple[object, object | None, object | None, object | None]:
        data, target = inputs[0], inputs[1]
        axes = inputs[2] if len(inputs) > 2 else None
        if self.shape_calculation_mode == "sizes":
            return data, target, None, axes
        return data, None, target, axes


OPS: tuple[type[Op], ...] = (Interpolate, Interpolate11)
__all__ = [c.__name__ for c in OPS]
