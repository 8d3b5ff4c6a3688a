"""Resampling layers: Interp (DeepLab / PSPNet), Resample (FlowNet2), SpatialTransformer (STN ports).

Interp is bilinear resizing with aligned corners, after cropping by the negative pads. Interp's and Resample's
rules are written down as one interpolation matrix per axis (the layer's float32 arithmetic);
frontends.resampling builds them as one Interpolate whenever that computes the same weights, else as Gathers or
MatMuls (Interp becomes linear_onnx with align_corners, after a Slice for the crop). SpatialTransformer is a
GridSample."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Output

from ...resampling import resize_2d
from ..context import LayerContext


def interpolation_matrix(size_in: int, begin: int, size_eff: int, size_out: int) -> np.ndarray:
    """M [size_out, size_in] with y = M @ x along one axis: Caffe's interp2 over x[begin:begin + size_eff]
    (source i * (eff - 1) / (out - 1), computed in float32 as Caffe does)."""
    f = np.float32
    m = np.zeros((size_out, size_in), np.float32)
    ratio = f(size_eff - 1) / f(size_out - 1) if size_out > 1 else f(0)
    for i in range(size_out):
        src = ratio * f(i)
        lo = int(src)
        hi = lo + (1 if lo < size_eff - 1 else 0)
        lam = src - f(lo)
        m[i, begin + lo] += f(1) - lam
        m[i, begin + hi] += lam
    return m


def _out_size(ctx: LayerContext, p, eff: int, given: int | None) -> int:
    shrink, zoom = int(p.get("shrink_factor")), int(p.get("zoom_factor"))
    if p.has("shrink_factor") and shrink < 1 or p.has("zoom_factor") and zoom < 1:
        raise ctx.error("interp_param shrink_factor and zoom_factor must be >= 1")
    if p.has("shrink_factor") and not p.has("zoom_factor"):
        return (eff - 1) // shrink + 1
    if p.has("zoom_factor") and not p.has("shrink_factor"):
        return eff + (eff - 1) * (zoom - 1)
    if given is not None:
        return given
    if p.has("shrink_factor") and p.has("zoom_factor"):
        out = (eff - 1) // shrink + 1
        return out + (out - 1) * (zoom - 1)
    raise ctx.error("interp_param needs zoom_factor, shrink_factor, or height and width (or a second bottom)")


def interp(ctx: LayerContext) -> list[Output]:
    x = ctx.input()
    p = ctx.param("interp_param")
    shape = ctx.static_shape(x)
    if len(shape) != 4:
        raise ctx.error(f"Interp resizes 4-D inputs, got [{x.shape}]")
    pad_beg, pad_end = int(p.get("pad_beg")), int(p.get("pad_end"))
    if pad_beg > 0 or pad_end > 0:
        raise ctx.error(f"pad_beg {pad_beg} / pad_end {pad_end}: Caffe's Interp only crops (pads <= 0)")
    height, width = shape[2], shape[3]
    h_eff, w_eff = height + pad_beg + pad_end, width + pad_beg + pad_end
    if p.has("height") and p.has("width"):
        given_h, given_w = int(p.get("height")), int(p.get("width"))
    elif len(ctx.inputs) > 1:
        like = ctx.static_shape(ctx.input(1), "its second bottom")
        given_h, given_w = like[2], like[3]
    else:
        given_h = given_w = None
    h_out, w_out = _out_size(ctx, p, h_eff, given_h), _out_size(ctx, p, w_eff, given_w)
    rows = interpolation_matrix(height, -pad_beg, h_eff, h_out)     # [Ho, H]
    cols = interpolation_matrix(width, -pad_beg, w_eff, w_out)      # [Wo, W]
    return [resize_2d(ctx, x, rows, cols)]


# -- Resample (FlowNet2) ----------------------------------------------------------------------------------------
F32 = np.float32
RESAMPLE_KERNEL_WIDTH = {"LINEAR": 2, "CUBIC": 4}


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.where((x >= -1) & (x < 0), x + 1, np.where((x >= 0) & (x <= 1), 1 - x, 0)).astype(F32)


def _bicubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic with a = -0.5, as FlowNet2's bicubicCoeff."""
    x = np.abs(x)
    near = x * x * (F32(1.5) * x - F32(2.5)) + F32(1)
    far = x * (x * (F32(-0.5) * x + F32(2.5)) - F32(4)) + F32(2)
    return np.where(x <= 1, near, np.where(x < 2, far, 0)).astype(F32)


