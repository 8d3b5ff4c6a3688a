"""The Kaldi component tables: every component type irforge converts, with how (one literal table per family),
and the known types it does not convert, with why. docs/SUPPORTED_OPS.md's Kaldi section is generated from here
(`supported_ops_markdown`)."""
from __future__ import annotations

from typing import Callable

from irforge import ops

from . import components as c
from . import components_nnet1 as n1
from .layers import Layer
from .network import Component

Factory = Callable[[Component], Layer]

# nnet2 and nnet3 (final.mdl, final.raw): type name as written between < > in the file.
NNET3_COMPONENTS: dict[str, tuple[Factory, str]] = {
    "AffineComponent":                         (c.affine, "MatMul + Add"),
    "NaturalGradientAffineComponent":          (c.affine, "MatMul + Add"),
    "FixedAffineComponent":                    (c.affine, "MatMul + Add (nnet2 LDA too)"),
    "AffineComponentPreconditioned":           (c.affine, "nnet2; MatMul + Add"),
    "AffineComponentPreconditionedOnline":     (c.affine, "nnet2; MatMul + Add"),
    "BlockAffineComponent":                    (c.block_affine, "one block-diagonal MatMul + Add"),
    "RepeatedAffineComponent":                 (c.repeated_affine, "one block-diagonal MatMul + Add"),
    "NaturalGradientRepeatedAffineComponent":  (c.repeated_affine, "one block-diagonal MatMul + Add"),
    "LinearComponent":                         (c.linear, "MatMul (TDNN-F factorised layers)"),
    "FixedLinearComponent":                    (c.fixed_linear, "nnet2; MatMul"),
    "TdnnComponent":                           (c.tdnn, "time offsets in the stream's memory, then MatMul + Add"),
    "SpliceComponent":                         (c.splice, "nnet2; time offsets in the stream's memory; constant "
                                                          "part taken once"),
    "SigmoidComponent":                        (c.nonlinear(ops.Sigmoid), "Sigmoid"),
    "TanhComponent":                           (c.nonlinear(ops.Tanh), "Tanh"),
    "RectifiedLinearComponent":                (c.nonlinear(ops.Relu), "ReLU"),
    "SoftmaxComponent":                        (c.softmax(False), "SoftMax (per block with <BlockDim>)"),
    "LogSoftmaxComponent":                     (c.softmax(True), "LogSoftmax (per block with <BlockDim>)"),
    "NormalizeComponent":                      (c.normalize, "x / sqrt(max(sum x^2 / (D rms^2), 2^-66)); "
                                                             "<BlockDim> and <AddLogStddev> supported"),
    "BatchNormComponent":                      (c.batch_norm, "test mode: folded into Multiply + Add"),
    "PnormComponent":                          (c.pnorm, "Reshape + ReduceL2 (any p)"),
    "MaxoutComponent":                         (c.maxout, "nnet2; Reshape + ReduceMax"),
    "SumGroupComponent":                       (c.sum_group, "Reshape + ReduceSum (MatMul for unequal groups)"),
    "SumBlockComponent":                       (c.sum_block, "Reshape + ReduceSum (+ scale)"),
    "ElementwiseProductComponent":             (c.elementwise_product, "Slice + Multiply"),
    "PerElementScaleComponent":                (c.per_element_scale, "Multiply"),
    "NaturalGradientPerElementScaleComponent": (c.per_element_scale, "Multiply"),
    "PerElementOffsetComponent":               (c.per_element_offset, "Add"),
    "ScaleAndOffsetComponent":                 (c.scale_and_offset, "Multiply + Add"),
    "FixedScaleComponent":                     (c.fixed_scale, "Multiply"),
    "FixedBiasComponent":                      (c.fixed_bias, "Add"),
    "ScaleComponent":                          (c.scale, "nnet2; Multiply"),
    "PermuteComponent":                        (c.permute, "Gather"),
    "ConstantComponent":                       (c.constant, "a constant row per frame"),
    "ConstantFunctionComponent":               (c.constant, "a constant row per frame"),
    "NoOpComponent":                           (c.nonlinear(None), "identity"),
    "ClipGradientComponent":                   (c.nonlinear(None), "identity (training only)"),
    "BackpropTruncationComponent":             (c.backprop_truncation, "identity, or Multiply by its <Scale>"),
    "DropoutComponent":                        (c.dropout, "test mode: x * (1 - proportion); identity at 0"),
    "GeneralDropoutComponent":                 (c.nonlinear(None), "identity (test mode)"),
    "SpecAugmentTimeMaskComponent":            (c.nonlinear(None), "identity (test mode)"),
    "DropoutMaskComponent":                    (c.dropout_mask, "test mode: constant 1 - proportion"),
    "LstmNonlinearityComponent":               (c.lstm_nonlinearity, "Sigmoid/Tanh/Multiply cell (dropout "
                                                                     "scales supported)"),
    "CompositeComponent":                      (c.composite, "its components in sequence"),
    "TimeHeightConvolutionComponent":          (c.time_height_convolution, "time offsets in the stream's memory "
                                                                           "(optional ones zero-padded), then "
                                                                           "Gather + MatMul"),
    "MaxpoolingComponent":                     (c.maxpooling, "Gather + ReduceMax"),
    "RestrictedAttentionComponent":            (c.restricted_attention, "context frames in the stream's memory "
                                                                        "(optional ones zero-padded), then "
                                                                        "Gather + MatMul + SoftMax per head"),
}

