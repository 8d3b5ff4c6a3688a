"""Detection post-processing: NonMaxSuppression and RoiAlign."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import OnnxNode
from .generic import i64


def _scalar(n: OnnxNode, x: Output, et: ElementType) -> Output:
    x = x if x.element_type == et else n.out(ops.Convert(et), x)
    return x if x.shape.rank == 0 else n.out(ops.Reshape(), x, n.const(i64([])))


def non_max_suppression(n: OnnxNode) -> list[Output]:
    """ONNX lists the selected boxes by batch, then class, then score: OpenVINO's order without
    sort_result_descending. Omitted limits take ONNX's defaults (0 boxes, thresholds 0)."""
    boxes, scores = n.input(0), n.input(1)
    limit = _scalar(n, n.input(2), ElementType.i64) if n.has(2) else n.const(i64(0))
    iou = _scalar(n, n.input(3), ElementType.f32) if n.has(3) else n.const(np.float32(0))
    score = _scalar(n, n.input(4), ElementType.f32) if n.has(4) else n.const(np.float32(0))
    op = ops.NonMaxSuppression(box_encoding="center" if n.attr("center_point_box", 0) else "corner",
                               sort_result_descending=False, output_type=ElementType.i64)
    return [n.add(op, boxes, scores, limit, iou, score).outputs[0]]


def roi_align(n: OnnxNode) -> list[Output]:
    """half_pixel (opset 16's default) shifts the roi by -0.5 pixel after scaling: OpenVINO's half_pixel_for_nn;
    output_half_pixel (opset 10's behaviour) is asymmetric. ONNX's max mode takes, per sample, the largest of the
    four weighted corners, which OpenVINO's does not: only avg converts."""
    mode = n.attr("mode", "avg")
    if mode != "avg":
        raise n.error("mode 'max' is not supported: ONNX takes the largest weighted corner of each sample, "
                      "OpenVINO's ROIAlign the largest interpolated sample")
    default = "half_pixel" if n.opset >= 16 else "output_half_pixel"
    aligned = {"half_pixel": "half_pixel_for_nn", "output_half_pixel": "asymmetric"}[
        n.attr("coordinate_transformation_mode", default)]
    op = ops.ROIAlign(pooled_h=int(n.attr("output_height", 1)), pooled_w=int(n.attr("output_width", 1)),
                      sampling_ratio=int(n.attr("sampling_ratio", 0)), spatial_scale=float(n.attr("spatial_scale", 1.0)),
                      mode=mode, aligned_mode=aligned)
    x, rois = n.input(0), n.input(1)
    if rois.element_type != x.element_type:
        rois = n.out(ops.Convert(x.element_type), rois)
    indices = n.out(ops.Convert(ElementType.i32), n.input(2))
    return [n.out(op, x, rois, indices)]
