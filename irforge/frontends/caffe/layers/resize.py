"""Interp (DeepLab / PSPNet): bilinear resizing with aligned corners, after cropping by the negative pads.

Written as two constant interpolation matrices (rows, then columns) applied by MatMul: exact separable bilinear
resizing for static sizes, without an Interpolate op (irforge's opset has none yet)."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Output

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
    rows = ctx.const(interpolation_matrix(height, -pad_beg, h_eff, h_out))     # [Ho, H]
    cols = ctx.const(interpolation_matrix(width, -pad_beg, w_eff, w_out))      # [Wo, W]
    y = ctx.out(ops.MatMul(), rows, x)                                         # [N, C, Ho, W]
    return [ctx.out(ops.MatMul(transpose_b=True), y, cols)]                    # [N, C, Ho, Wo]
