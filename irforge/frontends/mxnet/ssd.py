"""--enable_ssd_gluoncv: a GluonCV SSD's post-processing (box_decode, the per-class decoder, box_nms and the
slices of its result) becomes one DetectionOutput, as the legacy Model Optimizer does. The model then has one
output, `detection_output` [1, 1, K, 7]: (image, label, score, xmin, ymin, xmax, ymax) rows, label = GluonCV's
class id + 1 (0 is the background), ended by a row whose image is -1.

What is matched: the one box_nms node; the one _contrib_box_decode node (its inputs: box predictions [N, A, 4] and
anchors [1, A, 4], which must be constant once the input shape is known); the one softmax among box_nms'
ancestors (class probabilities [N, A, C + 1]). Everything else after them is dropped. GluonCV keeps the 400 best
(anchor, class) candidates over all classes before NMS, DetectionOutput the 400 best of each class: the same
whenever fewer than 400 candidates pass the score threshold.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge import ops
from irforge.core.graph import Graph, Output
from irforge.errors import ConversionError

from .symbol_json import Symbol, SymbolNode

NMS_OPS = ("_contrib_box_nms", "_contrib_box_non_maximum_suppression", "box_nms")
DECODE_OPS = ("_contrib_box_decode",)
OUTPUT_NAME = "detection_output"


@dataclass
class SsdPlan:
    nms: SymbolNode
    decode: SymbolNode
    softmax: tuple[int, int]
    box_preds: tuple[int, int]
    anchors: tuple[int, int]
    keep_top_k: int
    needed: set[int]


def ancestors(symbol: Symbol, starts: list[int]) -> set[int]:
    seen: set[int] = set()
    stack = list(starts)
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        stack.extend(j for j, _ in symbol.nodes[i].inputs)
    return seen


def plan_ssd(symbol: Symbol) -> SsdPlan:
    def one(ops_: tuple[str, ...], what: str, among: set[int] | None = None) -> SymbolNode:
        found = [n for n in symbol.nodes if n.op in ops_ and (among is None or n.index in among)]
        if len(found) != 1:
            raise ConversionError(f"--enable_ssd_gluoncv: expected one {what} node, found {len(found)}"
                                  + (f" ({', '.join(n.name for n in found[:4])})" if found else "")
                                  + ": is this a GluonCV SSD exported with its post-processing?")
        return found[0]

    nms = one(NMS_OPS, "box_nms")
    decode = one(DECODE_OPS, "_contrib_box_decode")
    softmax = one(("softmax",), "softmax", ancestors(symbol, [nms.index]) - ancestors(symbol, [decode.index]))
    if nms.attrs.get("force_suppress", "False") in ("True", "1", "true"):
        raise ConversionError("box_nms with force_suppress=True (NMS across classes) has no DetectionOutput form",
                              node=nms.name, op_type=nms.op)
    keep = int(nms.attrs.get("topk", "-1"))
    for head, _ in symbol.heads:  # GluonCV slices the first K rows of box_nms' result: DetectionOutput's keep_top_k
        node = symbol.nodes[head]
        while node.op == "slice_axis" and node.index != nms.index:
            if node.attrs.get("axis") == "1" and node.attrs.get("end", "None") not in ("None", ""):
                keep = int(node.attrs["end"])
            node = symbol.nodes[node.inputs[0][0]]
    box_preds, anchors = decode.inputs[0], decode.inputs[1]
    needed = ancestors(symbol, [softmax.index, box_preds[0], anchors[0]])
    return SsdPlan(nms, decode, (softmax.index, 0), box_preds, anchors, keep, needed)


def detection_output(graph: Graph, plan: SsdPlan, values: dict[tuple[int, int], Output]) -> Output:
    from .translators.rnn import constant_value
    DetectionOutput = getattr(ops, "DetectionOutput", None)
    if DetectionOutput is None:
        raise ConversionError("--enable_ssd_gluoncv needs the DetectionOutput op, which this build lacks")
    anchors = constant_value(values[plan.anchors])
    if anchors is None:
        raise ConversionError("the SSD anchors are not constant: give the input shape with --input_shape",
                              node=plan.decode.name, op_type=plan.decode.op)
    anchors = np.asarray(anchors, np.float32).reshape(-1, 4)
    if plan.decode.attrs.get("format", "center") == "center":  # (cx, cy, w, h) -> corners
        cx, cy, w, h = anchors.T
        anchors = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    if float(plan.decode.attrs.get("clip", "-1")) > 0:
        raise ConversionError("box_decode with clip > 0 is not supported", node=plan.decode.name)
    stds = [float(plan.decode.attrs.get(f"std{i}", d)) for i, d in enumerate((0.1, 0.1, 0.2, 0.2))]
    priors = np.stack([anchors.reshape(-1), np.tile(np.asarray(stds, np.float32), len(anchors))])[None]
    flat = graph.constant(np.array([0, -1], np.int64))
    loc = graph.out(ops.Reshape(special_zero=True), values[plan.box_preds], flat, name=f"{plan.decode.name}/loc")
    conf = graph.out(ops.Reshape(special_zero=True), values[plan.softmax], flat, name=f"{plan.nms.name}/conf")
    attrs = plan.nms.attrs
    op = DetectionOutput(background_label_id=0, top_k=int(attrs.get("topk", "-1")), keep_top_k=(plan.keep_top_k,),
                         code_type="caffe.PriorBoxParameter.CENTER_SIZE", share_location=True,
                         nms_threshold=float(attrs.get("overlap_thresh", "0.5")),
                         confidence_threshold=float(attrs.get("valid_thresh", "0")), normalized=True,
                         variance_encoded_in_target=False)
    out = graph.out(op, loc, conf, graph.constant(priors.astype(np.float32), name=f"{plan.decode.name}/priors"),
                    name=OUTPUT_NAME)
    out.names.add(OUTPUT_NAME)
    return out
