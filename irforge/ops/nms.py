"""Detection post-processing: NonMaxSuppression-9 and ROIAlign-9."""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from irforge.core.shape import DYNAMIC, Interval

from .base import ElementType, Op, PartialShape, TensorInfo

F32 = np.float32


def _scalar(x: np.ndarray | None, default: float) -> float:
    return default if x is None or x.size == 0 else float(np.asarray(x).reshape(-1)[0])


@dataclass(frozen=True)
class NonMaxSuppression(Op):
    """opset9 NonMaxSuppression: inputs boxes [batches, boxes, 4], scores [batches, classes, boxes], then optional
    max_output_boxes_per_class (0), iou_threshold (0), score_threshold (0), soft_nms_sigma (0). Per batch and
    class, boxes scoring above score_threshold are taken best first; one overlapping a taken box by IoU above
    iou_threshold is dropped (soft NMS decays its score instead). Outputs: selected [batch, class, box] indices,
    their [batch, class, score] (float), and the number selected. `box_encoding` corner is [y1, x1, y2, x2]
    (either diagonal), center is [x_center, y_center, width, height]. sort_result_descending orders the result by
    score over all batches and classes; otherwise it is grouped by batch, then class."""

    TYPE = "NonMaxSuppression"
    VERSION = "opset9"
    box_encoding: str = "corner"
    sort_result_descending: bool = True
    output_type: ElementType = ElementType.i64

    def infer(self, boxes: TensorInfo, scores: TensorInfo, *optional: TensorInfo) -> list[TensorInfo]:
        if self.box_encoding not in ("corner", "center"):
            raise ValueError(f"box_encoding {self.box_encoding!r} is not corner or center")
        if self.output_type not in (ElementType.i64, ElementType.i32):
            raise ValueError("output_type must be i64 or i32")
        upper = None
        if scores.shape.is_static and optional and optional[0].value is not None:
            b, c, n = scores.shape.to_static()
            upper = b * c * min(n, int(np.asarray(optional[0].value).reshape(-1)[0]))
        count = Interval(0, upper) if upper is not None else DYNAMIC
        score_type = scores.element_type if scores.element_type.is_float else ElementType.f32
        return [TensorInfo(self.output_type, PartialShape([count, 3])),
                TensorInfo(score_type, PartialShape([count, 3])),
                TensorInfo(self.output_type, PartialShape([1]))]

    def corners(self, boxes: np.ndarray) -> np.ndarray:
        """[..., 4] as (y1, x1, y2, x2) with y1 <= y2 and x1 <= x2."""
        boxes = boxes.astype(F32)
        if self.box_encoding == "center":
            xc, yc, w, h = (boxes[..., k] for k in range(4))
            half_w, half_h = w / F32(2), h / F32(2)
            return np.stack([yc - half_h, xc - half_w, yc + half_h, xc + half_w], axis=-1)
        y1, x1, y2, x2 = (boxes[..., k] for k in range(4))
        return np.stack([np.minimum(y1, y2), np.minimum(x1, x2), np.maximum(y1, y2), np.maximum(x1, x2)], axis=-1)

    def evaluate(self, boxes, scores, max_per_class=None, iou_threshold=None, score_threshold=None,
                 soft_nms_sigma=None):
        limit = int(_scalar(max_per_class, 0))
        iou_max = F32(_scalar(iou_threshold, 0.0))
        score_min = F32(_scalar(score_threshold, 0.0))
        sigma = F32(_scalar(soft_nms_sigma, 0.0))
        scale = F32(-0.5) / sigma if sigma > 0 else F32(0)
        soft = sigma > 0
        rects = self.corners(boxes)
        chosen: list[tuple[float, int, int, int]] = []  # (score, batch, class, box)
        for b in range(scores.shape[0]):
            for c in range(scores.shape[1]):
                class_scores = scores[b, c].astype(F32)
                if not soft:
                    chosen.extend((float(class_scores[i]), b, c, i)
                                  for i in _hard_nms(rects[b], class_scores, limit, iou_max, score_min))
                    continue
                # Max-heap on score, then the lower box index first.
                heap = [(-s, i, 0) for i, s in enumerate(class_scores) if s > score_min]
                heapq.heapify(heap)
                selected: list[tuple[int, float]] = []
                while heap and len(selected) < limit:
                    neg, i, begin = heapq.heappop(heap)
                    score = original = F32(-neg)
                    suppressed = False
                    for j in range(len(selected) - 1, begin - 1, -1):
                        iou = _iou(rects[b, i], rects[b, selected[j][0]])
                        weight = F32(np.exp(scale * iou * iou)) if (soft or iou <= iou_max) else F32(0)
                        score = F32(score * weight)
                        if iou > iou_max and not soft:
                            suppressed = True
                            break
                        if score <= score_min:
                            break
                    if suppressed:
                        continue
                    if score == original:
                        selected.append((i, float(score)))
                    elif score > score_min:
                        heapq.heappush(heap, (-score, i, len(selected)))
                chosen.extend((s, b, c, i) for i, s in selected)
        if self.sort_result_descending:
            chosen.sort(key=lambda t: (-t[0], t[1], t[2], t[3]))
        indices = np.array([[b, c, i] for _, b, c, i in chosen], self.output_type.numpy).reshape(-1, 3)
        score_type = scores.dtype if scores.dtype.kind == "f" else np.float32
        picked = np.array([[b, c, s] for s, b, c, _ in chosen], score_type).reshape(-1, 3)
        return [indices, picked, np.array([len(chosen)], self.output_type.numpy)]


