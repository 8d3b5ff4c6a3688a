"""Object detection: PriorBox, PriorBoxClustered, DetectionOutput, Proposal, ROIPooling, PSROIPooling.

These follow the Caffe (SSD, py-faster-rcnn) semantics that OpenVINO's ops were modelled on; the numpy kernels
keep OpenVINO's float32 arithmetic order so that box decisions (thresholds, NMS) come out the same.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from irforge.core.shape import DYNAMIC, dim_mul

from .base import ElementType, NotEvaluable, Op, PartialShape, TensorInfo


def _ints(info: TensorInfo) -> list[int] | None:
    return None if info.value is None else [int(v) for v in np.asarray(info.value).reshape(-1)]


def _check_size_input(op: Op, info: TensorInfo, what: str) -> None:
    if info.element_type.is_float:
        raise ValueError(f"{op.TYPE} {what} must be an integer tensor, got {info.element_type.value}")
    if info.shape.rank not in (None, 1):
        raise ValueError(f"{op.TYPE} {what} must be 1-D [2], got [{info.shape}]")


# -- prior boxes ------------------------------------------------------------------------------------------------------
def unique_aspect_ratios(aspect_ratio: tuple[float, ...], flip: bool) -> list[float]:
    """1, then each new ratio (and its inverse with flip), as Caffe's PriorBoxLayer builds them."""
    ratios = [1.0]
    for ar in aspect_ratio:
        if any(abs(ar - r) < 1e-6 for r in ratios):
            continue
        ratios.append(float(ar))
        if flip:
            ratios.append(1.0 / float(ar))
    return ratios


