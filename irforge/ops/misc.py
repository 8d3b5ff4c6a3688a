"""Rearrangements and sampling: DepthToSpace, SpaceToDepth, GridSample-9, Col2Im-15, DeformableConvolution-8."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge.core.shape import DYNAMIC, Dim, dim_mul

from .base import AutoPad, Op, PartialShape, TensorInfo
from .window import output_size, resolve_pads

MODES = ("blocks_first", "depth_first")


def _check_mode(op: Op, mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"{op.TYPE} mode {mode!r} is not blocks_first or depth_first")


@dataclass(frozen=True)
class DepthToSpace(Op):
    """opset1 DepthToSpace: [N, C * b^k, D1, ...] -> [N, C, D1 * b, ...]. blocks_first reads the channel index as
    (block offsets, C) (ONNX's DCR), depth_first as (C, block offsets) (CRD)."""

    TYPE = "DepthToSpace"
    mode: str = "blocks_first"
    block_size: int = 1

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        _check_mode(self, self.mode)
        if x.rank is None:
            return [TensorInfo(x.element_type, PartialShape(None))]
        k = x.rank - 2
        c = x.shape[1]
        factor = self.block_size ** k
        if isinstance(c, int) and c % factor:
            raise ValueError(f"DepthToSpace: {c} channels do not divide by block_size^{k} = {factor}")
        dims: list[Dim] = [x.shape[0], c // factor if isinstance(c, int) else DYNAMIC]
        dims += [dim_mul(d, self.block_size) for d in list(x.shape)[2:]]
        return [TensorInfo(x.element_type, PartialShape(dims))]

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        n, c, *spatial = x.shape
        b, k = self.block_size, len(spatial)
        if self.mode == "blocks_first":
            y = x.reshape([n] + [b] * k + [c // b ** k] + spatial)
            order = [0, k + 1] + [i for s in range(k) for i in (k + 2 + s, 1 + s)]
        else:
            y = x.reshape([n, c // b ** k] + [b] * k + spatial)
            order = [0, 1] + [i for s in range(k) for i in (2 + k + s, 2 + s)]
        y = y.transpose(order)
        return [y.reshape([n, c // b ** k] + [d * b for d in spatial])]


@dataclass(frozen=True)
class SpaceToDepth(Op):
    """opset1 SpaceToDepth: the inverse of DepthToSpace with the same modes."""

    TYPE = "SpaceToDepth"
    mode: str = "blocks_first"
    block_size: int = 1

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        _check_mode(self, self.mode)
        if x.rank is None:
            return [TensorInfo(x.element_type, PartialShape(None))]
        k = x.rank - 2
        dims: list[Dim] = [x.shape[0], dim_mul(x.shape[1], self.block_size ** k)]
        for d in list(x.shape)[2:]:
            if isinstance(d, int) and d % self.block_size:
                raise ValueError(f"SpaceToDepth: dim {d} does not divide by block_size {self.block_size}")
            dims.append(d // self.block_size if isinstance(d, int) else DYNAMIC)
        return [TensorInfo(x.element_type, PartialShape(dims))]

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        n, c, *spatial = x.shape
        b, k = self.block_size, len(spatial)
        y = x.reshape([n, c] + [v for d in spatial for v in (d // b, b)])
        blocks = [3 + 2 * s for s in range(k)]
        outer = [2 + 2 * s for s in range(k)]
        order = [0] + (blocks + [1] if self.mode == "blocks_first" else [1] + blocks) + outer
        return [y.transpose(order).reshape([n, c * b ** k] + [d // b for d in spatial])]


# -- GridSample ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GridSample(Op):
    """opset9 GridSample: data [N, C, H, W] sampled at grid [N, H_out, W_out, 2] of (x, y) in [-1, 1] -> [N, C,
    H_out, W_out]. align_corners maps -1 and 1 to the centers of the corner pixels (else to their outer edges);
    padding_mode says what lies outside: zeros, the border pixels, or the image reflected."""

    TYPE = "GridSample"
    VERSION = "opset9"
    align_corners: bool = False
    mode: str = "bilinear"
    padding_mode: str = "zeros"

    def infer(self, data: TensorInfo, grid: TensorInfo) -> list[TensorInfo]:
        if self.mode not in ("bilinear", "bicubic", "nearest"):
            raise ValueError(f"GridSample mode {self.mode!r} is not bilinear, bicubic or nearest")
        if self.padding_mode not in ("zeros", "border", "reflection"):
            raise ValueError(f"padding_mode {self.padding_mode!r} is not zeros, border or reflection")
        n = data.shape[0] if data.rank is not None else DYNAMIC
        c = data.shape[1] if data.rank is not None else DYNAMIC
        h, w = (grid.shape[1], grid.shape[2]) if grid.rank is not None else (DYNAMIC, DYNAMIC)
        return [TensorInfo(data.element_type, PartialShape([n, c, h, w]))]

    def unnormalize(self, coord: np.ndarray, size: int) -> np.ndarray:
        if self.align_corners:
            return (coord + 1) / 2 * (size - 1)
        return ((coord + 1) * size - 1) / 2

    def reflect(self, coord: np.ndarray, size: int) -> np.ndarray:
        low, high = (0.0, size - 1.0) if self.align_corners else (-0.5, size - 0.5)
        span = high - low
        if span <= 0:
            return np.zeros_like(coord)
        x = np.abs(coord - low)
        flips = np.floor(x / span)
        extra = x - flips * span
        return np.where(flips % 2 == 0, low + extra, high - extra)

    def source(self, coord: np.ndarray, size: int) -> np.ndarray:
        x = self.unnormalize(coord, size)
        if self.padding_mode == "border":
            return np.clip(x, 0, size - 1)
        if self.padding_mode == "reflection":
            return np.clip(self.reflect(x, size), 0, size - 1)
        return x

    def pixel(self, data: np.ndarray, n: int, y: np.ndarray, x: np.ndarray) -> np.ndarray:
        """data[n, :, y, x] for integer index arrays, with the padding mode outside the image: [C, *y.shape]."""
        height, width = data.shape[2:]
        if self.padding_mode == "zeros":
            inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
            values = data[n][:, np.clip(y, 0, height - 1), np.clip(x, 0, width - 1)]
            return np.where(inside, values, 0)
        if self.padding_mode == "reflection":
            y = np.clip(self.reflect(y.astype(np.float64), height), 0, height - 1).astype(np.int64)
            x = np.clip(self.reflect(x.astype(np.float64), width), 0, width - 1).astype(np.int64)
        return data[n][:, np.clip(y, 0, height - 1), np.clip(x, 0, width - 1)]

    def evaluate(self, data: np.ndarray, grid: np.ndarray) -> list[np.ndarray]:
        height, width = data.shape[2:]
        d = data.astype(np.float64)
        out = np.zeros((data.shape[0], data.shape[1]) + grid.shape[1:3])
        for n in range(data.shape[0]):
            gx, gy = grid[n, ..., 0].astype(np.float64), grid[n, ..., 1].astype(np.float64)
            x, y = self.source(gx, width), self.source(gy, height)
            if self.mode == "nearest":
                out[n] = self.pixel(d, n, np.rint(y).astype(np.int64), np.rint(x).astype(np.int64))
            elif self.mode == "bilinear":
                x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
                fx, fy = x - x0, y - y0
                out[n] = (self.pixel(d, n, y0, x0) * (1 - fx) * (1 - fy) + self.pixel(d, n, y0, x0 + 1) * fx * (1 - fy)
                          + self.pixel(d, n, y0 + 1, x0) * (1 - fx) * fy + self.pixel(d, n, y0 + 1, x0 + 1) * fx * fy)
            else:
                # Bicubic pads per tap (border / reflection map each of the 16 indices), not the coordinate.
                x, y = self.unnormalize(gx, width), self.unnormalize(gy, height)
                x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
                wx, wy = _cubic(x - x0), _cubic(y - y0)
                acc = 0
                for i in range(4):
                    for j in range(4):
                        acc = acc + self.pixel(d, n, y0 - 1 + i, x0 - 1 + j) * wy[i] * wx[j]
                out[n] = acc
        return [out.astype(data.dtype)]


def _cubic(t: np.ndarray, a: float = -0.75) -> list[np.ndarray]:
    """Keys' weights of the taps at -1, 0, 1, 2 for fractional offsets t."""
    def near(s):
        return ((a + 2) * s - (a + 3)) * s * s + 1

    def far(s):
        return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


# -- Col2Im --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Col2Im(Op):
    """opset15 Col2Im: columns [N?, C * prod(kernel), L] summed back into an image [N?, C, H, W] (the inverse of
    im2col; overlapping patches add up). Inputs: data, output_size [H, W], kernel_size [kh, kw]."""

    TYPE = "Col2Im"
    VERSION = "opset15"
    strides: tuple[int, ...] = (1, 1)
    dilations: tuple[int, ...] = (1, 1)
    pads_begin: tuple[int, ...] = (0, 0)
    pads_end: tuple[int, ...] = (0, 0)

    def infer(self, data: TensorInfo, output_size: TensorInfo, kernel: TensorInfo) -> list[TensorInfo]:
        if data.rank not in (2, 3, None):
            raise ValueError(f"Col2Im data must have rank 2 or 3, got [{data.shape}]")
        size = None if output_size.value is None else [int(v) for v in np.asarray(output_size.value).reshape(-1)]
        k = None if kernel.value is None else [int(v) for v in np.asarray(kernel.value).reshape(-1)]
        batched = data.rank == 3
        if data.rank is None:
            return [TensorInfo(data.element_type, PartialShape(None))]
        channels = data.shape[1 if batched else 0]
        c: Dim = channels // (k[0] * k[1]) if isinstance(channels, int) and k else DYNAMIC
        spatial: list[Dim] = size if size else [DYNAMIC, DYNAMIC]
        lead = [data.shape[0]] if batched else []
        return [TensorInfo(data.element_type, PartialShape(lead + [c] + spatial))]

    def evaluate(self, data, output_size, kernel):
        batched = data.ndim == 3
        cols = data if batched else data[None]
        (h, w), (kh, kw) = [int(v) for v in output_size.reshape(-1)], [int(v) for v in kernel.reshape(-1)]
        (sh, sw), (dh, dw) = self.strides, self.dilations
        (ph0, pw0), (ph1, pw1) = self.pads_begin, self.pads_end
        blocks_h = (h + ph0 + ph1 - (dh * (kh - 1) + 1)) // sh + 1
        blocks_w = (w + pw0 + pw1 - (dw * (kw - 1) + 1)) // sw + 1
        n, ck, _ = cols.shape
        c = ck // (kh * kw)
        padded = np.zeros((n, c, h + ph0 + ph1, w + pw0 + pw1), np.float64)
        blocks = cols.reshape(n, c, kh, kw, blocks_h, blocks_w)
        for i in range(kh):
            for j in range(kw):
                ys, xs = i * dh, j * dw
                padded[:, :, ys:ys + sh * blocks_h:sh, xs:xs + sw * blocks_w:sw] += blocks[:, :, i, j]
        out = padded[:, :, ph0:ph0 + h, pw0:pw0 + w].astype(data.dtype)
        return [out if batched else out[0]]


# -- DeformableConvolution ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeformableConvolution(Op):
    """opset8 DeformableConvolution: a 2-D convolution whose kernel taps are moved by learned offsets (and
    scaled by an optional mask). Inputs data [N, C, H, W], offsets [N, deformable_group * kh * kw * 2, OH, OW]
    as (y, x) per tap, filters [O, C / group, kh, kw], mask [N, deformable_group * kh * kw, OH, OW]. A tap lands
    between pixels and is read bilinearly from the image padded with zeros (bilinear_interpolation_pad, as
    torchvision and ONNX's DeformConv); without it a tap outside [0, size - 1] reads 0."""

    TYPE = "DeformableConvolution"
    VERSION = "opset8"
    strides: tuple[int, ...] = (1, 1)
    pads_begin: tuple[int, ...] = (0, 0)
    pads_end: tuple[int, ...] = (0, 0)
    dilations: tuple[int, ...] = (1, 1)
    auto_pad: AutoPad = AutoPad.EXPLICIT
    group: int = 1
    deformable_group: int = 1
    bilinear_interpolation_pad: bool = False

    def infer(self, data: TensorInfo, offsets: TensorInfo, filters: TensorInfo, mask: TensorInfo | None = None
              ) -> list[TensorInfo]:
        if data.rank is None or filters.rank is None:
            return [TensorInfo(data.element_type, PartialShape(None))]
        kernel = list(filters.shape)[2:]
        if not all(isinstance(k, int) for k in kernel):
            return [TensorInfo(data.element_type, PartialShape.dynamic(4))]
        pads = resolve_pads(self.auto_pad, list(data.shape)[2:], kernel, self.strides, self.dilations,  # type: ignore
                            self.pads_begin, self.pads_end)
        if pads is None:
            spatial: list[Dim] = [DYNAMIC, DYNAMIC]
        else:
            spatial = [output_size(d, k, s, dl, b, e) for d, k, s, dl, b, e in  # type: ignore[arg-type]
                       zip(list(data.shape)[2:], kernel, self.strides, self.dilations, *pads)]
        return [TensorInfo(data.element_type, PartialShape([data.shape[0], filters.shape[0], *spatial]))]

    def evaluate(self, data, offsets, filters, mask=None):
        n, c, height, width = data.shape
        o, per_group, kh, kw = filters.shape
        begin, end = resolve_pads(self.auto_pad, data.shape[2:], (kh, kw), self.strides, self.dilations,
                                  self.pads_begin, self.pads_end)  # type: ignore[misc]
        oh, ow = offsets.shape[2:]
        dg = self.deformable_group
        base_y = (np.arange(oh) * self.strides[0] - begin[0])[:, None].astype(np.float64)
        base_x = (np.arange(ow) * self.strides[1] - begin[1])[None, :].astype(np.float64)
        off = offsets.astype(np.float64).reshape(n, dg, kh * kw, 2, oh, ow)
        weights = None if mask is None else mask.astype(np.float64).reshape(n, dg, kh * kw, oh, ow)
        cols = np.zeros((n, c, kh * kw, oh, ow))
        image = data.astype(np.float64)
        per_dg = c // dg
        for g in range(dg):
            channels = image[:, g * per_dg:(g + 1) * per_dg]
            for t in range(kh * kw):
                i, j = divmod(t, kw)
                y = base_y + i * self.dilations[0] + off[:, g, t, 0]          # [N, OH, OW]
                x = base_x + j * self.dilations[1] + off[:, g, t, 1]
                sample = self.bilinear(channels, y, x, height, width)          # [N, C/dg, OH, OW]
                if weights is not None:
                    sample = sample * weights[:, g, t][:, None]
                cols[:, g * per_dg:(g + 1) * per_dg, t] = sample
        groups = self.group
        per_out = o // groups
        out = np.zeros((n, o, oh, ow))
        w = filters.astype(np.float64).reshape(groups, per_out, per_group * kh * kw)
        for g in range(groups):
            block = cols[:, g * per_group:(g + 1) * per_group].reshape(n, per_group * kh * kw, oh * ow)
            out[:, g * per_out:(g + 1) * per_out] = (w[g] @ block).reshape(n, per_out, oh, ow)
        return [out.astype(data.dtype)]

    def bilinear(self, channels: np.ndarray, y: np.ndarray, x: np.ndarray, height: int, width: int) -> np.ndarray:
        """Read [N, C, H, W] at float positions y, x [N, OH, OW] -> [N, C, OH, OW]."""
        pad = self.bilinear_interpolation_pad
        if pad:   # a tap within one pixel outside the image interpolates with zeros
            inside = (y > -1) & (y < height) & (x > -1) & (x < width)
        else:     # a tap outside [0, size) reads 0; one in the last pixel's cell reads that pixel
            inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
        y0, x0 = np.floor(y).astype(np.int64), np.floor(x).astype(np.int64)
        ly, lx = y - y0, x - x0
        batch = np.arange(channels.shape[0])[:, None, None]
        total = 0.0
        for dy, wy in ((0, 1 - ly), (1, ly)):
            for dx, wx in ((0, 1 - lx), (1, lx)):
                yy, xx = y0 + dy, x0 + dx
                if not pad:
                    yy, xx = np.minimum(yy, height - 1), np.minimum(xx, width - 1)
                valid = inside & (yy >= 0) & (yy < height) & (xx >= 0) & (xx < width)
                values = channels[batch, :, np.clip(yy, 0, height - 1), np.clip(xx, 0, width - 1)]  # [N, OH, OW, C]
                total = total + np.moveaxis(values, -1, 1) * (wy * wx * valid)[:, None]
        return total  # type: ignore[return-value]


OPS: tuple[type[Op], ...] = (DepthToSpace, SpaceToDepth, GridSample, Col2Im, DeformableConvolution)
__all__ = [c.__name__ for c in OPS]
