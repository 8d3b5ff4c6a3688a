"""nnet2 and nnet3 components -> layers. Both families share type names and tokens (nnet2's NonlinearComponent
writes <ValueSum>, nnet3's <ValueAvg>; neither matters at inference), so one function serves both."""
from __future__ import annotations

import numpy as np

from irforge import ops

from . import layers as L
from .network import Component


# -- affine ---------------------------------------------------------------------------------------------------------
def affine(c: Component) -> L.Layer:
    """AffineComponent, NaturalGradientAffineComponent, FixedAffineComponent and nnet2's preconditioned forms."""
    w = c.matrix("<LinearParams>")
    b = c.vector("<BiasParams>", optional=True)
    if b is not None and b.size not in (0, w.shape[0]):
        raise c.error(f"<BiasParams> has {b.size} values for {w.shape[0]} outputs")
    return L.Affine(w, b)


def linear(c: Component) -> L.Layer:
    """LinearComponent (TDNN-F factorised layers): y = W x."""
    return L.Affine(c.matrix("<Params>"))


def fixed_linear(c: Component) -> L.Layer:
    """nnet2 FixedLinearComponent: y = W x."""
    return L.Affine(c.matrix("<CuMatrix>", "<LinearParams>", "<Params>"))


def tdnn(c: Component) -> L.Layer:
    offsets = tuple(int(o) for o in c.ints("<TimeOffsets>"))
    w = c.matrix("<LinearParams>")
    if not offsets or w.shape[1] % len(offsets):
        raise c.error(f"<LinearParams> has {w.shape[1]} columns, not a multiple of the {len(offsets)} time offsets")
    return L.Tdnn(offsets, w, c.vector("<BiasParams>", optional=True))


def block_affine(c: Component) -> L.Layer:
    """BlockAffineComponent: output block k = W_k x_k + b_k (W is [out, in / num_blocks])."""
    w, b, blocks = c.matrix("<LinearParams>"), c.vector("<BiasParams>"), c.int("<NumBlocks>")
    out_dim, in_block = w.shape
    if out_dim % blocks:
        raise c.error(f"{out_dim} outputs do not split into {blocks} blocks")
    out_block = out_dim // blocks
    full = np.zeros((out_dim, in_block * blocks), np.float32)
    for k in range(blocks):
        full[k * out_block:(k + 1) * out_block, k * in_block:(k + 1) * in_block] = w[k * out_block:(k + 1) * out_block]
    return L.Affine(full, b)


def repeated_affine(c: Component) -> L.Layer:
    """RepeatedAffineComponent: the same affine map on each of <NumRepeats> input blocks."""
    w, b, repeats = c.matrix("<LinearParams>"), c.vector("<BiasParams>"), c.int("<NumRepeats>")
    out_block, in_block = w.shape
    full = np.zeros((out_block * repeats, in_block * repeats), np.float32)
    for k in range(repeats):
        full[k * out_block:(k + 1) * out_block, k * in_block:(k + 1) * in_block] = w
    return L.Affine(full, np.tile(b, repeats))


# -- per-element ----------------------------------------------------------------------------------------------------
def nonlinear(op: type[ops.Op] | None):
    """Sigmoid/Tanh/RectifiedLinear (<Dim>), and the components that are the identity at inference."""
    def make(c: Component) -> L.Layer:
        dim = c.int("<Dim>", "<InputDim>", "<OutputDim>", default=-1)
        return L.Elementwise(op, dim if dim > 0 else None)
    make.__name__ = f"nonlinear_{op.__name__.lower() if op else 'identity'}"
    return make


def dropout(c: Component) -> L.Layer:
    """nnet3 DropoutComponent in test mode scales by (1 - proportion) (nnet3-compute sets test mode); its
    training masks are 0/1 without rescaling. Recipes end training at proportion 0: the identity."""
    dim = c.int("<Dim>", default=-1)
    p = c.float("<DropoutProportion>", default=0.0)
    return L.Elementwise(None, dim if dim > 0 else None) if p == 0 else L.ScaleShift(1.0 - p, None, dim)


