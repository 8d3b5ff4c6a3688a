"""Detection: MultiBoxPrior's anchors depend only on the feature map's size and the attributes, so they become a
constant; MultiBoxDetection is DetectionOutput in its MXNet mode."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import MxNode
from .common import i64, scalar, scalar_like


def multibox_anchors(height: int, width: int, sizes, ratios, steps, offsets, clip: bool) -> np.ndarray:
    """[1, H * W * (len(sizes) + len(ratios) - 1), 4] corner boxes, normalized, in MXNet's order: per cell, every
    size at ratio 1, then every other ratio at the first size."""
    step_y = steps[0] if steps[0] > 0 else 1.0 / height
    step_x = steps[1] if steps[1] > 0 else 1.0 / width
    cy = (np.arange(height) + offsets[0]) * step_y
    cx = (np.arange(width) + offsets[1]) * step_x
    half = []
    for size in sizes:
        half.append((size * height / width / 2, size / 2))
    for ratio in ratios[1:]:
        r = np.sqrt(ratio)
        half.append((sizes[0] * height / width * r / 2, sizes[0] / r / 2))
    w = np.array([h[0] for h in half])
    h = np.array([h[1] for h in half])
    gy, gx = np.meshgrid(cy, cx, indexing="ij")                                  # [H, W]
    boxes = np.stack([gx[..., None] - w, gy[..., None] - h, gx[..., None] + w, gy[..., None] + h], axis=-1)
    boxes = boxes.reshape(1, -1, 4)
    if clip:
        boxes = np.clip(boxes, 0.0, 1.0)
    return boxes.astype(np.float32)


def multibox_prior(n: MxNode) -> list[Output]:
    """A constant: the anchors of the feature map size (sizes, ratios, steps, offsets, clip)."""
    x = n.input(0)
    if x.shape.rank != 4 or not all(isinstance(d, int) for d in x.shape.dims[2:]):  # type: ignore[index]
        raise n.error("MultiBoxPrior needs the feature map's H and W: give --input_shape")
    anchors = multibox_anchors(x.shape[2], x.shape[3], n.floats("sizes", (1.0,)), n.floats("ratios", (1.0,)),  # type: ignore
                               n.floats("steps", (-1.0, -1.0)), n.floats("offsets", (0.5, 0.5)), n.bool("clip"))
    return [n.const(anchors)]


def multibox_detection(n: MxNode) -> list[Output]:
    """DetectionOutput in MXNet's mode (decrease_label_id: one class per anchor, its best non-background score):
    cls_prob [N, C+1, A], loc_pred [N, A*4], anchors [1, A, 4] corners. The output is DetectionOutput's
    [1, 1, K, 7] (image, class id, score, box) rows, not MXNet's [N, A, 6]: the same detections, in rows."""
    DetectionOutput = getattr(ops, "DetectionOutput", None)
    if DetectionOutput is None:
        raise n.error("MultiBoxDetection needs the DetectionOutput op, which this build lacks")
    if n.bool("force_suppress", False):
        raise n.error("force_suppress=True (NMS across classes) has no DetectionOutput form")
    cls_prob, loc_pred, anchors = n.input(0), n.input(1), n.input(2)
    conf = n.out(ops.Reshape(special_zero=True), n.out(ops.Transpose(), cls_prob, n.const(i64([0, 2, 1]))),
                 n.const(i64([0, -1])))
    variances = n.floats("variances", (0.1, 0.1, 0.2, 0.2))
    boxes = n.out(ops.Reshape(special_zero=False), anchors, n.const(i64([1, 1, -1])))
    count = anchors.shape[1] if anchors.shape.rank == 3 and isinstance(anchors.shape[1], int) else None
    if count is None:
        raise n.error("MultiBoxDetection needs the number of anchors: give --input_shape")
    var = n.const(np.tile(np.asarray(variances, np.float32), count).reshape(1, 1, -1))
    priors = n.out(ops.Concat(axis=1), boxes, var)
    op = DetectionOutput(background_label_id=n.int("background_id", 0), top_k=n.int("nms_topk", -1),
                         keep_top_k=(-1,), code_type="caffe.PriorBoxParameter.CENTER_SIZE", share_location=True,
                         nms_threshold=n.float("nms_threshold", 0.5), confidence_threshold=n.float("threshold", 0.01),
                         clip_before_nms=n.bool("clip", True), decrease_label_id=True, normalized=True,
                         variance_encoded_in_target=False)
    return [n.out(op, loc_pred, conf, priors)]


