"""BilinearResize2D: MXNet's rule written down as one interpolation matrix per axis, built by
frontends.resampling as one Interpolate (linear_onnx) whenever that computes the same weights, else as MatMuls.
Static spatial sizes."""
from __future__ import annotations

import numpy as np

from irforge.core.graph import Output

from ...resampling import resize_2d
from ..node import MxNode


def interpolation_matrix(size_in: int, size_out: int, align_corners: bool) -> np.ndarray:
    """M [size_out, size_in] with y = M @ x along one axis (MXNet's source-coordinate rules)."""
    m = np.zeros((size_out, size_in), np.float64)
    for i in range(size_out):
        if align_corners:
            src = i * (size_in - 1) / (size_out - 1) if size_out > 1 else 0.0
        else:
            src = max((i + 0.5) * size_in / size_out - 0.5, 0.0)
        lo = min(int(np.floor(src)), size_in - 1)
        hi = min(lo + 1, size_in - 1)
        frac = src - lo
        m[i, lo] += 1 - frac
        m[i, hi] += frac
    return m.astype(np.float32)


def bilinear_resize(n: MxNode) -> list[Output]:
    """mode size (height/width or scale_height/scale_width) or like; align_corners. One Interpolate-11."""
    x = n.input(0)
    if x.shape.rank != 4 or not all(isinstance(d, int) for d in x.shape.dims[2:]):  # type: ignore[index]
        raise n.error("BilinearResize2D needs [N, C, H, W] with known H and W: give --input_shape")
    h_in, w_in = x.shape[2], x.shape[3]
    mode = n.str("mode", "size")
    if mode == "like":
        like = n.input(1)
        if like.shape.rank != 4 or not all(isinstance(d, int) for d in like.shape.dims[2:]):  # type: ignore
            raise n.error("BilinearResize2D mode=like needs the reference's H and W")
        h_out, w_out = like.shape[2], like.shape[3]
    elif mode == "size":
        if n.has("scale_height"):
            h_out = int(h_in * n.float("scale_height"))  # type: ignore[operator]
            w_out = int(w_in * n.float("scale_width", n.float("scale_height")))  # type: ignore[operator]
        else:
            h_out, w_out = n.int("height"), n.int("width")
    else:
        raise n.error(f"mode {mode} is not supported (size, like)")
    align = n.bool("align_corners", True)
    return [resize_2d(n, x, interpolation_matrix(h_in, h_out, align), interpolation_matrix(w_in, w_out, align))]
