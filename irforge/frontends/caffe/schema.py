"""irforge's own minimal schema of caffe.proto: the messages a deploy net uses, with field numbers, kinds and
defaults. It drives both readers: the text-format parser (names, enum labels, defaults) and the caffemodel
wire-format reader (numbers, wire types).

Numbers follow the public BVLC caffe.proto plus the SSD fork (weiliu89/caffe: permute 202, prior_box 203,
detection_output 204, norm 206). Fields that only other forks define (Proposal, ROIPooling, Interp, ReLU6,
ShuffleChannel, ...) clash between forks, so most are known by name only (number None): irforge takes every
layer parameter from the prototxt and only the weights (blobs) from the .caffemodel, so the binary never needs
them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Kinds: the proto scalar types, "enum" and "message".
INT_KINDS = frozenset({"int32", "int64", "uint32", "uint64"})
FLOAT_KINDS = frozenset({"float", "double"})


@dataclass(frozen=True)
class Field:
    number: int | None          # None: a fork's field, read from text only
    name: str
    kind: str                   # int32 ... double, bool, string, bytes, enum, message
    repeated: bool = False
    default: Any = None
    type_name: str = ""         # the enum or message type


def opt(number: int | None, name: str, kind: str, default: Any = None) -> Field:
    zero = {"bool": False, "string": "", "bytes": b""}.get(kind, 0.0 if kind in FLOAT_KINDS else 0)
    return Field(number, name, kind, False, zero if default is None else default)


def rep(number: int | None, name: str, kind: str) -> Field:
    return Field(number, name, kind, True)


def enum(number: int | None, name: str, enum_name: str, default: str, repeated: bool = False) -> Field:
    return Field(number, name, "enum", repeated, default, enum_name)


def msg(number: int | None, name: str, message: str, repeated: bool = False) -> Field:
    return Field(number, name, "message", repeated, None, message)


ENUMS: dict[str, dict[str, int]] = {
    "Phase": {"TRAIN": 0, "TEST": 1},
    "Engine": {"DEFAULT": 0, "CAFFE": 1, "CUDNN": 2},
    "PoolMethod": {"MAX": 0, "AVE": 1, "STOCHASTIC": 2},
    "RoundMode": {"CEIL": 0, "FLOOR": 1},
    "NormRegion": {"ACROSS_CHANNELS": 0, "WITHIN_CHANNEL": 1},
    "EltwiseOp": {"PROD": 0, "SUM": 1, "MAX": 2},
    "ReductionOp": {"SUM": 1, "ASUM": 2, "SUMSQ": 3, "MEAN": 4},
    "CodeType": {"CORNER": 1, "CENTER_SIZE": 2, "CORNER_SIZE": 3},
    "VarianceNorm": {"FAN_IN": 0, "FAN_OUT": 1, "AVERAGE": 2},
    "DimCheckMode": {"STRICT": 0, "PERMISSIVE": 1},
    "NormalizationMode": {"FULL": 0, "VALID": 1, "BATCH_SIZE": 2, "PRE_FIXED": 3, "NONE": 4},
    "ResampleType": {"NEAREST": 1, "LINEAR": 2, "CUBIC": 3, "AREA": 4},
    "DB": {"LEVELDB": 0, "LMDB": 1},
    # V1LayerParameter.LayerType: the numbers the V1 `layers { type: CONVOLUTION }` format stores.
    "LayerType": {
        "NONE": 0, "ABSVAL": 35, "ACCURACY": 1, "ARGMAX": 30, "BNLL": 2, "CONCAT": 3, "CONTRASTIVE_LOSS": 37,
        "CONVOLUTION": 4, "DATA": 5, "DECONVOLUTION": 39, "DROPOUT": 6, "DUMMY_DATA": 32, "EUCLIDEAN_LOSS": 7,
        "ELTWISE": 25, "EXP": 38, "FLATTEN": 8, "HDF5_DATA": 9, "HDF5_OUTPUT": 10, "HINGE_LOSS": 28, "IM2COL": 11,
        "IMAGE_DATA": 12, "INFOGAIN_LOSS": 13, "INNER_PRODUCT": 14, "LRN": 15, "MEMORY_DATA": 29,
        "MULTINOMIAL_LOGISTIC_LOSS": 16, "MVN": 34, "POOLING": 17, "POWER": 26, "RELU": 18, "SIGMOID": 19,
        "SIGMOID_CROSS_ENTROPY_LOSS": 27, "SILENCE": 36, "SOFTMAX": 20, "SOFTMAX_LOSS": 21, "SPLIT": 22,
        "SLICE": 33, "TANH": 23, "WINDOW_DATA": 24, "THRESHOLD": 31,
    },
}

# The layer type names Caffe's V1 -> V2 upgrade gives each V1 enum value.
V1_LAYER_TYPES: dict[str, str] = {
    "ABSVAL": "AbsVal", "ACCURACY": "Accuracy", "ARGMAX": "ArgMax", "BNLL": "BNLL", "CONCAT": "Concat",
    "CONTRASTIVE_LOSS": "ContrastiveLoss", "CONVOLUTION": "Convolution", "DATA": "Data",
    "DECONVOLUTION": "Deconvolution", "DROPOUT": "Dropout", "DUMMY_DATA": "DummyData",
    "EUCLIDEAN_LOSS": "EuclideanLoss", "ELTWISE": "Eltwise", "EXP": "Exp", "FLATTEN": "Flatten",
    "HDF5_DATA": "HDF5Data", "HDF5_OUTPUT": "HDF5Output", "HINGE_LOSS": "HingeLoss", "IM2COL": "Im2col",
    "IMAGE_DATA": "ImageData", "INFOGAIN_LOSS": "InfogainLoss", "INNER_PRODUCT": "InnerProduct", "LRN": "LRN",
    "MEMORY_DATA": "MemoryData", "MULTINOMIAL_LOGISTIC_LOSS": "MultinomialLogisticLoss", "MVN": "MVN",
    "POOLING": "Pooling", "POWER": "Power", "RELU": "ReLU", "SIGMOID": "Sigmoid",
    "SIGMOID_CROSS_ENTROPY_LOSS": "SigmoidCrossEntropyLoss", "SILENCE": "Silence", "SOFTMAX": "Softmax",
    "SOFTMAX_LOSS": "SoftmaxWithLoss", "SPLIT": "Split", "SLICE": "Slice", "TANH": "TanH",
    "WINDOW_DATA": "WindowData", "THRESHOLD": "Threshold",
}

_ENGINE = [enum(None, "engine", "Engine", "DEFAULT")]

MESSAGES: dict[str, list[Field]] = {
    # -- containers ----------------------------------------------------------------------------------------------
    "BlobShape": [rep(1, "dim", "int64")],
    "BlobProto": [
        msg(7, "shape", "BlobShape"), rep(5, "data", "float"), rep(6, "diff", "float"),
        rep(8, "double_data", "double"), rep(9, "double_diff", "double"),
        opt(1, "num", "int64"), opt(2, "channels", "int64"), opt(3, "height", "int64"), opt(4, "width", "int64"),
    ],
    "BlobProtoVector": [msg(1, "blobs", "BlobProto", True)],
    "NetParameter": [
        opt(1, "name", "string"), rep(3, "input", "string"), msg(8, "input_shape", "BlobShape", True),
        rep(4, "input_dim", "int64"), opt(5, "force_backward", "bool"), msg(6, "state", "NetState"),
        opt(7, "debug_info", "bool"), msg(100, "layer", "LayerParameter", True),
        msg(2, "layers", "V1LayerParameter", True),
    ],
    "NetState": [enum(1, "phase", "Phase", "TEST"), opt(2, "level", "int32"), rep(3, "stage", "string")],
    "NetStateRule": [
        enum(1, "phase", "Phase", "TEST"), opt(2, "min_level", "int32"), opt(3, "max_level", "int32"),
        rep(4, "stage", "string"), rep(5, "not_stage", "string"),
    ],
    "ParamSpec": [
        opt(1, "name", "string"), enum(2, "share_mode", "DimCheckMode", "STRICT"),
        opt(3, "lr_mult", "float", 1.0), opt(4, "decay_mult", "float", 1.0),
    ],
    "FillerParameter": [
        opt(1, "type", "string", "constant"), opt(2, "value", "float"), opt(3, "min", "float"),
        opt(4, "max", "float", 1.0), opt(5, "mean", "float"), opt(6, "std", "float", 1.0),
        opt(7, "sparse", "int32", -1), enum(8, "variance_norm", "VarianceNorm", "FAN_IN"),
    ],
    "LayerParameter": [
        opt(1, "name", "string"), opt(2, "type", "string"), rep(3, "bottom", "string"), rep(4, "top", "string"),
        enum(10, "phase", "Phase", "TEST"), rep(5, "loss_weight", "float"), msg(6, "param", "ParamSpec", True),
        msg(7, "blobs", "BlobProto", True), rep(11, "propagate_down", "bool"),
        msg(8, "include", "NetStateRule", True), msg(9, "exclude", "NetStateRule", True),
        msg(100, "transform_param", "TransformationParameter"), msg(101, "loss_param", "LossParameter"),
        msg(102, "accuracy_param", "AccuracyParameter"), msg(103, "argmax_param", "ArgMaxParameter"),
        msg(139, "batch_norm_param", "BatchNormParameter"), msg(141, "bias_param", "BiasParameter"),
        msg(148, "clip_param", "ClipParameter"), msg(104, "concat_param", "ConcatParameter"),
        msg(106, "convolution_param", "ConvolutionParameter"), msg(144, "crop_param", "CropParameter"),
        msg(107, "data_param", "DataParameter"), msg(108, "dropout_param", "DropoutParameter"),
        msg(110, "eltwise_param", "EltwiseParameter"), msg(140, "elu_param", "ELUParameter"),
        msg(137, "embed_param", "EmbedParameter"), msg(111, "exp_param", "ExpParameter"),
        msg(135, "flatten_param", "FlattenParameter"),
        msg(117, "inner_product_param", "InnerProductParameter"), msg(143, "input_param", "InputParameter"),
        msg(134, "log_param", "LogParameter"), msg(118, "lrn_param", "LRNParameter"),
        msg(120, "mvn_param", "MVNParameter"), msg(145, "parameter_param", "ParameterParameter"),
        msg(121, "pooling_param", "PoolingParameter"), msg(122, "power_param", "PowerParameter"),
        msg(131, "prelu_param", "PReLUParameter"), msg(130, "python_param", "PythonParameter"),
        msg(136, "reduction_param", "ReductionParameter"), msg(123, "relu_param", "ReLUParameter"),
        msg(133, "reshape_param", "ReshapeParameter"), msg(142, "scale_param", "ScaleParameter"),
        msg(124, "sigmoid_param", "SigmoidParameter"), msg(125, "softmax_param", "SoftmaxParameter"),
        msg(132, "spp_param", "SPPParameter"), msg(126, "slice_param", "SliceParameter"),
        msg(147, "swish_param", "SwishParameter"), msg(127, "tanh_param", "TanHParameter"),
        msg(128, "threshold_param", "ThresholdParameter"), msg(138, "tile_param", "TileParameter"),
        # SSD (weiliu89/caffe)
        msg(202, "permute_param", "PermuteParameter"), msg(203, "prior_box_param", "PriorBoxParameter"),
        msg(204, "detection_output_param", "DetectionOutputParameter"),
        msg(206, "norm_param", "NormalizeParameter"),
        # other forks: text only (their numbers clash between forks), except py-faster-rcnn's ROI pooling
        msg(8266711, "roi_pooling_param", "ROIPoolingParameter"),
        msg(None, "proposal_param", "ProposalParameter"), msg(None, "psroi_pooling_param", "PSROIPoolingParameter"),
        msg(None, "interp_param", "InterpParameter"), msg(None, "resample_param", "ResampleParameter"),
        msg(None, "shuffle_channel_param", "ShuffleChannelParameter"), msg(None, "relu6_param", "ReLU6Parameter"),
        msg(None, "st_param", "SpatialTransformerParameter"), msg(None, "bn_param", "BNParameter"),
        msg(None, "grn_param", "GRNParameter"), msg(None, "region_yolo_param", "RegionYoloParameter"),
        msg(None, "reorg_yolo_param", "ReorgYoloParameter"),
    ],
    "V1LayerParameter": [
        rep(2, "bottom", "string"), rep(3, "top", "string"), opt(4, "name", "string"),
        msg(32, "include", "NetStateRule", True), msg(33, "exclude", "NetStateRule", True),
        enum(5, "type", "LayerType", "NONE"), msg(6, "blobs", "BlobProto", True), rep(1001, "param", "string"),
        enum(1002, "blob_share_mode", "DimCheckMode", "STRICT", True), rep(7, "blobs_lr", "float"),
        rep(8, "weight_decay", "float"), rep(35, "loss_weight", "float"),
        msg(27, "accuracy_param", "AccuracyParameter"), msg(23, "argmax_param", "ArgMaxParameter"),
        msg(9, "concat_param", "ConcatParameter"), msg(10, "convolution_param", "ConvolutionParameter"),
        msg(11, "data_param", "DataParameter"), msg(12, "dropout_param", "DropoutParameter"),
        msg(24, "eltwise_param", "EltwiseParameter"), msg(41, "exp_param", "ExpParameter"),
        msg(17, "inner_product_param", "InnerProductParameter"), msg(18, "lrn_param", "LRNParameter"),
        msg(34, "mvn_param", "MVNParameter"), msg(19, "pooling_param", "PoolingParameter"),
        msg(21, "power_param", "PowerParameter"), msg(30, "relu_param", "ReLUParameter"),
        msg(38, "sigmoid_param", "SigmoidParameter"), msg(39, "softmax_param", "SoftmaxParameter"),
        msg(31, "slice_param", "SliceParameter"), msg(37, "tanh_param", "TanHParameter"),
        msg(25, "threshold_param", "ThresholdParameter"), msg(36, "transform_param", "TransformationParameter"),
        msg(42, "loss_param", "LossParameter"),
    ],
    # -- data and training layers (parsed so that train_val files read; they are not converted) ----------------
    "TransformationParameter": [
        opt(1, "scale", "float", 1.0), opt(2, "mirror", "bool"), opt(3, "crop_size", "uint32"),
        opt(4, "mean_file", "string"), rep(5, "mean_value", "float"), opt(6, "force_color", "bool"),
        opt(7, "force_gray", "bool"),
    ],
    "LossParameter": [
        opt(1, "ignore_label", "int32"), enum(3, "normalization", "NormalizationMode", "VALID"),
        opt(2, "normalize", "bool"),
    ],
    "AccuracyParameter": [opt(1, "top_k", "uint32", 1), opt(2, "axis", "int32", 1), opt(3, "ignore_label", "int32")],
    "DataParameter": [
        opt(1, "source", "string"), opt(4, "batch_size", "uint32"), opt(7, "rand_skip", "uint32"),
        enum(8, "backend", "DB", "LEVELDB"), opt(2, "scale", "float", 1.0), opt(3, "mean_file", "string"),
        opt(5, "crop_size", "uint32"), opt(6, "mirror", "bool"),
    ],
    # -- layer parameters (BVLC) -----------------------------------------------------------------------------
    "ArgMaxParameter": [opt(1, "out_max_val", "bool"), opt(2, "top_k", "uint32", 1), opt(3, "axis", "int32")],
    "BatchNormParameter": [
        opt(1, "use_global_stats", "bool"), opt(2, "moving_average_fraction", "float", 0.999),
        opt(3, "eps", "float", 1e-5),
    ],
    "BiasParameter": [opt(1, "axis", "int32", 1), opt(2, "num_axes", "int32", 1), msg(3, "filler", "FillerParameter")],
    "ClipParameter": [opt(1, "min", "float"), opt(2, "max", "float")],
    "ConcatParameter": [opt(2, "axis", "int32", 1), opt(1, "concat_dim", "uint32", 1)],
    "ConvolutionParameter": [
        opt(1, "num_output", "uint32"), opt(2, "bias_term", "bool", True), rep(3, "pad", "uint32"),
        rep(4, "kernel_size", "uint32"), rep(6, "stride", "uint32"), rep(18, "dilation", "uint32"),
        opt(9, "pad_h", "uint32"), opt(10, "pad_w", "uint32"), opt(11, "kernel_h", "uint32"),
        opt(12, "kernel_w", "uint32"), opt(13, "stride_h", "uint32"), opt(14, "stride_w", "uint32"),
        opt(5, "group", "uint32", 1), msg(7, "weight_filler", "FillerParameter"),
        msg(8, "bias_filler", "FillerParameter"), enum(15, "engine", "Engine", "DEFAULT"),
        opt(16, "axis", "int32", 1), opt(17, "force_nd_im2col", "bool"),
    ],
    "CropParameter": [opt(1, "axis", "int32", 2), rep(2, "offset", "uint32")],
    "DropoutParameter": [opt(1, "dropout_ratio", "float", 0.5), opt(None, "scale_train", "bool", True)],
    "EltwiseParameter": [
        enum(1, "operation", "EltwiseOp", "SUM"), rep(2, "coeff", "float"), opt(3, "stable_prod_grad", "bool", True),
    ],
    "ELUParameter": [opt(1, "alpha", "float", 1.0)],
    "EmbedParameter": [
        opt(1, "num_output", "uint32"), opt(2, "input_dim", "uint32"), opt(3, "bias_term", "bool", True),
        msg(4, "weight_filler", "FillerParameter"), msg(5, "bias_filler", "FillerParameter"),
    ],
    "ExpParameter": [opt(1, "base", "float", -1.0), opt(2, "scale", "float", 1.0), opt(3, "shift", "float")],
    "FlattenParameter": [opt(1, "axis", "int32", 1), opt(2, "end_axis", "int32", -1)],
    "InnerProductParameter": [
        opt(1, "num_output", "uint32"), opt(2, "bias_term", "bool", True),
        msg(3, "weight_filler", "FillerParameter"), msg(4, "bias_filler", "FillerParameter"),
        opt(5, "axis", "int32", 1), opt(6, "transpose", "bool"),
    ],
    "InputParameter": [msg(1, "shape", "BlobShape", True)],
    "LogParameter": [opt(1, "base", "float", -1.0), opt(2, "scale", "float", 1.0), opt(3, "shift", "float")],
    "LRNParameter": [
        opt(1, "local_size", "uint32", 5), opt(2, "alpha", "float", 1.0), opt(3, "beta", "float", 0.75),
        enum(4, "norm_region", "NormRegion", "ACROSS_CHANNELS"), opt(5, "k", "float", 1.0),
        enum(6, "engine", "Engine", "DEFAULT"),
    ],
    "MVNParameter": [
        opt(1, "normalize_variance", "bool", True), opt(2, "across_channels", "bool"), opt(3, "eps", "float", 1e-9),
    ],
    "ParameterParameter": [msg(1, "shape", "BlobShape")],
    "PoolingParameter": [
        enum(1, "pool", "PoolMethod", "MAX"), opt(4, "pad", "uint32"), opt(9, "pad_h", "uint32"),
        opt(10, "pad_w", "uint32"), opt(2, "kernel_size", "uint32"), opt(5, "kernel_h", "uint32"),
        opt(6, "kernel_w", "uint32"), opt(3, "stride", "uint32", 1), opt(7, "stride_h", "uint32"),
        opt(8, "stride_w", "uint32"), enum(11, "engine", "Engine", "DEFAULT"), opt(12, "global_pooling", "bool"),
        # BVLC master spells the rounding as round_mode (number 13); some forks used ceil_mode (also 13).
        enum(13, "round_mode", "RoundMode", "CEIL"), opt(None, "ceil_mode", "bool", True),
    ],
    "PowerParameter": [opt(1, "power", "float", 1.0), opt(2, "scale", "float", 1.0), opt(3, "shift", "float")],
    "PReLUParameter": [msg(1, "filler", "FillerParameter"), opt(2, "channel_shared", "bool")],
    "PythonParameter": [
        opt(1, "module", "string"), opt(2, "layer", "string"), opt(3, "param_str", "string"),
        opt(4, "share_in_parallel", "bool"),
    ],
    "ReductionParameter": [
        enum(1, "operation", "ReductionOp", "SUM"), opt(2, "axis", "int32"), opt(3, "coeff", "float", 1.0),
    ],
    "ReLUParameter": [opt(1, "negative_slope", "float"), enum(2, "engine", "Engine", "DEFAULT")],
    "ReshapeParameter": [msg(1, "shape", "BlobShape"), opt(2, "axis", "int32"), opt(3, "num_axes", "int32", -1)],
    "ScaleParameter": [
        opt(1, "axis", "int32", 1), opt(2, "num_axes", "int32", 1), msg(3, "filler", "FillerParameter"),
        opt(4, "bias_term", "bool"), msg(5, "bias_filler", "FillerParameter"),
    ],
    "SigmoidParameter": list(_ENGINE),
    "SoftmaxParameter": [enum(1, "engine", "Engine", "DEFAULT"), opt(2, "axis", "int32", 1)],
    "SPPParameter": [opt(1, "pyramid_height", "uint32"), enum(2, "pool", "PoolMethod", "MAX")],
    "SliceParameter": [opt(3, "axis", "int32", 1), rep(2, "slice_point", "uint32"), opt(1, "slice_dim", "uint32", 1)],
    "SwishParameter": [opt(1, "beta", "float", 1.0)],
    "TanHParameter": list(_ENGINE),
    "ThresholdParameter": [opt(1, "threshold", "float")],
    "TileParameter": [opt(1, "axis", "int32", 1), opt(2, "tiles", "int32")],
    # -- SSD ----------------------------------------------------------------------------------------------------
    "PermuteParameter": [rep(1, "order", "uint32")],
    "PriorBoxParameter": [
        rep(1, "min_size", "float"), rep(2, "max_size", "float"), rep(3, "aspect_ratio", "float"),
        opt(4, "flip", "bool", True), opt(5, "clip", "bool"), rep(6, "variance", "float"),
        opt(7, "img_size", "uint32"), opt(8, "img_h", "uint32"), opt(9, "img_w", "uint32"),
        opt(10, "step", "float"), opt(11, "step_h", "float"), opt(12, "step_w", "float"),
        opt(13, "offset", "float", 0.5),
        # PriorBoxClustered and density-based priors (the legacy Model Optimizer's caffe.proto)
        rep(14, "width", "float"), rep(15, "height", "float"), rep(16, "fixed_size", "float"),
        rep(17, "fixed_ratio", "float"), rep(18, "density", "float"),
    ],
    "DetectionOutputParameter": [
        opt(1, "num_classes", "uint32"), opt(2, "share_location", "bool", True),
        opt(3, "background_label_id", "int32"), msg(4, "nms_param", "NonMaximumSuppressionParameter"),
        msg(5, "save_output_param", "SaveOutputParameter"), enum(6, "code_type", "CodeType", "CORNER"),
        opt(8, "variance_encoded_in_target", "bool"), opt(7, "keep_top_k", "int32", -1),
        opt(9, "confidence_threshold", "float"), opt(10, "visualize", "bool"),
        opt(11, "visualize_threshold", "float"), opt(12, "save_file", "string"),
        opt(None, "input_width", "int32", -1), opt(None, "input_height", "int32", -1),
        opt(None, "normalized", "bool", True), opt(None, "objectness_score", "float", 0.01),
    ],
    "NonMaximumSuppressionParameter": [
        opt(1, "nms_threshold", "float", 0.3), opt(2, "top_k", "int32"), opt(3, "eta", "float", 1.0),
    ],
    "SaveOutputParameter": [
        opt(1, "output_directory", "string"), opt(2, "output_name_prefix", "string"),
        opt(3, "output_format", "string"), opt(4, "label_map_file", "string"), opt(5, "name_size_file", "string"),
        opt(6, "num_test_image", "uint32"),
    ],
    "NormalizeParameter": [
        opt(1, "across_spatial", "bool", True), msg(2, "scale_filler", "FillerParameter"),
        opt(3, "channel_shared", "bool", True), opt(4, "eps", "float", 1e-10),
    ],
    # -- other forks (py-faster-rcnn, PSPNet, FlowNet2, ShuffleNet, the legacy Model Optimizer's caffe.proto) --
    "ProposalParameter": [
        opt(1, "feat_stride", "uint32", 16), opt(2, "base_size", "uint32", 16), opt(3, "min_size", "uint32", 16),
        rep(4, "ratio", "float"), rep(5, "scale", "float"), opt(6, "pre_nms_topn", "uint32", 6000),
        opt(7, "post_nms_topn", "uint32", 300), opt(8, "nms_thresh", "float", 0.7),
    ],
    "ROIPoolingParameter": [
        opt(1, "pooled_h", "uint32"), opt(2, "pooled_w", "uint32"), opt(3, "spatial_scale", "float", 1.0),
    ],
    "PSROIPoolingParameter": [
        opt(1, "spatial_scale", "float"), opt(2, "output_dim", "int32"), opt(3, "group_size", "int32"),
    ],
    "InterpParameter": [
        opt(1, "height", "int32"), opt(2, "width", "int32"), opt(3, "zoom_factor", "int32", 1),
        opt(4, "shrink_factor", "int32", 1), opt(5, "pad_beg", "int32"), opt(6, "pad_end", "int32"),
    ],
    "ResampleParameter": [
        opt(4, "antialias", "bool", True), opt(1, "width", "uint32"), opt(2, "height", "uint32"),
        enum(3, "type", "ResampleType", "LINEAR"), opt(5, "factor", "float", 1.0),
    ],
    "ShuffleChannelParameter": [opt(1, "group", "uint32", 1)],
    "ReLU6Parameter": [opt(1, "n", "float", 6.0)],
    "SpatialTransformerParameter": [
        opt(1, "transform_type", "string", "affine"), opt(2, "sampler_type", "string", "bilinear"),
        opt(3, "output_H", "int32"), opt(4, "output_W", "int32"), opt(5, "to_compute_dU", "bool", True),
        *(opt(6 + i, f"theta_{r}_{c}", "double") for i, (r, c) in
          enumerate([(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)])),
        opt(12, "de_transform", "bool"),
    ],
    "BNParameter": [opt(None, "eps", "float", 1e-5)],
    "GRNParameter": [opt(1, "bias", "float", 1.0)],
    "RegionYoloParameter": [
        opt(1, "coords", "int32", 4), opt(2, "classes", "int32", 20), opt(3, "num", "int32", 1),
        opt(4, "do_softmax", "bool", True), rep(5, "anchors", "float"), rep(6, "mask", "int32"),
    ],
    "ReorgYoloParameter": [opt(1, "stride", "int32", 1)],
}


class MessageType:
    """One message of the schema, indexed by field name and by field number."""

    def __init__(self, name: str, fields: list[Field]):
        self.name = name
        self.by_name = {f.name: f for f in fields}
        self.by_number = {f.number: f for f in fields if f.number is not None}

    def __repr__(self) -> str:
        return f"<MessageType {self.name}>"


TYPES: dict[str, MessageType] = {name: MessageType(name, fields) for name, fields in MESSAGES.items()}


def message_type(name: str) -> MessageType:
    return TYPES[name]


def _check() -> None:
    """The schema is data: make sure every referenced type exists and no two fields share a number."""
    for name, fields in MESSAGES.items():
        numbers = [f.number for f in fields if f.number is not None]
        assert len(numbers) == len(set(numbers)), f"{name}: duplicate field numbers"
        for f in fields:
            if f.kind == "message":
                assert f.type_name in MESSAGES, f"{name}.{f.name}: unknown message {f.type_name}"
            if f.kind == "enum":
                assert f.type_name in ENUMS and f.default in ENUMS[f.type_name], f"{name}.{f.name}"


_check()
