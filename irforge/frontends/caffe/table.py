"""Caffe layer type -> translator: the one list of what the Caffe frontend converts.

A `Python` layer is keyed by its module and class ("Python:rpn.proposal_layer.ProposalLayer"): only the ones
listed here have a known meaning."""
from __future__ import annotations

from irforge import ops

from .layers import activation, conv, detection, norm, resize, tensor, yolo
from .layers.common import Translator, identity, unary
from .net import CaffeLayer

LAYERS: dict[str, Translator] = {
    # -- inputs and plumbing ---------------------------------------------------------------------------------------
    "Input":             tensor.input_layer,
    "Dropout":           identity,               # scales only while training
    "Split":             identity,               # one blob under several names
    "Silence":           tensor.silence,
    "Parameter":         tensor.parameter,
    "Concat":            tensor.concat,
    "Slice":             tensor.slice_layer,
    "Flatten":           tensor.flatten,
    "Reshape":           tensor.reshape,
    "Permute":           tensor.permute,         # SSD
    "Crop":              tensor.crop,
    "Tile":              tensor.tile,
    "ShuffleChannel":    tensor.shuffle_channel,   # ShuffleNet
    "Interp":            resize.interp,            # DeepLab, PSPNet
    "Resample":          resize.resample,          # FlowNet2
    "SpatialTransformer": resize.spatial_transformer,   # Spatial Transformer Networks
    # -- convolution, pooling, dense -----------------------------------------------------------------------------
    "Convolution":       conv.convolution,
    "Deconvolution":     conv.deconvolution,
    "Pooling":           conv.pooling,
    "InnerProduct":      conv.inner_product,
    "Embed":             tensor.embed,
    # -- normalization and per-channel affine --------------------------------------------------------------------
    "BatchNorm":         norm.batch_norm,
    "BN":                norm.bn,
    "Scale":             norm.scale,
    "Bias":              norm.bias,
    "LRN":               norm.lrn,
    "MVN":               norm.mvn,
    "Normalize":         norm.normalize,         # SSD
    "GRN":               norm.grn,
    # -- activations and elementwise math ------------------------------------------------------------------------
    "ReLU":              activation.relu,
    "PReLU":             activation.prelu,
    "ELU":               activation.elu,
    "ReLU6":             activation.relu6,
    "Clip":              activation.clip,
    "Sigmoid":           unary(ops.Sigmoid),
    "TanH":              unary(ops.Tanh),
    "AbsVal":            unary(ops.Abs),
    "BNLL":              unary(ops.SoftPlus),    # log(1 + exp(x))
    "Swish":             activation.swish,
    "Power":             activation.power,
    "Exp":               activation.exp,
    "Log":               activation.log,
    "Threshold":         activation.threshold,
    "Softmax":           activation.softmax,
    "Eltwise":           tensor.eltwise,
    "Axpy":              tensor.axpy,
    "Reduction":         tensor.reduction,
    "ArgMax":            tensor.argmax,
    # -- detection -----------------------------------------------------------------------------------------------
    "PriorBox":          detection.prior_box,            # SSD
    "PriorBoxClustered": detection.prior_box_clustered,
    "DetectionOutput":   detection.detection_output,     # SSD
    "Proposal":          detection.proposal,             # Faster R-CNN
    "Python:rpn.proposal_layer.ProposalLayer": detection.python_proposal,   # py-faster-rcnn
    "ROIPooling":        detection.roi_pooling,
    "PSROIPooling":      detection.psroi_pooling,        # R-FCN
    "RegionYolo":        yolo.region_yolo,               # YOLO v2 / v3 ports
    "ReorgYolo":         yolo.reorg_yolo,                # YOLO v2 ports
}


def layer_key(layer: CaffeLayer) -> str:
    if layer.type == "Python":
        p = layer.param("python_param")
        return f"Python:{p.get('module')}.{p.get('layer')}"
    return layer.type