def _hard_nms(rects: np.ndarray, scores: np.ndarray, limit: int, iou_max: F32, score_min: F32) -> list[int]:
    """Greedy NMS without score decay: best first (the lower index on ties), a box is kept unless it overlaps a
    kept one by more than iou_max. The same float32 IoU as `_iou`, computed for a block of candidates against
    every kept box at once, then within the block in order (detectors feed tens of thousands of boxes: the
    per-pair loop takes minutes)."""
    candidates = np.flatnonzero(scores > score_min)
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    r = rects[order]
    areas = (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])
    kept = np.zeros(len(order), bool)
    count = 0
    block = 256
    for begin in range(0, len(order), block):
        if count >= limit:
            break
        end = min(begin + block, len(order))
        previous = np.flatnonzero(kept[:begin])
        alive = ~np.any(_ious(r[begin:end], areas[begin:end], r[previous], areas[previous]) > iou_max, axis=1)
        inner = _ious(r[begin:end], areas[begin:end], r[begin:end], areas[begin:end]) > iou_max
        for k in range(end - begin):
            if count >= limit:
                break
            if alive[k]:
                kept[begin + k] = True
                count += 1
                alive[k + 1:] &= ~inner[k, k + 1:]
    return [int(i) for i in order[kept]]


def _ious(a: np.ndarray, area_a: np.ndarray, b: np.ndarray, area_b: np.ndarray) -> np.ndarray:
    """[len(a), len(b)] float32 IoUs, 0 where either box is empty (as `_iou`)."""
    h = np.maximum(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), F32(0))
    w = np.maximum(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), F32(0))
    inter = (h * w).astype(F32)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = (inter / (area_a[:, None] + area_b[None, :] - inter)).astype(F32)
    return np.where((area_a[:, None] <= 0) | (area_b[None, :] <= 0), F32(0), iou)


def _iou(a: np.ndarray, b: np.ndarray) -> F32:
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    if area_a <= 0 or area_b <= 0:
        return F32(0)
    h = max(min(a[2], b[2]) - max(a[0], b[0]), F32(0))
    w = max(min(a[3], b[3]) - max(a[1], b[1]), F32(0))
    inter = F32(h * w)
    return F32(inter / (area_a + area_b - inter))