def backprop_truncation(c: Component) -> L.Layer:
    """BackpropTruncationComponent: the identity, times <Scale> when the file has one (LSTM decay-time)."""
    dim = c.int("<Dim>", default=-1)
    factor = c.float("<Scale>", default=1.0)
    return L.Elementwise(None, dim if dim > 0 else None) if factor == 1.0 else L.ScaleShift(factor, None, dim)


def dropout_mask(c: Component) -> L.Layer:
    """DropoutMaskComponent (LSTM dropout scales) in test mode: 1 - proportion (1 when continuous)."""
    p = c.float("<DropoutProportion>", default=0.0)
    value = 1.0 if p == 0 or c.bool("<Continuous>", default=False) else 1.0 - p
    return L.Constant(np.full(c.int("<OutputDim>"), value, np.float32))


def softmax(log: bool):
    def make(c: Component) -> L.Layer:
        dim = c.int("<Dim>", default=-1)
        block = c.int("<BlockDim>", default=-1)
        return L.Softmax(log, dim if dim > 0 else None, block if 0 < block < dim else None)
    make.__name__ = "log_softmax" if log else "softmax"
    return make


def normalize(c: Component) -> L.Layer:
    """nnet3 NormalizeComponent (<InputDim> <TargetRms> <AddLogStddev> [<BlockDim>]); nnet2's has <Dim> only."""
    dim = c.int("<InputDim>", "<Dim>")
    block = c.int("<BlockDim>", default=dim)
    if block <= 0 or dim % block:
        raise c.error(f"<BlockDim> {block} does not divide the dim {dim}")
    return L.Normalize(dim, c.float("<TargetRms>", default=1.0), c.bool("<AddLogStddev>", default=False),
                       block if block < dim else None)


def batch_norm(c: Component) -> L.Layer:
    """Test mode: y = (x - mean) * target_rms / sqrt(max(var, 0) + epsilon), per block of <BlockDim>."""
    dim, block = c.int("<Dim>"), c.int("<BlockDim>")
    mean, var = c.vector("<StatsMean>"), c.vector("<StatsVar>")
    if c.float("<Count>", default=0.0) <= 0:
        raise c.error("has no statistics (<Count> 0): Kaldi itself would use random ones; train or re-estimate "
                      "the batch-norm stats first")
    if mean.size != block or var.size != block or dim % block:
        raise c.error(f"stats of size {mean.size}/{var.size} do not fit <Dim> {dim} <BlockDim> {block}")
    scale = (c.float("<TargetRms>", default=1.0) /
             np.sqrt(np.maximum(var.astype(np.float64), 0) + c.float("<Epsilon>", default=1e-3)))
    return L.ScaleShift(scale.astype(np.float32), (-mean * scale).astype(np.float32), dim)


def per_element_scale(c: Component) -> L.Layer:
    return L.ScaleShift(c.vector("<Params>"), None, c.int("<Dim>", default=0) or None)


def per_element_offset(c: Component) -> L.Layer:
    offsets = c.vector("<Offsets>")
    return L.ScaleShift(None, offsets, c.int("<Dim>", default=offsets.size))


def scale_and_offset(c: Component) -> L.Layer:
    """y = x * scales + offsets per block; scales closer to 0 than 1e-4 become +-1e-4 (Kaldi's EnsureNonzero)."""
    scales = c.vector("<Scales>").astype(np.float32)
    eps = np.float32(1e-4)
    scales = np.where(np.abs(scales) < eps, np.where(scales < 0, -eps, eps), scales)
    return L.ScaleShift(scales, c.vector("<Offsets>"), c.int("<Dim>"))


def fixed_scale(c: Component) -> L.Layer:
    return L.ScaleShift(c.vector("<Scales>"), None)


def fixed_bias(c: Component) -> L.Layer:
    return L.ScaleShift(None, c.vector("<Bias>"))


def scale(c: Component) -> L.Layer:
    """nnet2 ScaleComponent: one scalar."""
    return L.ScaleShift(np.float32(c.float("<Scale>")), None, c.int("<Dim>"))


# -- grouping -------------------------------------------------------------------------------------------------------
def pnorm(c: Component) -> L.Layer:
    n_in, n_out = c.int("<InputDim>"), c.int("<OutputDim>")
    if n_out <= 0 or n_in % n_out:
        raise c.error(f"<InputDim> {n_in} is not a multiple of <OutputDim> {n_out}")
    return L.Pnorm(n_in, n_out, c.float("<P>", default=2.0))


