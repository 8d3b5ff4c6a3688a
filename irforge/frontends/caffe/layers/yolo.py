"""YOLO v2 / v3 heads of Caffe ports of Darknet nets (the layer types of the legacy Model Optimizer's
caffe.proto): RegionYolo and ReorgYolo, one OpenVINO op each."""
from __future__ import annotations

from irforge import ops
from irforge.core.graph import Output

from ..context import LayerContext


def region_yolo(ctx: LayerContext) -> list[Output]:
    """region_yolo_param (coords, classes, num, do_softmax, anchors, mask); the output is flattened from
    flatten_param's axis to end_axis (with do_softmax), as the legacy Model Optimizer reads the layer."""
    x = ctx.input()
    if ctx.rank(x) != 4:
        raise ctx.error(f"RegionYolo reads [N, C, H, W], got [{x.shape}]")
    p = ctx.param("region_yolo_param")
    flatten = ctx.param("flatten_param")
    op = ops.RegionYolo(anchors=tuple(float(a) for a in p.list("anchors")),
                        axis=ctx.axis(int(flatten.get("axis")), 4, "flatten_param.axis"),
                        end_axis=ctx.axis(int(flatten.get("end_axis")), 4, "flatten_param.end_axis"),
                        coords=int(p.get("coords")), classes=int(p.get("classes")), num=int(p.get("num")),
                        do_softmax=bool(p.get("do_softmax")), mask=tuple(int(m) for m in p.list("mask")))
    if not op.do_softmax and not op.mask:
        raise ctx.error("region_yolo_param with do_softmax: false needs the mask of the anchors this head uses")
    return [ctx.out(op, x)]


def reorg_yolo(ctx: LayerContext) -> list[Output]:
    """reorg_yolo_param.stride: Darknet's reorg, [N, C, H, W] -> [N, C * s^2, H / s, W / s]."""
    x = ctx.input()
    if ctx.rank(x) != 4:
        raise ctx.error(f"ReorgYolo reads [N, C, H, W], got [{x.shape}]")
    stride = int(ctx.param("reorg_yolo_param").get("stride"))
    if stride < 1:
        raise ctx.error(f"reorg_yolo_param.stride must be >= 1, got {stride}")
    return [ctx.out(ops.ReorgYolo(stride=(stride, stride)), x)]
