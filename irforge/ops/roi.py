"""Pooling over regions of interest: ROIPooling (Fast R-CNN) and PSROIPooling (R-FCN)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from irforge.core.shape import DYNAMIC

from .base import Op, PartialShape, TensorInfo, same_element_type


def _round_half_away(x: float) -> int:
    """C's round(): halves go away from zero (numpy rounds them to even)."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


@dataclass(frozen=True)
class ROIPooling(Op):
    """opset2 ROIPooling: feature maps [N, C, H, W], rois [R, 5] (batch, x0, y0, x1, y1) -> [R, C, ph, pw].
    "max" scales the box by spatial_scale, rounds it to whole cells and takes each bin's maximum (empty bins
    give 0); "bilinear" reads normalized boxes at bin corners."""

    TYPE = "ROIPooling"
    VERSION = "opset2"
    pooled_h: int = 1
    pooled_w: int = 1
    spatial_scale: float = 1.0
    method: str = "max"

    def infer(self, feature_maps: TensorInfo, rois: TensorInfo) -> list[TensorInfo]:
        et = same_element_type(self, feature_maps, rois)
        if feature_maps.shape.rank not in (None, 4):
            raise ValueError(f"feature maps must be 4-D, got [{feature_maps.shape}]")
        if rois.shape.rank not in (None, 2) or (rois.shape.rank == 2 and rois.shape[1] not in (5,)
                                                 and isinstance(rois.shape[1], int)):
            raise ValueError(f"rois must be [R, 5], got [{rois.shape}]")
        if self.method not in ("max", "bilinear"):
            raise ValueError(f"method {self.method!r} is not max or bilinear")
        if self.pooled_h < 1 or self.pooled_w < 1:
            raise ValueError(f"pooled size {self.pooled_h}x{self.pooled_w} must be positive")
        count = rois.shape[0] if rois.shape.rank == 2 else DYNAMIC
        channels = feature_maps.shape[1] if feature_maps.shape.rank == 4 else DYNAMIC
        return [TensorInfo(et, PartialShape([count, channels, self.pooled_h, self.pooled_w]))]

    def evaluate(self, feature_maps: np.ndarray, rois: np.ndarray) -> list[np.ndarray]:
        _, channels, height, width = feature_maps.shape
        out = np.zeros((rois.shape[0], channels, self.pooled_h, self.pooled_w), feature_maps.dtype)
        f = np.float32
        for r, roi in enumerate(rois.astype(np.float32)):
            batch = int(roi[0])
            data = feature_maps[batch]
            if self.method == "max":
                x0, y0, x1, y1 = (_round_half_away(float(v * f(self.spatial_scale))) for v in roi[1:])
                roi_h, roi_w = max(y1 - y0 + 1, 1), max(x1 - x0 + 1, 1)
                bin_h, bin_w = f(roi_h) / f(self.pooled_h), f(roi_w) / f(self.pooled_w)
                for ph in range(self.pooled_h):
                    hs = min(max(int(np.floor(f(ph) * bin_h)) + y0, 0), height)
                    he = min(max(int(np.ceil(f(ph + 1) * bin_h)) + y0, 0), height)
                    for pw in range(self.pooled_w):
                        ws = min(max(int(np.floor(f(pw) * bin_w)) + x0, 0), width)
                        we = min(max(int(np.ceil(f(pw + 1) * bin_w)) + x0, 0), width)
                        if he > hs and we > ws:
                            out[r, :, ph, pw] = data[:, hs:he, ws:we].max(axis=(1, 2))
            else:
                out[r] = self._bilinear(data, roi)
        return [out]

    def _bilinear(self, data: np.ndarray, roi: np.ndarray) -> np.ndarray:
        f = np.float32
        _, height, width = data.shape
        x0, y0, x1, y1 = roi[1:]
        out = np.zeros((data.shape[0], self.pooled_h, self.pooled_w), data.dtype)
        scale_h = (y1 - y0) * f(height - 1) / f(self.pooled_h - 1) if self.pooled_h > 1 else f(0)
        scale_w = (x1 - x0) * f(width - 1) / f(self.pooled_w - 1) if self.pooled_w > 1 else f(0)
        for ph in range(self.pooled_h):
            if self.pooled_h > 1:
                y = f(height - 1) * y1 if ph == self.pooled_h - 1 else f(ph) * scale_h + y0 * f(height - 1)
            else:
                y = f(0.5) * (y0 + y1) * f(height - 1)
            for pw in range(self.pooled_w):
                if self.pooled_w > 1:
                    x = f(width - 1) * x1 if pw == self.pooled_w - 1 else f(pw) * scale_w + x0 * f(width - 1)
                else:
                    x = f(0.5) * (x1 + x0) * f(width - 1)
                if y < 0 or y > height - 1 or x < 0 or x > width - 1:
                    continue
                top, left = int(np.floor(y)), int(np.floor(x))
                bottom, right = min(int(np.ceil(y)), height - 1), min(int(np.ceil(x)), width - 1)
                tl, tr = data[:, top, left], data[:, top, right]
                bl, br = data[:, bottom, left], data[:, bottom, right]
                upper = tl + (tr - tl) * (x - f(left))
                lower = bl + (br - bl) * (x - f(left))
                out[:, ph, pw] = upper + (lower - upper) * (y - f(top))
        return out


