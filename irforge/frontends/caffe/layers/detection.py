"""Detection layers: SSD's PriorBox and DetectionOutput, PriorBoxClustered, Faster R-CNN's Proposal (also as the
py-faster-rcnn Python layer) and ROIPooling, PSROIPooling."""
from __future__ import annotations

import ast
import re

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


# py-faster-rcnn's ProposalLayer reads feat_stride/scales/ratios from param_str and the rest from its TEST config.
PY_FASTER_RCNN_TEST = dict(pre_nms_topn=6000, post_nms_topn=300, nms_thresh=0.7, min_size=16)


def parse_param_str(ctx: LayerContext, text: str) -> dict:
    """A Python layer's param_str: a dict literal, with or without braces and quotes ("'feat_stride': 16",
    "feat_stride: 16, scales: [4, 8]")."""
    body = text.strip()
    if not body:
        return {}
    if not body.startswith("{"):
        body = "{" + body + "}"
    body = re.sub(r"([{,]\s*)([A-Za-z_]\w*)\s*:", r"\1'\2':", body)
    try:
        value = ast.literal_eval(body)
    except (ValueError, SyntaxError):
        raise ctx.error(f"cannot read python_param.param_str {text!r} (expected 'key': value pairs)") from None
    if not isinstance(value, dict):
        raise ctx.error(f"python_param.param_str {text!r} is not a dict")
    return value


def _image_info(ctx: LayerContext, info: Output) -> Output:
    """im_info [N, 3] (height, width, scale) -> the [3] OpenVINO's Proposal takes (the first image's)."""
    rank = ctx.rank(info, "im_info")
    if rank == 1:
        return info
    if rank != 2:
        raise ctx.error(f"im_info must be [N, 3] or [N, 4], got [{info.shape}]")
    return ctx.out(ops.Gather(), info, ctx.const(np.int64(0)), ctx.const(np.int64(0)))


def _proposal(ctx: LayerContext, attrs: dict) -> list[Output]:
    scores, deltas, info = ctx.input(0), ctx.input(1), _image_info(ctx, ctx.input(2))
    node = ctx.add(ops.Proposal(**attrs, clip_before_nms=True, clip_after_nms=False, normalize=False), scores,
                   deltas, info)
    rois, probs = node.outputs
    if len(ctx.layer.tops) > 1:   # Caffe's scores top is [R, 1]
        return [rois, ctx.out(ops.Reshape(special_zero=False), probs, ctx.const(i64([-1, 1])))]
    return [rois]


def proposal(ctx: LayerContext) -> list[Output]:
    """Faster R-CNN's Proposal layer (proposal_param). Caffe keeps only the proposals it finds; OpenVINO pads
    to post_nms_topn rows and marks the end with a -1 batch index."""
    p = ctx.param("proposal_param")
    return _proposal(ctx, dict(
        base_size=int(p.get("base_size")), pre_nms_topn=int(p.get("pre_nms_topn")),
        post_nms_topn=int(p.get("post_nms_topn")), nms_thresh=float(p.get("nms_thresh")),
        feat_stride=int(p.get("feat_stride")), min_size=int(p.get("min_size")),
        ratio=tuple(float(v) for v in p.list("ratio")) or (0.5, 1.0, 2.0),
        scale=tuple(float(v) for v in p.list("scale")) or (8.0, 16.0, 32.0)))


def python_proposal(ctx: LayerContext) -> list[Output]:
    """py-faster-rcnn's `Python` layer rpn.proposal_layer.ProposalLayer."""
    params = parse_param_str(ctx, ctx.param("python_param").get("param_str"))
    return _proposal(ctx, dict(
        base_size=16, feat_stride=int(params.get("feat_stride", 16)),
        ratio=tuple(float(v) for v in params.get("ratios", (0.5, 1.0, 2.0))),
        scale=tuple(float(v) for v in params.get("scales", (8, 16, 32))), **PY_FASTER_RCNN_TEST))


def _rois(ctx: LayerContext, rois: Output) -> Output:
    if ctx.rank(rois, "the rois") == 2:
        return rois
    return ctx.out(ops.Reshape(special_zero=False), rois, ctx.const(i64([-1, 5])))


def roi_pooling(ctx: LayerContext) -> list[Output]:
    p = ctx.param("roi_pooling_param")
    if int(p.get("pooled_h")) < 1 or int(p.get("pooled_w")) < 1:
        raise ctx.error("roi_pooling_param needs pooled_h and pooled_w")
    op = ops.ROIPooling(pooled_h=int(p.get("pooled_h")), pooled_w=int(p.get("pooled_w")),
                        spatial_scale=float(p.get("spatial_scale")), method="max")
    return [ctx.out(op, ctx.input(0), _rois(ctx, ctx.input(1)))]


def psroi_pooling(ctx: LayerContext) -> list[Output]:
    """R-FCN's position-sensitive ROI pooling (average over each bin)."""
    p = ctx.param("psroi_pooling_param")
    op = ops.PSROIPooling(output_dim=int(p.get("output_dim")), group_size=int(p.get("group_size")),
                          spatial_scale=float(p.get("spatial_scale")), mode="average")
    return [ctx.out(op, ctx.input(0), _rois(ctx, ctx.input(1)))]