@dataclass(frozen=True)
class PriorBox(Op):
    """opset8 PriorBox: SSD default boxes for a feature map (input 0: its [H, W]) over an image (input 1: [H, W]).
    Output [2, 4 * H * W * priors]: normalized corners, then the variances."""

    TYPE = "PriorBox"
    VERSION = "opset8"
    min_size: tuple[float, ...] = ()
    max_size: tuple[float, ...] = ()
    aspect_ratio: tuple[float, ...] = ()
    flip: bool = False
    clip: bool = False
    step: float = 0.0
    offset: float = 0.5
    variance: tuple[float, ...] = ()
    scale_all_sizes: bool = True
    fixed_ratio: tuple[float, ...] = ()
    fixed_size: tuple[float, ...] = ()
    density: tuple[float, ...] = ()
    min_max_aspect_ratios_order: bool = True

    def number_of_priors(self) -> int:
        ratios = {1.0} | {float(r) for r in self.aspect_ratio} | (
            {1.0 / float(r) for r in self.aspect_ratio} if self.flip else set())
        total = len(ratios)
        if self.scale_all_sizes:
            count = total * len(self.min_size) + len(self.max_size)
        else:
            count = total + len(self.min_size) - 1
        if self.fixed_size:
            count = total * len(self.fixed_size)
        for d in self.density:
            d2 = int(d) * int(d) - 1
            count += (len(self.fixed_ratio) if self.fixed_ratio else total) * d2
        return count

    def infer(self, output_size: TensorInfo, image_size: TensorInfo) -> list[TensorInfo]:
        _check_size_input(self, output_size, "output_size")
        _check_size_input(self, image_size, "image_size")
        if len(self.variance) not in (0, 1, 4):
            raise ValueError(f"variance must have 0, 1 or 4 values, got {self.variance}")
        size = _ints(output_size)
        if size is None:
            return [TensorInfo(ElementType.f32, PartialShape([2, DYNAMIC]))]
        return [TensorInfo(ElementType.f32, PartialShape([2, 4 * size[0] * size[1] * self.number_of_priors()]))]

    def evaluate(self, output_size: np.ndarray, image_size: np.ndarray) -> list[np.ndarray]:
        h, w = (int(v) for v in output_size.reshape(-1)[:2])
        ih, iw = (int(v) for v in image_size.reshape(-1)[:2])
        f = np.float32
        ratios = unique_aspect_ratios(self.aspect_ratio, self.flip)
        step = f(self.step)
        min_sizes = [f(s) for s in self.min_size]
        if not self.scale_all_sizes:   # MXNet-style: sizes and step are fractions of the image
            step = f(ih) / f(h) if step == -1 else step * f(ih)
            min_sizes = [s * f(ih) for s in min_sizes]
        iwi, ihi = f(1) / f(iw), f(1) / f(ih)
        boxes: list[tuple] = []   # (center_x, center_y, half_w, half_h, clip) per prior, row-major over cells

        def box(cx, cy, bw, bh, clip=False):
            boxes.append((cx, cy, f(bw), f(bh), clip))

        for y in range(h):
            for x in range(w):
                if step == 0:
                    cx, cy = (f(x) + f(0.5)) * (f(iw) / f(w)), (f(y) + f(0.5)) * (f(ih) / f(h))
                else:
                    cx, cy = (f(self.offset) + f(x)) * step, (f(self.offset) + f(y)) * step
                for s, fixed in enumerate(self.fixed_size):
                    self._fixed_boxes(box, cx, cy, s, ratios)
                for i, ms in enumerate(min_sizes):
                    box(cx, cy, ms * f(0.5), ms * f(0.5))
                    with_max = len(self.max_size) > i
                    with_ratios = self.scale_all_sizes or i == len(min_sizes) - 1
                    size = min_sizes[i] if self.scale_all_sizes else min_sizes[0]
                    if self.min_max_aspect_ratios_order and with_max:
                        half = f(math.sqrt(float(ms) * float(self.max_size[i]))) * f(0.5)
                        box(cx, cy, half, half)
                    if with_ratios:
                        for ar in ratios:
                            if abs(ar - 1.0) < 1e-6:
                                continue
                            r = f(math.sqrt(ar))
                            box(cx, cy, size * f(0.5) * r, size * f(0.5) / r)
                    if not self.min_max_aspect_ratios_order and with_max:
                        half = f(math.sqrt(float(ms) * float(self.max_size[i]))) * f(0.5)
                        box(cx, cy, half, half)
        coords = np.array([(cx, cy, bw, bh) for cx, cy, bw, bh, _ in boxes], np.float32).reshape(-1, 4)
        clip_each = np.array([c for *_, c in boxes], bool)
        out = np.stack([(coords[:, 0] - coords[:, 2]) * iwi, (coords[:, 1] - coords[:, 3]) * ihi,
                        (coords[:, 0] + coords[:, 2]) * iwi, (coords[:, 1] + coords[:, 3]) * ihi], axis=1)
        out[clip_each] = np.stack([np.maximum(out[clip_each, 0], 0), np.maximum(out[clip_each, 1], 0),
                                   np.minimum(out[clip_each, 2], 1), np.minimum(out[clip_each, 3], 1)], axis=1)
        if self.clip:
            out = np.clip(out, 0, 1)
        variance = list(self.variance) or [0.1]
        var = np.broadcast_to(np.asarray(variance, np.float32).reshape(1, -1), (out.shape[0], 4)) \
            if len(variance) == 4 else np.full(out.shape, variance[0], np.float32)
        return [np.stack([out.reshape(-1), var.reshape(-1)]).astype(np.float32)]

    def _fixed_boxes(self, box, cx, cy, s: int, ratios: list[float]) -> None:
        """Density priors (fixed_size / fixed_ratio / density), as OpenVINO's reference places them."""
        f = np.float32
        fixed = int(self.fixed_size[s])
        density = int(self.density[s]) if self.density else 1
        shift = int(self.fixed_size[s] / density)

        def grid(bw, bh):
            for r in range(density):
                for c in range(density):
                    box(cx - fixed // 2 + f(shift / 2) + c * shift, cy - fixed // 2 + f(shift / 2) + r * shift,
                        bw, bh, True)

        if self.fixed_ratio:
            for ar in self.fixed_ratio:
                r = math.sqrt(ar)
                grid(self.fixed_size[s] * 0.5 * r, self.fixed_size[s] * 0.5 / r)
            return
        if self.density:
            grid(fixed * 0.5, fixed * 0.5)
        for ar in ratios:
            if abs(ar - 1.0) < 1e-6:
                continue
            r = math.sqrt(ar)
            grid(self.fixed_size[s] * 0.5 * r, self.fixed_size[s] * 0.5 / r)