def resample_matrix(kind: str, size_in: int, size_out: int, factor: F32, other_factor: F32,
                    antialias: bool) -> np.ndarray:
    """M [size_out, size_in] of FlowNet2's Resample kernel along one axis (its float32 arithmetic). The source
    coordinate is out * f + f_other / 2 - 0.5: FlowNet2 adds the *other* axis' half factor (a typo in its kernel
    that only matters when the two factors differ). Nearest picks round(coordinate); LINEAR / CUBIC weigh the
    taps within round(coordinate) +- r by the triangle / cubic filter (widened by the factor when antialiasing
    a downsampling), normalised by their sum (the 2-D kernel's weights are products, so this is separable)."""
    coords = np.arange(size_out, dtype=F32) * factor + other_factor / F32(2) - F32(0.5)
    centers = np.sign(coords) * np.floor(np.abs(coords) + F32(0.5))   # C's round: half away from zero
    m = np.zeros((size_out, size_in), np.float64)
    rows = np.arange(size_out)
    if kind == "NEAREST":
        if centers.min() < 0 or centers.max() > size_in - 1:
            raise ValueError("nearest resampling reads outside the image here (the kernel does not clamp: "
                             "FlowNet2's layer reads past the row)")
        m[rows, centers.astype(np.int64)] = 1
        return m
    a = F32(1) / (factor if antialias else F32(1))
    radius = 2 if factor < 1 else int(np.ceil(F32(RESAMPLE_KERNEL_WIDTH[kind]) / a))
    coefficient = _triangle if kind == "LINEAR" else _bicubic
    for offset in range(-radius, radius + 1):
        taps = centers.astype(np.int64) + offset
        inside = (taps >= 0) & (taps < size_in)
        weights = a * coefficient(a * (coords - taps.astype(F32)))
        m[rows[inside], taps[inside]] += weights[inside]
    total = m.sum(axis=1, keepdims=True)
    return np.divide(m, total, out=np.zeros_like(m), where=total != 0)


def resample(ctx: LayerContext) -> list[Output]:
    """FlowNet2's Resample: to resample_param's width/height, or the second bottom's H and W; NEAREST, LINEAR or
    CUBIC, antialiased when downsampling (`antialias`, default on). As its CUDA kernel computes it."""
    x = ctx.input()
    if len(ctx.inputs) > 2:
        raise ctx.error(f"Resample takes one or two bottoms, got {len(ctx.inputs)}")
    shape = ctx.static_shape(x)
    if len(shape) != 4:
        raise ctx.error(f"Resample resizes 4-D inputs, got [{x.shape}]")
    p = ctx.param("resample_param")
    if len(ctx.inputs) == 2:
        like = ctx.static_shape(ctx.input(1), "its second bottom")
        if len(like) != 4:
            raise ctx.error(f"Resample's second bottom must be 4-D, got [{ctx.input(1).shape}]")
        h_out, w_out = like[2], like[3]
    else:
        h_out, w_out = int(p.get("height")), int(p.get("width"))
    if h_out < 1 or w_out < 1:
        raise ctx.error("resample_param needs height and width >= 1 (or a second bottom to take them from)")
    kind = str(p.get("type"))
    if kind not in ("NEAREST", "LINEAR", "CUBIC"):
        raise ctx.error(f"resample_param.type {kind} is not supported (FlowNet2's layer has NEAREST, LINEAR and "
                        "CUBIC)")
    h_in, w_in = shape[2], shape[3]
    fy, fx = F32(h_in) / F32(h_out), F32(w_in) / F32(w_out)
    antialias = bool(p.get("antialias")) and (fx > 1 or fy > 1)
    try:
        rows = resample_matrix(kind, h_in, h_out, fy, fx, antialias)
        cols = resample_matrix(kind, w_in, w_out, fx, fy, antialias)
    except ValueError as e:
        raise ctx.error(f"{h_in}x{w_in} -> {h_out}x{w_out}: {e}") from None
    return [resize_2d(ctx, x, rows, cols)]