@dataclass(frozen=True)
class ROIAlign(Op):
    """opset9 ROIAlign: inputs data [N, C, H, W], rois [R, 4] as (x1, y1, x2, y2), batch_indices [R]; output
    [R, C, pooled_h, pooled_w]. Each bin averages sampling_ratio^2 bilinear samples (0: as many as the bin is
    wide), or takes their max - with 0 as the floor, as the runtime does. Roi coordinates map to
    x * spatial_scale (asymmetric: the roi is made at least 1 pixel wide), x * spatial_scale - 0.5
    (half_pixel_for_nn) or (x + 0.5) * spatial_scale - 0.5 (half_pixel)."""

    TYPE = "ROIAlign"
    VERSION = "opset9"
    pooled_h: int = 1
    pooled_w: int = 1
    sampling_ratio: int = 0
    spatial_scale: float = 1.0
    mode: str = "avg"
    aligned_mode: str = "asymmetric"

    def infer(self, data: TensorInfo, rois: TensorInfo, batch_indices: TensorInfo) -> list[TensorInfo]:
        if self.mode not in ("avg", "max"):
            raise ValueError(f"mode {self.mode!r} is not avg or max")
        if self.aligned_mode not in ("asymmetric", "half_pixel_for_nn", "half_pixel"):
            raise ValueError(f"aligned_mode {self.aligned_mode!r} is not asymmetric, half_pixel_for_nn or half_pixel")
        count = rois.shape[0] if rois.rank is not None else DYNAMIC
        channels = data.shape[1] if data.rank is not None else DYNAMIC
        return [TensorInfo(data.element_type, PartialShape([count, channels, self.pooled_h, self.pooled_w]))]

    def evaluate(self, data, rois, batch_indices):
        n_rois = rois.shape[0]
        _, channels, height, width = data.shape
        out = np.zeros((n_rois, channels, self.pooled_h, self.pooled_w), np.float64)
        before = 0.5 if self.aligned_mode == "half_pixel" else 0.0
        after = 0.0 if self.aligned_mode == "asymmetric" else -0.5
        for r in range(n_rois):
            x1, y1, x2, y2 = ((float(v) + before) * self.spatial_scale + after for v in rois[r])
            roi_w, roi_h = x2 - x1, y2 - y1
            if self.aligned_mode == "asymmetric":
                roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
            bin_h, bin_w = roi_h / self.pooled_h, roi_w / self.pooled_w
            grid_h = self.sampling_ratio if self.sampling_ratio > 0 else int(np.ceil(roi_h / self.pooled_h))
            grid_w = self.sampling_ratio if self.sampling_ratio > 0 else int(np.ceil(roi_w / self.pooled_w))
            image = data[int(batch_indices[r])].astype(np.float64)
            for ph in range(self.pooled_h):
                for pw in range(self.pooled_w):
                    samples = []
                    for iy in range(grid_h):
                        y = y1 + ph * bin_h + (iy + 0.5) * bin_h / grid_h
                        for ix in range(grid_w):
                            x = x1 + pw * bin_w + (ix + 0.5) * bin_w / grid_w
                            samples.append(_bilinear(image, y, x, height, width))
                    if not samples:
                        continue
                    stack = np.stack(samples)
                    out[r, :, ph, pw] = np.maximum(stack.max(axis=0), 0) if self.mode == "max" else stack.mean(axis=0)
        return [out.astype(data.dtype)]


def _bilinear(image: np.ndarray, y: float, x: float, height: int, width: int) -> np.ndarray:
    """The [C] value at (y, x): 0 outside [-1, size]; coordinates clamped into the image."""
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return np.zeros(image.shape[0])
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= height - 1:
        y0 = y1 = height - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= width - 1:
        x0 = x1 = width - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    hy, hx = 1.0 - ly, 1.0 - lx
    corners = [hy * hx * image[:, y0, x0], hy * lx * image[:, y0, x1], ly * hx * image[:, y1, x0],
               ly * lx * image[:, y1, x1]]
    return sum(corners)


OPS: tuple[type[Op], ...] = (NonMaxSuppression, ROIAlign)
__all__ = [c.__name__ for c in OPS]
