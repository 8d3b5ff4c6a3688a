"""Resize and Upsample.

Where ONNX's resize means what OpenVINO's Interpolate-11 computes (nearest, linear, cubic with the common
coordinate transformations) the translation is one Interpolate. The rest (antialiasing, cubic with
exclude_outside, half_pixel_symmetric, tf_crop_and_resize with its extrapolation value, keep_aspect_ratio_policy,
and output sizes the runtime would round differently) needs static shapes and is built exactly as ONNX defines
it: resizing is separable, so each axis is a MatMul by an [in, out] weight matrix (a Gather for nearest)
computed here."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output
from irforge.ops.interpolate import F32, SHAPE_EPSILON

from ..node import OnnxNode
from .generic import i64

OV_COORDINATES = ("half_pixel", "pytorch_half_pixel", "asymmetric", "tf_half_pixel_for_nn", "align_corners")
OV_MODES = {"nearest": "nearest", "linear": "linear_onnx", "bilinear": "linear_onnx", "cubic": "cubic",
            "bicubic": "cubic"}


@dataclass
class ResizeSpec:
    mode: str
    coordinates: str
    nearest_mode: str
    cubic_a: float
    exclude_outside: bool
    extrapolation: float
    antialias: bool
    keep_aspect: str
    axes: list[int]                   # the resized axes, non-negative
    scales: list[float] | None        # per resized axis, when the model gives scales
    sizes: list[int] | None           # per resized axis, when the model gives sizes
    roi: list[float] | None           # [starts..., ends...] per resized axis (tf_crop_and_resize)


def _values(n: OnnxNode, i: int) -> np.ndarray | None:
    if not n.has(i):
        return None
    v = n.value(i)
    return None if v is None or v.size == 0 else np.asarray(v)


def resize(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    rank = x.shape.rank
    if rank is None:
        raise n.error("Resize needs an input of known rank")
    if n.opset < 11:
        scales_in, sizes_in, roi_in = 1, None, None
        coordinates = "asymmetric"
        nearest_mode = "floor"
    else:
        scales_in, sizes_in, roi_in = 2, 3, 1
        coordinates = n.attr("coordinate_transformation_mode", "half_pixel")
        nearest_mode = n.attr("nearest_mode", "round_prefer_floor")
    axes = [a + rank if a < 0 else a for a in n.ints("axes")] or list(range(rank))
    scales = _values(n, scales_in)
    sizes = _values(n, sizes_in) if sizes_in is not None else None
    roi = _values(n, roi_in) if roi_in is not None else None
    if scales is None and sizes is None:
        runtime = n.optional(sizes_in) if sizes_in is not None and n.has(sizes_in) else n.optional(scales_in)
        if runtime is None:
            raise n.error("needs scales or sizes")
        return [_runtime_interpolate(n, x, runtime, sizes_in is not None and n.has(sizes_in), axes, coordinates,
                                     nearest_mode, n.attr("mode", "nearest"))]
    spec = ResizeSpec(
        mode=n.attr("mode", "nearest"), coordinates=coordinates, nearest_mode=nearest_mode,
        cubic_a=float(n.attr("cubic_coeff_a", -0.75)), exclude_outside=bool(n.attr("exclude_outside", 0)),
        extrapolation=float(n.attr("extrapolation_value", 0.0)), antialias=bool(n.attr("antialias", 0)),
        keep_aspect=n.attr("keep_aspect_ratio_policy", "stretch"), axes=axes,
        scales=None if scales is None else [float(s) for s in scales.reshape(-1)],
        sizes=None if sizes is None else [int(s) for s in sizes.reshape(-1)],
        roi=None if roi is None else [float(r) for r in roi.reshape(-1)])
    if spec.roi is not None and len(spec.roi) == 2 * rank and len(axes) != rank:
        spec.roi = [spec.roi[a] for a in axes] + [spec.roi[rank + a] for a in axes]
    if spec.mode not in OV_MODES:
        raise n.error(f"mode {spec.mode!r} is not nearest, linear or cubic")
    if _runtime_agrees(x, spec):
        return [_interpolate(n, x, spec)]
    if not x.shape.is_static:
        raise n.error(f"this Resize ({spec.mode}, {spec.coordinates}"
                      f"{', antialias' if spec.antialias else ''}) needs an input of static shape")
    return [_separable(n, x, spec)]


def upsample(n: OnnxNode) -> list[Output]:
    """Upsample-7/9: scales for every axis (attribute, then input 1), asymmetric coordinates, nearest floors."""
    x = n.input(0)
    if x.shape.rank is None:
        raise n.error("Upsample needs an input of known rank")
    if n.opset >= 9 and n.value(1) is None:
        return [_runtime_interpolate(n, x, n.input(1), False, list(range(x.shape.rank)), "asymmetric", "floor",
                                     n.attr("mode", "nearest"))]
    scales = n.floats("scales") if n.opset < 9 else [float(s) for s in n.const_value(1, "scales").reshape(-1)]
    spec = ResizeSpec(mode=n.attr("mode", "nearest"), coordinates="asymmetric", nearest_mode="floor",
                      cubic_a=-0.75, exclude_outside=False, extrapolation=0.0, antialias=False, keep_aspect="stretch",
                      axes=list(range(x.shape.rank)), scales=scales, sizes=None, roi=None)
    if _runtime_agrees(x, spec):
        return [_interpolate(n, x, spec)]
    return [_separable(n, x, spec)]


# -- one Interpolate ------------------------------------------------------------------------------------------
def _onnx_output_sizes(in_dims: list[int], spec: ResizeSpec) -> tuple[list[int], list[float]]:
    """ONNX's output length and coordinate scale per resized axis."""
    if spec.sizes is not None:
        scales = [s / d for s, d in zip(spec.sizes, in_dims)]
        if spec.keep_aspect in ("not_larger", "not_smaller"):
            common = min(scales) if spec.keep_aspect == "not_larger" else max(scales)
            return [int(common * d + 0.5) for d in in_dims], [common] * len(in_dims)
        return list(spec.sizes), scales
    assert spec.scales is not None
    return [int(s * d) for s, d in zip(spec.scales, in_dims)], list(spec.scales)