# -- SpatialTransformer (Caffe ports of Spatial Transformer Networks) ---------------------------------------------
THETA_NAMES = ("theta_1_1", "theta_1_2", "theta_1_3", "theta_2_1", "theta_2_2", "theta_2_3")


def spatial_transformer(ctx: LayerContext) -> list[Output]:
    """Affine transform + bilinear sampling (st_param, the layer of daerduoCarey/SpatialTransformerLayer and its
    forks): theta [N, 2, 3] maps the output grid (s / H_out * 2 - 1, t / W_out * 2 - 1, 1) to (px, py); the output
    samples the input at row (px + 1) / 2 * H, column (py + 1) / 2 * W, zero outside. theta_i_j given in st_param
    are fixed; the second bottom [N, k] fills the others in order.

    Built as GridSample (align_corners false, zeros): its row ((gy + 1) * H - 1) / 2 is Caffe's row for
    gy = px + 1 / H, so the grid is the output grid times theta with its rows swapped (GridSample wants (x, y))
    and 1 / W, 1 / H added to the translations. Theta is assembled with one MatMul by a 0/1 placement matrix."""
    x, theta = ctx.input(0), ctx.input(1)
    shape = ctx.static_shape(x)
    if len(shape) != 4:
        raise ctx.error(f"SpatialTransformer reads [N, C, H, W], got [{x.shape}]")
    p = ctx.param("st_param")
    for name, allowed in (("transform_type", "affine"), ("sampler_type", "bilinear")):
        if str(p.get(name)) != allowed:
            raise ctx.error(f"st_param.{name} {p.get(name)!r} is not supported (the layer knows only {allowed!r})")
    if bool(p.get("de_transform")):
        raise ctx.error("st_param.de_transform (sampling with the inverse transform) is not supported")
    height, width = shape[2], shape[3]
    out_h = int(p.get("output_H")) if p.has("output_H") else height
    out_w = int(p.get("output_W")) if p.has("output_W") else width
    fixed = {i: float(p.get(name)) for i, name in enumerate(THETA_NAMES) if p.has(name)}
    free = [i for i in range(6) if i not in fixed]
    theta_shape = ctx.static_shape(theta, "its theta bottom")
    if not free or int(np.prod(theta_shape[1:], dtype=np.int64)) != len(free) or theta_shape[0] != shape[0]:
        raise ctx.error(f"theta [{theta.shape}] must be [N = {shape[0]}, {len(free)}]: 6 values per image minus "
                        f"the {len(fixed)} fixed in st_param (and at least one from the bottom)")
    swapped = (3, 4, 5, 0, 1, 2)                 # theta's rows (px, py) -> GridSample's (x = py, y = px)
    place = np.zeros((len(free), 6), F32)
    bias = np.zeros(6, F32)
    for k, i in enumerate(free):
        place[k, swapped.index(i)] = 1
    for i, value in fixed.items():
        bias[swapped.index(i)] = value
    bias[2] += F32(1) / F32(width)
    bias[5] += F32(1) / F32(height)
    flat = ctx.out(ops.Reshape(special_zero=False), theta, ctx.const(np.array([shape[0], len(free)], np.int64)))
    full = ctx.out(ops.Add(), ctx.out(ops.MatMul(), flat, ctx.const(place)), ctx.const(bias))
    full = ctx.out(ops.Reshape(special_zero=False), full, ctx.const(np.array([shape[0], 2, 3], np.int64)))
    s, t = np.divmod(np.arange(out_h * out_w), out_w)
    base = np.stack([s * 1.0 / out_h * 2 - 1, t * 1.0 / out_w * 2 - 1, np.ones(out_h * out_w)], axis=1)
    grid = ctx.out(ops.MatMul(transpose_b=True), ctx.const(base.astype(F32)), full)     # [N, Ho * Wo, 2]
    grid = ctx.out(ops.Reshape(special_zero=False), grid, ctx.const(np.array([shape[0], out_h, out_w, 2],
                                                                             np.int64)))
    return [ctx.out(ops.GridSample(align_corners=False, mode="bilinear", padding_mode="zeros"), x, grid)]