def maxout(c: Component) -> L.Layer:
    """nnet2 MaxoutComponent: the max of each group of <InputDim>/<OutputDim> consecutive columns."""
    n_in, n_out = c.int("<InputDim>"), c.int("<OutputDim>")
    if n_out <= 0 or n_in % n_out:
        raise c.error(f"<InputDim> {n_in} is not a multiple of <OutputDim> {n_out}")
    return _GroupMax(n_in, n_out)


class _GroupMax(L.Pnorm):
    def build(self, b, x):
        group = self.input_dim_ // self.output_dim_
        grouped = b.out(ops.Reshape(special_zero=True), x, b.const(L.i64([0, self.output_dim_, group])))
        return b.out(ops.ReduceMax(keep_dims=False), grouped, b.const(L.i64([2])))


def sum_group(c: Component) -> L.Layer:
    sizes = tuple(int(s) for s in c.ints("<Sizes>"))
    if not sizes or min(sizes) <= 0:
        raise c.error(f"bad <Sizes> {list(sizes)}")
    return L.SumGroup(sizes)


def sum_block(c: Component) -> L.Layer:
    """SumBlockComponent: scale * the sum of the input's <OutputDim>-wide blocks."""
    n_in, n_out = c.int("<InputDim>"), c.int("<OutputDim>")
    if n_out <= 0 or n_in % n_out:
        raise c.error(f"<InputDim> {n_in} is not a multiple of <OutputDim> {n_out}")
    return _SumBlock(n_in, n_out, c.float("<Scale>", default=1.0))