def _needs(n: MxNode, op_name: str):
    op_class = getattr(ops, op_name, None)
    if op_class is None:
        raise n.error(f"{n.op_type} needs the {op_name} op, which this build lacks")
    return op_class


def roi_pooling(n: MxNode) -> list[Output]:
    """ROIPooling (max): rois [R, 5] as (batch index, x1, y1, x2, y2) in image coordinates, as OpenVINO's."""
    ROIPooling = _needs(n, "ROIPooling")
    pooled = n.ints("pooled_size")
    return [n.out(ROIPooling(pooled_h=int(pooled[0]), pooled_w=int(pooled[1]),
                             spatial_scale=n.float("spatial_scale"), method="max"), n.input(0), n.input(1))]


def proposal(n: MxNode) -> list[Output]:
    """Proposal / MultiProposal: cls_prob [N, 2A, H, W] (background scores first), bbox_pred [N, 4A, H, W],
    im_info [N, 3]; anchors of base size feature_stride. Rois [N * post_nms_top_n, 5]; output_score adds the
    scores."""
    Proposal = _needs(n, "Proposal")
    if n.bool("iou_loss", False):
        raise n.error("iou_loss=True is not supported")
    op = Proposal(base_size=n.int("feature_stride", 16), pre_nms_topn=n.int("rpn_pre_nms_top_n", 6000),
                  post_nms_topn=n.int("rpn_post_nms_top_n", 300), nms_thresh=n.float("threshold", 0.7),
                  feat_stride=n.int("feature_stride", 16), min_size=n.int("rpn_min_size", 16),
                  ratio=n.floats("ratios", (0.5, 1.0, 2.0)), scale=n.floats("scales", (4.0, 8.0, 16.0, 32.0)),
                  clip_before_nms=True, clip_after_nms=False, normalize=False, box_size_scale=1.0,
                  box_coordinate_scale=1.0, framework="")
    # OpenVINO takes one im_info [3] for the whole batch; MXNet gives a row per image: use the first row.
    info = n.out(ops.Gather(), n.input(2), n.const(i64(0)), n.const(i64(0))) if n.input(2).shape.rank == 2 \
        else n.input(2)
    node = n.add(op, n.input(0), n.input(1), info)
    rois = _mxnet_box_ends(n, node.outputs[0], info)
    if n.bool("output_score", False):
        return [rois, n.out(ops.Unsqueeze(), node.outputs[1], n.const(i64([1])))]
    return [rois]


def _mxnet_box_ends(n: MxNode, rois: Output, info: Output) -> Output:
    """MXNet decodes x2 = cx + (w - 1) / 2 with cx = x1 + (w - 1) / 2, OpenVINO (Caffe) x2 = cx + w / 2 with
    cx = x1 + w / 2: MXNet's x2 and y2 are one less. Subtract 1 from the ends that the clip to the image left alone
    (a box clipped at the image's last pixel stays there in both)."""
    columns = list(n.add(ops.Split(num_splits=5), rois, scalar(n, 1, ElementType.i64)).outputs)
    for col, axis in ((3, 1), (4, 0)):  # x2 against the width - 1, y2 against the height - 1
        last = n.out(ops.Subtract(), n.out(ops.Gather(), info, n.const(i64([axis])), n.const(i64(0))),
                     scalar_like(n, rois, 1.0))
        shifted = n.out(ops.Maximum(), n.out(ops.Subtract(), columns[col], scalar_like(n, rois, 1.0)),
                        scalar_like(n, rois, 0.0))
        columns[col] = n.out(ops.Select(), n.out(ops.Less(), columns[col], last), shifted, columns[col])
    return n.out(ops.Concat(axis=1), *columns)