@dataclass(frozen=True)
class PriorBoxClustered(Op):
    """opset1 PriorBoxClustered: one box per (width, height) pair at every feature-map cell."""

    TYPE = "PriorBoxClustered"
    width: tuple[float, ...] = ()
    height: tuple[float, ...] = ()
    clip: bool = True
    step: float = 0.0
    step_w: float = 0.0
    step_h: float = 0.0
    offset: float = 0.5
    variance: tuple[float, ...] = ()

    def infer(self, output_size: TensorInfo, image_size: TensorInfo) -> list[TensorInfo]:
        _check_size_input(self, output_size, "output_size")
        _check_size_input(self, image_size, "image_size")
        if len(self.width) != len(self.height):
            raise ValueError(f"width {self.width} and height {self.height} must pair up")
        size = _ints(output_size)
        if size is None:
            return [TensorInfo(ElementType.f32, PartialShape([2, DYNAMIC]))]
        return [TensorInfo(ElementType.f32, PartialShape([2, 4 * size[0] * size[1] * len(self.width)]))]

    def evaluate(self, output_size: np.ndarray, image_size: np.ndarray) -> list[np.ndarray]:
        f = np.float32
        h, w = (int(v) for v in output_size.reshape(-1)[:2])
        ih, iw = (int(v) for v in image_size.reshape(-1)[:2])
        step_w = f(self.step_w if self.step_w != 0 else self.step)
        step_h = f(self.step_h if self.step_h != 0 else self.step)
        if step_w == 0 and step_h == 0:
            step_w, step_h = f(iw) / f(w), f(ih) / f(h)
        cx = (np.arange(w, dtype=np.float32) + f(self.offset)) * step_w
        cy = (np.arange(h, dtype=np.float32) + f(self.offset)) * step_h
        bw = np.asarray(self.width, np.float32) / f(2)
        bh = np.asarray(self.height, np.float32) / f(2)
        cx = cx[np.newaxis, :, np.newaxis]
        cy = cy[:, np.newaxis, np.newaxis]
        boxes = np.stack(np.broadcast_arrays((cx - bw) / f(iw), (cy - bh) / f(ih), (cx + bw) / f(iw),
                                             (cy + bh) / f(ih)), axis=-1)   # [H, W, priors, 4]
        if self.clip:
            boxes = np.clip(boxes, 0, 1)
        variance = list(self.variance) or [0.1]
        var = np.broadcast_to(np.asarray(variance if len(variance) == 4 else variance * 4, np.float32), boxes.shape)
        return [np.stack([boxes.reshape(-1), var.reshape(-1)]).astype(np.float32)]


# -- detection output -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DetectionOutput(Op):
    """opset8 DetectionOutput: decode box logits against prior boxes, keep per-class top_k above the confidence
    threshold, NMS per class, then keep_top_k per image. Output [1, 1, R, 7] rows of (image, label, score, xmin,
    ymin, xmax, ymax); after the last detection one row starts with -1, the rest is zeros."""

    TYPE = "DetectionOutput"
    VERSION = "opset8"
    background_label_id: int = 0
    top_k: int = -1
    variance_encoded_in_target: bool = False
    keep_top_k: tuple[int, ...] = (-1,)
    code_type: str = "caffe.PriorBoxParameter.CORNER"
    share_location: bool = True
    nms_threshold: float = 0.0
    confidence_threshold: float = 0.0
    clip_after_nms: bool = False
    clip_before_nms: bool = False
    decrease_label_id: bool = False
    normalized: bool = False
    input_height: int = 1
    input_width: int = 1
    objectness_score: float = 0.0

    def counts(self, box_logits: TensorInfo, class_preds: TensorInfo, proposals: TensorInfo
               ) -> tuple[int | None, int | None]:
        """(num_prior_boxes, num_classes) from the input shapes, as OpenVINO derives them."""
        prior_size = 4 if self.normalized else 5
        priors = None
        if proposals.shape.rank == 3 and isinstance(proposals.shape[2], int):
            if proposals.shape[2] % prior_size:
                raise ValueError(f"proposals' last dim {proposals.shape[2]} is not a multiple of {prior_size}")
            priors = proposals.shape[2] // prior_size
        classes = None
        if priors and class_preds.shape.rank == 2 and isinstance(class_preds.shape[1], int):
            if class_preds.shape[1] % priors:
                raise ValueError(f"class predictions [{class_preds.shape}] are not a multiple of {priors} priors")
            classes = class_preds.shape[1] // priors
        return priors, classes

    def infer(self, box_logits: TensorInfo, class_preds: TensorInfo, proposals: TensorInfo,
              aux_class_preds: TensorInfo | None = None, aux_box_preds: TensorInfo | None = None
              ) -> list[TensorInfo]:
        for info, rank, what in ((box_logits, 2, "box logits"), (class_preds, 2, "class predictions"),
                                 (proposals, 3, "proposals")):
            if info.shape.rank not in (None, rank):
                raise ValueError(f"{what} must have rank {rank}, got [{info.shape}]")
        priors, classes = self.counts(box_logits, class_preds, proposals)
        images = box_logits.shape[0] if box_logits.shape.rank == 2 else DYNAMIC
        if self.keep_top_k[0] > 0:
            rows = dim_mul(images, self.keep_top_k[0])
        elif self.top_k > 0:
            rows = dim_mul(images, self.top_k * classes) if classes else DYNAMIC
        else:
            rows = dim_mul(images, priors * classes) if priors and classes else DYNAMIC
        return [TensorInfo(box_logits.element_type, PartialShape([1, 1, rows, 7]))]

    def evaluate(self, box_logits, class_preds, proposals, aux_class_preds=None, aux_box_preds=None):
        out_info = self.infer(TensorInfo.of(box_logits), TensorInfo.of(class_preds), TensorInfo.of(proposals))[0]
        rows = out_info.shape[2]
        priors, classes = self.counts(TensorInfo.of(box_logits), TensorInfo.of(class_preds),
                                      TensorInfo.of(proposals))
        return [detection_output(self, box_logits, class_preds, proposals, aux_class_preds, aux_box_preds,
                                 priors, classes, rows)]