@dataclass(frozen=True)
class PSROIPooling(Op):
    """opset1 PSROIPooling: position-sensitive ROI pooling. Input channels = output_dim * group_size^2 (average)
    or output_dim * spatial_bins_x * spatial_bins_y (bilinear); output [R, output_dim, group_size, group_size]."""

    TYPE = "PSROIPooling"
    output_dim: int = 1
    group_size: int = 1
    spatial_scale: float = 1.0
    spatial_bins_x: int = 1
    spatial_bins_y: int = 1
    mode: str = "average"

    def infer(self, feature_maps: TensorInfo, rois: TensorInfo) -> list[TensorInfo]:
        et = same_element_type(self, feature_maps, rois)
        if self.mode not in ("average", "bilinear"):
            raise ValueError(f"mode {self.mode!r} is not average or bilinear")
        channels = feature_maps.shape[1] if feature_maps.shape.rank == 4 else None
        if self.mode == "average" and isinstance(channels, int) and \
                channels != self.output_dim * self.group_size ** 2:
            raise ValueError(f"{channels} input channels != output_dim {self.output_dim} * group_size^2")
        count = rois.shape[0] if rois.shape.rank == 2 else DYNAMIC
        return [TensorInfo(et, PartialShape([count, self.output_dim, self.group_size, self.group_size]))]

    def evaluate(self, feature_maps: np.ndarray, rois: np.ndarray) -> list[np.ndarray]:
        f = np.float32
        _, _, height, width = feature_maps.shape
        size = self.group_size
        out = np.zeros((rois.shape[0], self.output_dim, size, size), feature_maps.dtype)
        scale = f(self.spatial_scale)
        for r, box in enumerate(rois.astype(np.float32)):
            data = feature_maps[int(box[0])]
            if self.mode == "average":
                sw, sh = f(np.float32(_round_half_away(float(box[1])))) * scale, \
                    f(_round_half_away(float(box[2]))) * scale
                ew, eh = (f(_round_half_away(float(box[3]))) + f(1)) * scale, \
                    (f(_round_half_away(float(box[4]))) + f(1)) * scale
                bw, bh = (ew - sw) / f(size), (eh - sh) / f(size)
                c_in = 0
                for c in range(self.output_dim):
                    for ph in range(size):
                        for pw in range(size):
                            # Bins clipped to the input; an empty one gives 0 (as OpenVINO's CPU plugin does)
                            x0 = min(max(int(np.floor(sw + f(pw) * bw)), 0), width)
                            y0 = min(max(int(np.floor(sh + f(ph) * bh)), 0), height)
                            x1 = min(max(int(np.ceil(sw + f(pw + 1) * bw)), 0), width)
                            y1 = min(max(int(np.ceil(sh + f(ph + 1) * bh)), 0), height)
                            if x1 > x0 and y1 > y0:
                                region = data[c_in, y0:y1, x0:x1]
                                out[r, c, ph, pw] = region.sum(dtype=np.float32) / f((x1 - x0) * (y1 - y0))
                            c_in += 1
            else:
                out[r] = self._bilinear(data, box, scale)
        return [out]

    def _bilinear(self, data: np.ndarray, box: np.ndarray, scale: np.float32) -> np.ndarray:
        f = np.float32
        _, height, width = data.shape
        size, bx, by = self.group_size, self.spatial_bins_x, self.spatial_bins_y
        sw, sh, ew, eh = (v * scale for v in box[1:])
        bw, bh = (ew - sw) / f(bx), (eh - sh) / f(by)
        width_scale = bw * f(width - 1) / f(size - 1) if size > 1 else f(0)
        height_scale = bh * f(height - 1) / f(size - 1) if size > 1 else f(0)
        out = np.zeros((self.output_dim, size, size), data.dtype)
        for c in range(self.output_dim):
            for ph in range(size):
                for pw in range(size):
                    total = f(0)
                    c_in = 0
                    for sby in range(by):
                        for sbx in range(bx):
                            start_w, start_h = sw + f(sbx) * bw, sh + f(sby) * bh
                            plane = data[c_in * self.output_dim + c]
                            x = f(pw) * width_scale + start_w * f(width - 1) if size > 1 else \
                                (start_w + start_w + bw) * f(width - 1) / f(2)
                            y = f(ph) * height_scale + start_h * f(height - 1) if size > 1 else \
                                (start_h + start_h + bh) * f(height - 1) / f(2)
                            if x < width and y < height:
                                left, top = int(np.floor(x)), int(np.floor(y))
                                right, bottom = min(int(np.ceil(x)), width - 1), min(int(np.ceil(y)), height - 1)
                                upper = plane[top, left] + (plane[top, right] - plane[top, left]) * (x - f(left))
                                lower = plane[bottom, left] + (plane[bottom, right] - plane[bottom, left]) * \
                                    (x - f(left))
                                total += upper + (lower - upper) * (y - f(top))
                            c_in += 1
                    out[c, ph, pw] = total / f(bx * by)
        return out


OPS: tuple[type[Op], ...] = (ROIPooling, PSROIPooling)
__all__ = [c.__name__ for c in OPS]