# nnet1 (final.nnet, final.feature_transform): the marker without < >, as in nnet-component.cc.
NNET1_COMPONENTS: dict[str, tuple[Factory, str]] = {
    "AffineTransform":            (n1.affine_transform, "MatMul + Add"),
    "LinearTransform":            (n1.linear_transform, "MatMul"),
    "AddShift":                   (n1.add_shift, "Add"),
    "Rescale":                    (n1.rescale, "Multiply"),
    "Splice":                     (n1.splice, "time offsets in the stream's memory"),
    "Copy":                       (n1.copy, "Gather (1-based indices)"),
    "Sigmoid":                    (n1.activation(ops.Sigmoid), "Sigmoid"),
    "Tanh":                       (n1.activation(ops.Tanh), "Tanh"),
    "Softmax":                    (n1.softmax, "SoftMax"),
    "HiddenSoftmax":              (n1.softmax, "SoftMax"),
    "BlockSoftmax":               (n1.block_softmax, "SoftMax per block"),
    "Dropout":                    (n1.activation(None), "identity (nnet-forward disables dropout)"),
    "LengthNormComponent":        (n1.length_norm, "x / ||x||"),
    "ParametricRelu":             (n1.parametric_relu, "Select + Multiply"),
    "LstmProjected":              (n1.lstm_projected, "one LSTM step; recurrence in the stream's memory"),
    "LstmProjectedStreams":       (n1.lstm_projected, "one LSTM step; recurrence in the stream's memory"),
    "ConvolutionalComponent":     (n1.convolutional, "Gather + MatMul"),
    "MaxPoolingComponent":        (n1.pooling(ops.ReduceMax), "Gather + ReduceMax"),
    "AveragePoolingComponent":    (n1.pooling(ops.ReduceMean), "Gather + ReduceMean"),
    "ParallelComponent":          (None, "nested networks side by side (expanded by the reader)"),  # type: ignore
}

# Known types that do not convert, with the reason (reported with every other unsupported component at once).
NOT_SUPPORTED: dict[str, str] = {
    "BlstmProjected": "nnet1 bidirectional LSTM: reads future frames in its recurrence, cannot stream",
    "BlstmProjectedStreams": "nnet1 bidirectional LSTM: reads future frames in its recurrence, cannot stream",
    "RecurrentComponent": "nnet1 simple RNN: not implemented",
    "Convolutional2DComponent": "nnet1 2-D convolution: not implemented",
    "MaxPooling2DComponent": "nnet1 2-D pooling: not implemented",
    "AveragePooling2DComponent": "nnet1 2-D pooling: not implemented",
    "SentenceAveragingComponent": "needs the whole utterance: cannot stream",
    "SimpleSentenceAveragingComponent": "needs the whole utterance: cannot stream",
    "FramePoolingComponent": "nnet1: not implemented",
    "KlHmm": "nnet1: not implemented",
    "Rbm": "nnet1: convert with rbm-convert-to-nnet first (AffineTransform + Sigmoid)",
    "MultiBasisComponent": "nnet1: not implemented",
    "ConvolutionComponent": "old nnet3 convolution: not implemented (TimeHeightConvolution is)",
    "Convolutional1dComponent": "old nnet2/nnet3 1-D convolution: not implemented",
    "StatisticsExtractionComponent": "x-vector statistics need the whole utterance: cannot stream",
    "StatisticsPoolingComponent": "x-vector statistics need the whole utterance: cannot stream",
    "DistributeComponent": "nnet3: not implemented",
    "GruNonlinearityComponent": "nnet3 GRU: not implemented",
    "OutputGruNonlinearityComponent": "nnet3 GRU: not implemented",
    "SpliceMaxComponent": "nnet2: not implemented",
    "DctComponent": "nnet2: not implemented",
    "PowerComponent": "nnet2: not implemented",
}