def _decode(op: DetectionOutput, prior: np.ndarray, var: np.ndarray | None, loc: np.ndarray) -> np.ndarray:
    """Boxes [P, 4] from priors [P, 4], variances [P, 4] (None: encoded in target) and offsets [P, 4]."""
    f = np.float32
    p = prior.astype(np.float32)
    if not op.normalized:
        p = p / np.array([op.input_width, op.input_height, op.input_width, op.input_height], np.float32)
    v = np.ones_like(p) if var is None else var.astype(np.float32)
    if op.code_type.endswith("CORNER"):
        out = p + v * loc
    else:   # CENTER_SIZE
        pw, ph = p[:, 2] - p[:, 0], p[:, 3] - p[:, 1]
        pcx, pcy = (p[:, 0] + p[:, 2]) / f(2), (p[:, 1] + p[:, 3]) / f(2)
        cx = v[:, 0] * loc[:, 0] * pw + pcx
        cy = v[:, 1] * loc[:, 1] * ph + pcy
        bw = np.exp(v[:, 2] * loc[:, 2]).astype(np.float32) * pw
        bh = np.exp(v[:, 3] * loc[:, 3]).astype(np.float32) * ph
        out = np.stack([cx - bw / f(2), cy - bh / f(2), cx + bw / f(2), cy + bh / f(2)], axis=1)
    if op.clip_before_nms:
        out = np.clip(out, 0, 1)
    return out.astype(np.float32)


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Jaccard overlap of one box with many (normalized boxes: no +1 on sizes)."""
    disjoint = (others[:, 0] > box[2]) | (others[:, 2] < box[0]) | (others[:, 1] > box[3]) | (others[:, 3] < box[1])
    ix0, iy0 = np.maximum(box[0], others[:, 0]), np.maximum(box[1], others[:, 1])
    ix1, iy1 = np.minimum(box[2], others[:, 2]), np.minimum(box[3], others[:, 3])
    iw, ih = ix1 - ix0, iy1 - iy0

    def size(b):
        valid = (b[..., 2] >= b[..., 0]) & (b[..., 3] >= b[..., 1])
        return np.where(valid, (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]), np.float32(0))

    inter = iw * ih
    overlap = inter / (size(box) + size(others) - inter)
    return np.where(disjoint | (iw <= 0) | (ih <= 0), np.float32(0), overlap).astype(np.float32)


def _nms(op: DetectionOutput, boxes: np.ndarray, scores: np.ndarray) -> list[int]:
    candidates = np.flatnonzero(scores > np.float32(op.confidence_threshold))
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    if op.top_k > -1:
        order = order[:op.top_k]
    kept: list[int] = []
    for idx in order:
        if kept and (_iou(boxes[idx], boxes[kept]) > np.float32(op.nms_threshold)).any():
            continue
        kept.append(int(idx))
    return kept


def detection_output(op: DetectionOutput, loc, conf, priors_in, arm_conf, arm_loc, num_priors, num_classes,
                     rows) -> np.ndarray:
    images = loc.shape[0]
    prior_size = 4 if op.normalized else 5
    loc_classes = 1 if op.share_location else num_classes
    locs = loc.reshape(images, num_priors, loc_classes, 4).astype(np.float32)
    confs = conf.reshape(images, num_priors, num_classes).astype(np.float32)
    if arm_conf is not None:
        objectness = arm_conf.reshape(images, num_priors, 2)[:, :, 1]
        background = np.zeros(num_classes, np.float32)
        if 0 <= op.background_label_id < num_classes:
            background[op.background_label_id] = 1
        confs = np.where((objectness < np.float32(op.objectness_score))[:, :, None], background, confs)
    prior_batches = priors_in.shape[0]
    step = num_priors * prior_size
    result = np.zeros((rows, 7), np.float32)
    count = 0
    for i in range(images):
        block = priors_in[0 if prior_batches == 1 else i].reshape(-1)
        prior_boxes = block[:step].reshape(num_priors, prior_size)[:, prior_size - 4:]
        variances = None if op.variance_encoded_in_target else block[step:step + num_priors * 4].reshape(
            num_priors, 4)
        decoded: dict[int, np.ndarray] = {}
        for c in range(loc_classes):
            label = -1 if op.share_location else c
            if op.background_label_id > -1 and label == op.background_label_id:
                continue
            base = prior_boxes
            if arm_loc is not None:   # cascade: the priors are refined by the extra box predictions first
                arm = arm_loc.reshape(images, num_priors, loc_classes, 4)[i, :, c].astype(np.float32)
                base = _decode(op, prior_boxes, variances, arm)
            decoded[label] = _decode(op, base, variances, locs[i, :, c])
        indices: dict[int, list[int]] = {}
        if not op.decrease_label_id:
            for c in range(num_classes):
                if c == op.background_label_id:
                    continue
                label = -1 if op.share_location else c
                if label not in decoded:
                    continue
                indices[c] = _nms(op, decoded[label], confs[i, :, c])
        else:
            indices = _mxnet_nms(op, decoded, confs[i], num_priors, num_classes)
        total = sum(len(v) for v in indices.values())
        if op.keep_top_k[0] > -1 and total > op.keep_top_k[0]:
            pairs = [(confs[i, idx, label], label, idx) for label, ids in sorted(indices.items()) for idx in ids]
            pairs.sort(key=lambda t: (-t[0], t[2]))
            pairs = pairs[:op.keep_top_k[0]]
            indices = {}
            for _, label, idx in pairs:
                indices.setdefault(label, []).append(idx)
        for label in sorted(indices):
            boxes = decoded[-1 if op.share_location else label]
            for idx in indices[label]:
                b = boxes[idx]
                if op.clip_after_nms:
                    b = np.clip(b, 0, 1)
                result[count] = [i, label - 1 if op.decrease_label_id else label, confs[i, idx, label], *b]
                count += 1
    if count < rows:
        result[count, 0] = -1
    return result.reshape(1, 1, rows, 7)


def _mxnet_nms(op: DetectionOutput, decoded, confs, num_priors, num_classes) -> dict[int, list[int]]:
    """decrease_label_id: one class per prior (its best non-background score), NMS within each class."""
    pairs = []
    for p in range(num_priors):
        best, label = np.float32(-1), 0
        for c in range(1, num_classes):
            if op.background_label_id > -1 and c == op.background_label_id:
                continue
            if confs[p, c] > best:
                best, label = confs[p, c], c
        if label > 0 and best >= np.float32(op.confidence_threshold):
            pairs.append((best, label, p))
    pairs.sort(key=lambda t: (-t[0], t[2]))
    if op.top_k != -1:
        pairs = pairs[:op.top_k]
    indices: dict[int, list[int]] = {}
    for _, label, p in pairs:
        kept = indices.setdefault(label, [])
        boxes = decoded[-1 if op.share_location else label]
        if kept and (_iou(boxes[p], boxes[kept]) > np.float32(op.nms_threshold)).any():
            continue
        kept.append(p)
    return indices


# -- region proposals ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Proposal(Op):
    """opset4 Proposal: Faster R-CNN's region proposals from RPN scores [N, 2A, H, W] (background, then
    foreground) and box deltas [N, 4A, H, W] over anchors every feat_stride pixels; image_shape is [H, W, scale]
    or [H, W, scale_h, scale_w]. Outputs rois [N * post_nms_topn, 5] (batch, x0, y0, x1, y1), zero-padded with
    -1 after the last one, and their scores."""

    TYPE = "Proposal"
    VERSION = "opset4"
    base_size: int = 16
    pre_nms_topn: int = 6000
    post_nms_topn: int = 300
    nms_thresh: float = 0.7
    feat_stride: int = 16
    min_size: int = 16
    ratio: tuple[float, ...] = (0.5, 1.0, 2.0)
    scale: tuple[float, ...] = (8.0, 16.0, 32.0)
    clip_before_nms: bool = True
    clip_after_nms: bool = False
    normalize: bool = False
    box_size_scale: float = 1.0
    box_coordinate_scale: float = 1.0
    framework: str = ""

    def infer(self, class_probs: TensorInfo, bbox_deltas: TensorInfo, image_shape: TensorInfo) -> list[TensorInfo]:
        if class_probs.shape.rank not in (None, 4) or bbox_deltas.shape.rank not in (None, 4):
            raise ValueError(f"class_probs [{class_probs.shape}] and bbox_deltas [{bbox_deltas.shape}] must be 4-D")
        if image_shape.shape.rank not in (None, 1) or (image_shape.shape.rank == 1 and
                                                        image_shape.shape[0] not in (3, 4)):
            raise ValueError(f"image_shape must be [3] or [4], got [{image_shape.shape}]")
        batch = class_probs.shape[0] if class_probs.shape.rank == 4 else DYNAMIC
        rows = dim_mul(batch, self.post_nms_topn)
        et = class_probs.element_type
        return [TensorInfo(et, PartialShape([rows, 5])), TensorInfo(et, PartialShape([rows]))]

    def anchors(self) -> np.ndarray:
        """[A, 4] anchors (x0, y0, x1, y1) around the first cell, ratio-major, with Caffe's rounded sizes."""
        f = np.float32
        area = f(self.base_size * self.base_size)
        center = f(0.5) * (f(self.base_size) - f(1))
        out = []
        for r in self.ratio:
            w = np.float32(np.floor(np.sqrt(area / f(r)) + f(0.5)))     # roundf: halves away from zero
            h = np.float32(np.floor(w * f(r) + f(0.5)))
            for s in self.scale:
                sw, sh = f(0.5) * (w * f(s) - f(1)), f(0.5) * (h * f(s) - f(1))
                out.append([center - sw, center - sh, center + sw, center + sh])
        return np.array(out, np.float32)

    def evaluate(self, class_probs, bbox_deltas, image_shape):
        if self.framework == "tensorflow":
            # OpenVINO's CPU plugin and its reference disagree on this mode; irforge does not guess.
            raise NotEvaluable("Proposal with framework=tensorflow has no numpy evaluation yet")
        f = np.float32
        batch, _, height, width = class_probs.shape
        anchors = self.anchors()
        count = anchors.shape[0]
        info = image_shape.reshape(-1).astype(np.float32)
        img_h, img_w, scale_h = info[0], info[1], info[2]
        scale_w = info[3] if info.size > 3 else scale_h
        min_h, min_w = f(self.min_size) * scale_h, f(self.min_size) * scale_w
        ys, xs = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
        shifts = np.stack([xs, ys], axis=-1).astype(np.float32) * f(self.feat_stride)     # [H, W, 2]
        base = np.concatenate([shifts[:, :, None, :] + anchors[None, None, :, :2],
                               shifts[:, :, None, :] + anchors[None, None, :, 2:]], axis=-1)  # [H, W, A, 4]
        rows = batch * self.post_nms_topn
        rois = np.zeros((rows, 5), np.float32)
        probs = np.zeros(rows, np.float32)
        for b in range(batch):
            scores = class_probs[b, count:].transpose(1, 2, 0).reshape(-1).astype(np.float32)   # [H*W*A]
            deltas = bbox_deltas[b].reshape(count, 4, height, width).transpose(2, 3, 0, 1).astype(np.float32)
            boxes = self._decode(base, deltas, img_h, img_w).reshape(-1, 4)
            widths, heights = boxes[:, 2] - boxes[:, 0] + f(1), boxes[:, 3] - boxes[:, 1] + f(1)
            scores = scores * ((min_w <= widths) & (min_h <= heights)).astype(np.float32)
            order = np.argsort(-scores, kind="stable")[:min(self.pre_nms_topn, scores.size)]
            chosen = order[_proposal_nms(boxes[order], f(self.nms_thresh), self.post_nms_topn, f(1))]
            out = boxes[chosen]
            if self.clip_after_nms:
                out = np.clip(out, 0, np.array([img_w, img_h, img_w, img_h], np.float32))
            if self.normalize:
                out = out / np.array([img_w, img_h, img_w, img_h], np.float32)
            start = b * self.post_nms_topn
            rois[start:start + len(chosen), 0] = b
            rois[start:start + len(chosen), 1:] = out
            probs[start:start + len(chosen)] = scores[chosen]
            if len(chosen) < self.post_nms_topn:
                rois[start + len(chosen), 0] = -1
        return [rois, probs]

    def _decode(self, base, deltas, img_h, img_w):
        """Anchors moved by (dx, dy) of their size and scaled by exp(dw, dh); sizes count +1 pixel (Caffe)."""
        f = np.float32
        x0, y0, x1, y1 = (base[..., i] for i in range(4))
        ww, hh = x1 - x0 + f(1), y1 - y0 + f(1)
        cx, cy = x0 + f(0.5) * ww, y0 + f(0.5) * hh
        dx = deltas[..., 0] / f(self.box_coordinate_scale)
        dy = deltas[..., 1] / f(self.box_coordinate_scale)
        dw = deltas[..., 2] / f(self.box_size_scale)
        dh = deltas[..., 3] / f(self.box_size_scale)
        pcx, pcy = dx * ww + cx, dy * hh + cy
        pw, ph = np.exp(dw).astype(np.float32) * ww, np.exp(dh).astype(np.float32) * hh
        x0, y0, x1, y1 = pcx - f(0.5) * pw, pcy - f(0.5) * ph, pcx + f(0.5) * pw, pcy + f(0.5) * ph
        if self.clip_before_nms:
            x0, x1 = np.clip(x0, 0, img_w - f(1)), np.clip(x1, 0, img_w - f(1))
            y0, y1 = np.clip(y0, 0, img_h - f(1)), np.clip(y1, 0, img_h - f(1))
        return np.stack([x0, y0, x1, y1], axis=-1).astype(np.float32)


