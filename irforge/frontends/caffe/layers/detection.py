"""Detection layers: SSD's PriorBox and DetectionOutput, PriorBoxClustered, Faster R-CNN's Proposal (also as the
py-faster-rcnn Python layer) and ROIPooling, PSROIPooling."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Output

from ..context import LayerContext
from .common import i64

FLOAT_MIN = -3.4028234663852886e+38   # Caffe's "no confidence threshold": -FLT_MAX


def _spatial_size(ctx: LayerContext, x: Output, what: str) -> Output:
    """[H, W] of an NCHW tensor (a constant once shapes are known)."""
    if ctx.rank(x, what) != 4:
        raise ctx.error(f"{what} must be 4-D [N, C, H, W], got [{x.shape}]")
    shape = ctx.out(ops.ShapeOf(), x)
    return ctx.out(ops.Gather(), shape, ctx.const(i64([2, 3])), ctx.const(np.int64(0)))


def _image_size(ctx: LayerContext, p) -> Output:
    """The image size: img_h/img_w or img_size when given, else the second bottom's [H, W]."""
    if p.has("img_h") or p.has("img_w"):
        return ctx.const(i64([int(p.get("img_h")), int(p.get("img_w"))]))
    if p.has("img_size"):
        return ctx.const(i64([int(p.get("img_size"))] * 2))
    return _spatial_size(ctx, ctx.input(1), "the image bottom")


def _step(ctx: LayerContext, p, feature: Output, image: Output, offset: float) -> float:
    """One step for both axes (OpenVINO's PriorBox has one). Without a step Caffe uses image / feature size per
    axis, which OpenVINO's step 0 reproduces when the offset is the default 0.5."""
    if p.has("step_h") or p.has("step_w"):
        step_h, step_w = float(p.get("step_h")), float(p.get("step_w"))
        if step_h != step_w:
            raise ctx.error(f"step_h {step_h} != step_w {step_w}: OpenVINO's PriorBox takes one step")
        return step_h
    if p.has("step"):
        return float(p.get("step"))
    if offset == 0.5:
        return 0.0
    size, img = feature.value, image.value
    if size is None or img is None:
        raise ctx.error(f"offset {offset} without a step needs static feature and image sizes")
    steps = {float(img[0]) / float(size[0]), float(img[1]) / float(size[1])}
    if len(steps) != 1:
        raise ctx.error(f"image / feature steps differ per axis {sorted(steps)} with offset {offset}: "
                        "OpenVINO's PriorBox takes one step")
    return steps.pop()


def prior_box(ctx: LayerContext) -> list[Output]:
    p = ctx.param("prior_box_param")
    min_sizes = tuple(float(v) for v in p.list("min_size"))
    max_sizes = tuple(float(v) for v in p.list("max_size"))
    if not min_sizes:
        raise ctx.error("prior_box_param needs min_size")
    if max_sizes and len(max_sizes) != len(min_sizes):
        raise ctx.error(f"{len(max_sizes)} max_size for {len(min_sizes)} min_size (Caffe pairs them)")
    variance = tuple(float(v) for v in p.list("variance"))
    if len(variance) not in (0, 1, 4):
        raise ctx.error(f"variance must have 1 or 4 values, got {len(variance)}")
    feature = _spatial_size(ctx, ctx.input(0), "the feature bottom")
    image = _image_size(ctx, p)
    offset = float(p.get("offset"))
    op = ops.PriorBox(min_size=min_sizes, max_size=max_sizes,
                      aspect_ratio=tuple(float(v) for v in p.list("aspect_ratio")), flip=bool(p.get("flip")),
                      clip=bool(p.get("clip")), step=_step(ctx, p, feature, image, offset), offset=offset,
                      variance=variance, scale_all_sizes=True, min_max_aspect_ratios_order=True)
    priors = ctx.out(op, feature, image)
    return [ctx.out(ops.Unsqueeze(), priors, ctx.const(i64([0])))]   # Caffe's top is [1, 2, 4 * boxes]


def prior_box_clustered(ctx: LayerContext) -> list[Output]:
    p = ctx.param("prior_box_param")
    widths, heights = tuple(float(v) for v in p.list("width")), tuple(float(v) for v in p.list("height"))
    if not widths or len(widths) != len(heights):
        raise ctx.error(f"needs as many width as height values, got {len(widths)} and {len(heights)}")
    feature = _spatial_size(ctx, ctx.input(0), "the feature bottom")
    image = _image_size(ctx, p)
    op = ops.PriorBoxClustered(width=widths, height=heights, clip=bool(p.get("clip")),
                               step=float(p.get("step")), step_w=float(p.get("step_w")),
                               step_h=float(p.get("step_h")), offset=float(p.get("offset")),
                               variance=tuple(float(v) for v in p.list("variance")))
    priors = ctx.out(op, feature, image)
    return [ctx.out(ops.Unsqueeze(), priors, ctx.const(i64([0])))]


def _as_2d(ctx: LayerContext, x: Output) -> Output:
    if ctx.rank(x) == 2:
        return x
    return ctx.out(ops.Reshape(special_zero=True), x, ctx.const(i64([0, -1])))


def detection_output(ctx: LayerContext) -> list[Output]:
    """SSD's DetectionOutput. Caffe keeps only real detections ([1, 1, kept, 7]); OpenVINO pads to a fixed count
    and marks the end with a row whose image id is -1."""
    p = ctx.param("detection_output_param")
    nms = p.get("nms_param")
    if float(nms.get("eta")) != 1.0:
        raise ctx.error(f"adaptive NMS (eta {nms.get('eta')}) is not supported by OpenVINO's DetectionOutput")
    loc, conf, priors = _as_2d(ctx, ctx.input(0)), _as_2d(ctx, ctx.input(1)), ctx.input(2)
    if ctx.rank(priors, "the prior boxes") != 3:
        raise ctx.error(f"the prior boxes must be [1, 2, 4 * boxes], got [{priors.shape}]")
    op = ops.DetectionOutput(
        background_label_id=int(p.get("background_label_id")),
        top_k=int(nms.get("top_k")) if nms.has("top_k") else -1,
        variance_encoded_in_target=bool(p.get("variance_encoded_in_target")),
        keep_top_k=(int(p.get("keep_top_k")),),
        code_type=f"caffe.PriorBoxParameter.{p.get('code_type')}",
        share_location=bool(p.get("share_location")),
        nms_threshold=float(nms.get("nms_threshold")),
        confidence_threshold=float(p.get("confidence_threshold")) if p.has("confidence_threshold") else FLOAT_MIN,
        clip_after_nms=False, clip_before_nms=False, decrease_label_id=False,
        normalized=bool(p.get("normalized")),
        input_height=max(int(p.get("input_height")), 1), input_width=max(int(p.get("input_width")), 1),
        objectness_score=0.0)
    out = ctx.out(op, loc, conf, priors)
    _, classes = op.counts(loc.info, conf.info, priors.info)
    if p.has("num_classes") and classes is not None and classes != int(p.get("num_classes")):
        raise ctx.error(f"num_classes {p.get('num_classes')} does not fit the confidences [{conf.shape}] "
                        f"({classes} classes per prior box)")
    return [out]