class _SumBlock(L.Pnorm):
    def build(self, b, x):
        grouped = b.out(ops.Reshape(special_zero=True), x,
                        b.const(L.i64([0, self.input_dim_ // self.output_dim_, self.output_dim_])))
        y = b.out(ops.ReduceSum(keep_dims=False), grouped, b.const(L.i64([1])))
        return y if self.p == 1.0 else b.out(ops.Multiply(), y, b.const(np.float32(self.p)))


def elementwise_product(c: Component) -> L.Layer:
    n_in, n_out = c.int("<InputDim>"), c.int("<OutputDim>")
    if n_out <= 0 or n_in % n_out:
        raise c.error(f"<InputDim> {n_in} is not a multiple of <OutputDim> {n_out}")
    return L.ElementwiseProduct(n_in, n_out)


def permute(c: Component) -> L.Layer:
    """nnet3: output column i = input column <ColumnMap>[i]; nnet2: output column reorder[i] = input column i."""
    if c.has("<ColumnMap>"):
        index = c.ints("<ColumnMap>")
    else:
        reorder = c.ints("<Reorder>") if c.has("<Reorder>") else _positional_ints(c)
        index = np.argsort(reorder)
    return L.Gather(index.astype(np.int64), int(index.size))


def _positional_ints(c: Component) -> np.ndarray:
    if not c.positional or not isinstance(c.positional[0], np.ndarray):
        raise c.error("has no index vector")
    return c.positional[0].reshape(-1).astype(np.int64)


def constant(c: Component) -> L.Layer:
    """ConstantComponent / ConstantFunctionComponent: the same row for every frame."""
    return L.Constant(c.vector("<Output>"))


def splice(c: Component) -> L.Layer:
    """nnet2 SpliceComponent: <Context> offsets (old files: <LeftContext>/<RightContext>), a constant part."""
    dim = c.int("<InputDim>")
    if c.has("<Context>"):
        offsets = tuple(int(o) for o in c.ints("<Context>"))
    else:
        offsets = tuple(range(-c.int("<LeftContext>"), c.int("<RightContext>") + 1))
    const_dim = c.int("<ConstComponentDim>", default=0)
    if not offsets or not 0 <= const_dim < dim:
        raise c.error(f"bad splice: context {list(offsets)}, constant part {const_dim} of {dim}")
    return L.Splice(offsets, dim, const_dim)


def lstm_nonlinearity(c: Component) -> L.Layer:
    params = c.matrix("<Params>")
    if params.shape[0] != 3:
        raise c.error(f"<Params> should be [3, cell_dim], got {list(params.shape)}")
    return L.LstmNonlinearity(params, c.bool("<UseDropout>", default=False))


def time_height_convolution(c: Component) -> L.Layer:
    """TimeHeightConvolutionComponent (CNN-TDNN recipes): input [height_in x filters_in] per frame (filter
    index fastest), output [height_out x filters_out]; each (time, height) offset adds W_k x[t + time,
    h_out * subsample + height], zero outside the height range; time offsets outside <RequiredTimeOffsets> read
    zeros where not computable. The time offsets go to the stream's memory, the rest is one Gather + MatMul."""
    f_in, f_out = c.int("<NumFiltersIn>"), c.int("<NumFiltersOut>")
    h_in, h_out, sub = c.int("<HeightIn>"), c.int("<HeightOut>"), c.int("<HeightSubsampleOut>", default=1)
    offsets = c.ints_pairs("<Offsets>")
    w, b = c.matrix("<LinearParams>"), c.vector("<BiasParams>", optional=True)
    if w.shape != (f_out, f_in * len(offsets)):
        raise c.error(f"<LinearParams> {list(w.shape)} do not fit {f_out} filters x {len(offsets)} offsets x "
                      f"{f_in} input filters")
    times = sorted({int(t) for t, _ in offsets})
    required = {int(t) for t in c.ints("<RequiredTimeOffsets>")} if c.has("<RequiredTimeOffsets>") else set(times)
    block = h_in * f_in
    index = np.full((h_out, len(offsets) * f_in), -1, np.int64)
    for h in range(h_out):
        for k, (t, dh) in enumerate(offsets):
            height = h * sub + int(dh)
            if 0 <= height < h_in:
                start = times.index(int(t)) * block + height * f_in
                index[h, k * f_in:(k + 1) * f_in] = np.arange(start, start + f_in)
    layer = L.Patches(block * len(times), index, w, b)
    layer.input_dim = block
    layer.time_offsets = tuple(times)
    layer.optional_offsets = frozenset(t for t in times if t not in required)
    return layer


def maxpooling(c: Component) -> L.Layer:
    """nnet3 MaxpoolingComponent: the input is an x * y * z tensor (z fastest); each output is the max over an
    x/y/z pool, pools enumerated x, then y, then z."""
    dims = [c.int(f"<Input{a}Dim>") for a in "XYZ"]
    sizes = [c.int(f"<Pool{a}Size>") for a in "XYZ"]
    steps = [c.int(f"<Pool{a}Step>") for a in "XYZ"]
    if min(sizes + steps) <= 0 or any((d - s) % st or s > d for d, s, st in zip(dims, sizes, steps)):
        raise c.error(f"pools {sizes} every {steps} do not fit the input {dims}")
    counts = [1 + (d - s) // st for d, s, st in zip(dims, sizes, steps)]
    _, y_dim, z_dim = dims
    index = [[(xp * steps[0] + x) * y_dim * z_dim + (yp * steps[1] + y) * z_dim + zp * steps[2] + z
              for x in range(sizes[0]) for y in range(sizes[1]) for z in range(sizes[2])]
             for xp in range(counts[0]) for yp in range(counts[1]) for zp in range(counts[2])]
    return L.Patches(dims[0] * y_dim * z_dim, np.array(index, np.int64), reduce=ops.ReduceMax)


def restricted_attention(c: Component) -> L.Layer:
    left, right = c.int("<NumLeftInputs>"), c.int("<NumRightInputs>")
    layer = L.RestrictedAttention(
        c.int("<NumHeads>", default=1), c.int("<KeyDim>"), c.int("<ValueDim>"), left, right,
        c.int("<TimeStride>", default=1), c.int("<NumLeftInputsRequired>", default=left),
        c.int("<NumRightInputsRequired>", default=right), c.bool("<OutputContext>", default=True),
        c.float("<KeyScale>"))
    if min(layer.heads, layer.key_dim, layer.value_dim, layer.stride) <= 0 or left < 0 or right < 0:
        raise c.error("bad attention sizes")
    return layer


def composite(c: Component) -> L.Layer:
    from .table import NNET3_COMPONENTS
    return L.Sequence([NNET3_COMPONENTS[n.type][0](n) for n in c.nested])