def factory(family: str, type_name: str) -> Factory | None:
    table = NNET1_COMPONENTS if family == "nnet1" else NNET3_COMPONENTS
    entry = table.get(type_name)
    return entry[0] if entry else None


def supported_ops_markdown() -> str:
    """The Kaldi section of docs/SUPPORTED_OPS.md."""
    lines = ["## Kaldi", "",
             "Generated from the tables in `irforge/frontends/kaldi/table.py` "
             "(`python -m irforge.frontends.kaldi.table --write`).", "",
             "Time context (Splice, Tdnn time offsets, nnet3 `Offset`/`Append` descriptors, `IfDefined` "
             "recurrences) becomes ReadValue/Assign memories of a streaming IR; see docs/KALDI.md.", "",
             "### nnet2 / nnet3 components", "", "| Component | Status | Converted to |", "|---|---|---|"]
    lines += [f"| {name} | supported | {note} |" for name, (_, note) in sorted(NNET3_COMPONENTS.items())]
    lines += ["", "### nnet1 components", "", "| Component | Status | Converted to |", "|---|---|---|"]
    lines += [f"| {name} | supported | {note} |" for name, (_, note) in sorted(NNET1_COMPONENTS.items())]
    lines += ["", "### nnet3 descriptors", "", "| Descriptor | Status | Streaming form |", "|---|---|---|"]
    lines += [f"| {name} | {status} | {note} |" for name, status, note in DESCRIPTORS]
    lines += ["", "### Known but not converted", "", "| Component | Why |", "|---|---|"]
    lines += [f"| {name} | {why} |" for name, why in sorted(NOT_SUPPORTED.items())]
    return "\n".join(lines) + "\n"


DESCRIPTORS: list[tuple[str, str, str]] = [
    ("node name", "supported", "the node's output"),
    ("Append(d, ...)", "supported", "Concat"),
    ("Offset(d, t)", "supported", "past frames from a ReadValue/Assign history; future frames as output delay"),
    ("Sum(d, d)", "supported", "Add"),
    ("Scale(s, d)", "supported", "Multiply"),
    ("Const(v, dim)", "supported", "a constant row"),
    ("IfDefined(d)", "supported", "zeros before the recurrence starts (a frame counter gates it when the "
                                  "recurrent node needs left context)"),
    ("Failover(d, d)", "supported", "first where computable, else second (frame counter)"),
    ("ReplaceIndex(d, t, v)", "approximated", "the current frame's value (per-frame i-vector input)"),
    ("Round(d, m)", "approximated", "the current frame's value (per-frame i-vector input)"),
    ("Switch(d, ...)", "not supported", "selects by the x index, which a stream does not have"),
    ("dim-range-node", "supported", "Slice"),
]


# The section's delimiters (the other frontends' sections use the same form); generated, do not edit by hand.
BEGIN = "<!-- kaldi:begin -->"
END = "<!-- kaldi:end -->"


def update_doc(text: str) -> str:
    """`text` (docs/SUPPORTED_OPS.md) with its Kaldi section replaced (or appended) by the generated one."""
    section = f"{BEGIN}\n{supported_ops_markdown()}{END}\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        return head + section + rest.split(END, 1)[1].lstrip("\n")
    return (text.rstrip("\n") + "\n\n" if text.strip() else "") + section


if __name__ == "__main__":
    import sys
    if sys.argv[1:2] == ["--write"]:
        from pathlib import Path
        path = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/SUPPORTED_OPS.md")
        path.write_text(update_doc(path.read_text() if path.exists() else "# Supported operations\n"))
    else:
        print(supported_ops_markdown(), end="")