def _proposal_nms(boxes: np.ndarray, threshold: np.float32, limit: int, offset: np.float32) -> np.ndarray:
    """Greedy NMS in score order; sizes count +offset pixels (Caffe's +1). Indices of the kept boxes."""
    dead = np.zeros(len(boxes), bool)
    kept: list[int] = []
    for i in range(len(boxes)):
        if dead[i]:
            continue
        kept.append(i)
        if len(kept) == limit:
            break
        a, rest = boxes[i], boxes[i + 1:]
        overlapping = (a[0] <= rest[:, 2]) & (a[1] <= rest[:, 3]) & (rest[:, 0] <= a[2]) & (rest[:, 1] <= a[3])
        w = np.maximum(np.float32(0), np.minimum(a[2], rest[:, 2]) - np.maximum(a[0], rest[:, 0]) + offset)
        h = np.maximum(np.float32(0), np.minimum(a[3], rest[:, 3]) - np.maximum(a[1], rest[:, 1]) + offset)
        inter = w * h
        area_a = (a[2] - a[0] + offset) * (a[3] - a[1] + offset)
        area_b = (rest[:, 2] - rest[:, 0] + offset) * (rest[:, 3] - rest[:, 1] + offset)
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = np.where(overlapping, inter / (area_a + area_b - inter), np.float32(0))
        dead[i + 1:] |= threshold < iou
    return np.array(kept, np.int64)


OPS: tuple[type[Op], ...] = (PriorBox, PriorBoxClustered, DetectionOutput, Proposal)
__all__ = [c.__name__ for c in OPS]