def _runtime_agrees(x: Output, spec: ResizeSpec) -> bool:
    """True when Interpolate-11 computes exactly what ONNX defines for this Resize."""
    if spec.antialias or spec.coordinates not in OV_COORDINATES or spec.keep_aspect != "stretch":
        return False
    if spec.mode in ("cubic", "bicubic") and spec.exclude_outside:
        return False
    if spec.scales is not None and x.shape.rank is not None:
        # The runtime floors dim * scale + 1e-5 in float32; ONNX floors dim * scale.
        for a, s in zip(spec.axes, spec.scales):
            d = x.shape[a]
            if isinstance(d, int) and math.floor(F32(d) * F32(s) + F32(SHAPE_EPSILON)) != int(d * s):
                return False
            # align_corners: ONNX divides by dim * scale - 1, the runtime by the integer output length - 1.
            if spec.coordinates == "align_corners" and (not isinstance(d, int) or d * s != int(d * s)):
                return False
    if spec.coordinates == "pytorch_half_pixel" and spec.mode in ("cubic", "bicubic"):
        return False  # an output length of 1 reads at -0.5 in ONNX, at 0 in the runtime
    return True


def _interpolate(n: OnnxNode, x: Output, spec: ResizeSpec) -> Output:
    rank = x.shape.rank
    assert rank is not None
    axes = spec.axes
    mode = OV_MODES[spec.mode]
    if mode == "linear_onnx" and sorted(axes) != list(range(rank)) and sorted(axes) != list(range(2, rank)):
        # Spell the other axes out with scale 1 (size unchanged).
        axes = list(range(rank))
        spec = _expand_to_all_axes(x, spec)
    op = ops.Interpolate11(mode=mode, shape_calculation_mode="sizes" if spec.sizes is not None else "scales",
                           coordinate_transformation_mode=spec.coordinates, nearest_mode=spec.nearest_mode,
                           cube_coeff=spec.cubic_a, pads_begin=(0,) * rank, pads_end=(0,) * rank)
    target = n.const(i64(spec.sizes)) if spec.sizes is not None else \
        n.const(np.asarray(spec.scales, np.float32))
    return n.out(op, x, target, n.const(i64(axes)))


def _expand_to_all_axes(x: Output, spec: ResizeSpec) -> ResizeSpec:
    rank = x.shape.rank
    assert rank is not None
    by_axis = dict(zip(spec.axes, spec.sizes or spec.scales or []))
    if spec.sizes is not None:
        sizes = [by_axis.get(a, x.shape[a]) for a in range(rank)]
        return ResizeSpec(**{**spec.__dict__, "axes": list(range(rank)), "sizes": sizes})
    scales = [by_axis.get(a, 1.0) for a in range(rank)]
    return ResizeSpec(**{**spec.__dict__, "axes": list(range(rank)), "scales": scales})


def _runtime_interpolate(n: OnnxNode, x: Output, target: Output, is_sizes: bool, axes: list[int],
                         coordinates: str, nearest_mode: str, onnx_mode: str) -> Output:
    """Scales or sizes known only at run time: one Interpolate. The exact construction needs their values, so
    what Interpolate cannot express is an error. (align_corners with scales is exact when dim * scale is a whole
    number: ONNX divides by dim * scale - 1, the runtime by the integer output length - 1.)"""
    mode = OV_MODES.get(onnx_mode)
    unsupported = [what for what, bad in (
        (f"mode {onnx_mode!r}", mode is None),
        (f"coordinate_transformation_mode {coordinates!r}", coordinates not in OV_COORDINATES),
        ("antialias", bool(n.attr("antialias", 0))),
        ("exclude_outside", bool(n.attr("exclude_outside", 0)) and mode == "cubic"),
        (f"keep_aspect_ratio_policy {n.attr('keep_aspect_ratio_policy', 'stretch')!r}",
         n.attr("keep_aspect_ratio_policy", "stretch") != "stretch")) if bad]
    if unsupported:
        raise n.error(f"{' and '.join(unsupported)} need the scales / sizes / roi at conversion time (OpenVINO's "
                      "Interpolate has no such mode; irforge builds it exactly from known values)")
    rank = x.shape.rank
    assert rank is not None
    if is_sizes:
        target = n.out(ops.Convert(ElementType.i64), target)
    elif target.element_type != ElementType.f32:
        target = n.out(ops.Convert(ElementType.f32), target)
    op = ops.Interpolate11(mode=mode, shape_calculation_mode="sizes" if is_sizes else "scales",
                           coordinate_transformation_mode=coordinates, nearest_mode=nearest_mode,
                           cube_coeff=float(n.attr("cubic_coeff_a", -0.75)), pads_begin=(0,) * rank,
                           pads_end=(0,) * rank)
    return n.out(op, x, target, n.const(i64(axes)))


# -- exact separable construction ---------------------------------------------------------------------------------
def _source(spec: ResizeSpec, k: int, out_len: int, in_len: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """ONNX's input coordinate of each output index (float64) and which ones extrapolate."""
    y = np.arange(out_len, dtype=np.float64)
    exact = scale * in_len
    outside = np.zeros(out_len, bool)
    mode = spec.coordinates
    if mode == "align_corners":
        x = np.zeros(out_len) if exact == 1 else y * (in_len - 1) / (exact - 1)
    elif mode == "asymmetric":
        x = y / scale
    elif mode == "tf_crop_and_resize":
        assert spec.roi is not None
        start, end = spec.roi[k], spec.roi[len(spec.axes) + k]
        x = np.full(out_len, (end - start) * (in_len - 1) / 2) if exact == 1 else \
            y * (end - start) * (in_len - 1) / (exact - 1)
        x = x + start * (in_len - 1)
        outside = (x < 0) | (x > in_len - 1)
    elif mode == "pytorch_half_pixel":
        x = np.full(out_len, -0.5) if exact == 1 else (y + 0.5) / scale - 0.5
    elif mode == "half_pixel":
        x = (y + 0.5) / scale - 0.5
    elif mode == "half_pixel_symmetric":
        offset = in_len / 2 * (1 - out_len / exact)
        x = offset + (y + 0.5) / scale - 0.5
    elif mode == "tf_half_pixel_for_nn":
        x = (y + 0.5) / scale
    else:
        raise ValueError(f"coordinate_transformation_mode {mode!r} is not one ONNX defines")
    return x, outside


def _coefficients(spec: ResizeSpec, ratio: float, scale: float) -> np.ndarray:
    """Kernel weights for a source position at fraction `ratio` (in (0, 1]) past the pixel on its left."""
    if spec.mode == "nearest":
        if ratio == 1:
            return np.array([0.0, 1.0])
        rule = spec.nearest_mode
        if rule == "round_prefer_floor":
            return np.array([ratio <= 0.5, ratio > 0.5], float)
        if rule == "round_prefer_ceil":
            return np.array([ratio < 0.5, ratio >= 0.5], float)
        return np.array([1.0, 0.0]) if rule == "floor" else np.array([0.0, 1.0])
    if spec.mode in ("linear", "bilinear"):
        if not spec.antialias:
            return np.array([1 - ratio, ratio])
        s = min(scale, 1.0)
        start = int(np.floor(-1 / s) + 1)
        taps = (np.arange(start, start + 2 - 2 * start) - ratio) * s
        w = np.clip(1 - np.abs(taps), 0, 1)
        return w / w.sum()
    a = spec.cubic_a
    if not spec.antialias:
        t = ratio
        return np.array([((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
                         ((a + 2) * t - (a + 3)) * t * t + 1,
                         ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
                         ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a])
    s = min(scale, 1.0)
    start = int(np.floor(-2 / s) + 1)
    d = np.abs(s * (np.arange(start, 2 - start) - ratio))
    w = np.where(d <= 1, (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1,
                 np.where(d < 2, a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a, 0.0))
    return w / w.sum()


def axis_weights(spec: ResizeSpec, k: int, out_len: int, in_len: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """[out, in] weights of one resized axis as ONNX defines them (edge pixels repeat beyond the border unless
    exclude_outside), and the output positions that take the extrapolation value."""
    coords, outside = _source(spec, k, out_len, in_len, scale)
    weights = np.zeros((out_len, in_len))
    for i, x in enumerate(coords):
        left = math.floor(x)
        ratio = 1.0 if x == left else x - left
        coeffs = _coefficients(spec, ratio, scale)
        taps = len(coeffs)
        # The taps: the `taps` integers nearest x, ties going to the smaller one.
        if taps % 2 == 0:
            first = left - taps // 2 + (0 if x == left else 1)
        else:
            first = left - (taps - 1) // 2 + (1 if x - left > 0.5 else 0)
        idx = np.arange(first, first + taps)
        if spec.exclude_outside:
            coeffs = np.where((idx < 0) | (idx >= in_len), 0.0, coeffs)
            total = coeffs.sum()
            coeffs = coeffs / (total if total else 1.0)
        np.add.at(weights[i], np.clip(idx, 0, in_len - 1), coeffs)
    return weights, outside


def _separable(n: OnnxNode, x: Output, spec: ResizeSpec) -> Output:
    rank = x.shape.rank
    assert rank is not None and x.shape.is_static
    dims = list(x.shape.to_static())
    in_dims = [dims[a] for a in spec.axes]
    out_sizes, scales = _onnx_output_sizes(in_dims, spec)
    compute = ElementType.f64 if x.element_type == ElementType.f64 else ElementType.f32
    y = x if x.element_type == compute or spec.mode == "nearest" else n.out(ops.Convert(compute), x)
    for k, (a, out_len, in_len, scale) in enumerate(zip(spec.axes, out_sizes, in_dims, scales)):
        if out_len == in_len and scale == 1.0 and spec.coordinates != "tf_crop_and_resize":
            continue
        weights, outside = axis_weights(spec, k, out_len, in_len, scale)
        if spec.mode == "nearest":
            y = n.out(ops.Gather(), y, n.const(i64(np.argmax(weights, axis=1))), n.const(i64(a)))
        else:
            y = _matmul_along(n, y, weights.astype(compute.numpy), a, rank)
        if outside.any():
            shape = [1] * rank
            shape[a] = out_len
            fill = n.const(np.array(spec.extrapolation, y.element_type.numpy), y.element_type)
            y = n.out(ops.Select(), n.const(outside.reshape(shape)), fill, y)
    if y.element_type != x.element_type:
        if not x.element_type.is_float:
            y = n.out(ops.Round(mode="half_to_even"), y)
        y = n.out(ops.Convert(x.element_type), y)
    return y


def _matmul_along(n: OnnxNode, x: Output, weights: np.ndarray, axis: int, rank: int) -> Output:
    """out[..., i, ...] = sum_j weights[i, j] x[..., j, ...] along `axis`."""
    if axis == rank - 1:
        return n.out(ops.MatMul(transpose_b=True), x, n.const(weights))
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    moved = n.out(ops.Transpose(), x, n.const(i64(perm)))
    y = n.out(ops.MatMul(transpose_b=True), moved, n.const(weights))
    return n.out(ops.Transpose(), y, n.const(i64(perm)))
