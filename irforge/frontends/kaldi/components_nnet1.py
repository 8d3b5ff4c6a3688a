"""nnet1 components -> layers. nnet1 writes most weights without tokens, in a fixed order after optional
`<Token> value` hyper-parameters; `Component.positional` holds them in file order."""
from __future__ import annotations

import numpy as np

from irforge import ops

from . import layers as L
from .network import Component


def _arrays(c: Component, count: int, what: str) -> list[np.ndarray]:
    arrays = [v for v in c.positional if isinstance(v, np.ndarray)]
    if len(arrays) < count:
        raise c.error(f"expected {what} ({count} matrices/vectors), found {len(arrays)}")
    return arrays[:count]


def _check_dims(c: Component, layer: L.Layer) -> L.Layer:
    """nnet1 headers give <Type> out_dim in_dim: they must agree with the weights."""
    if c.dims is not None:
        out_dim, in_dim = c.dims
        if layer.input_dim is not None and layer.input_dim != in_dim:
            raise c.error(f"the header says input dim {in_dim}, the weights take {layer.input_dim}")
        got = layer.output_dim(in_dim)
        if got is not None and got != out_dim:
            raise c.error(f"the header says output dim {out_dim}, the weights give {got}")
    return layer


def _dim(c: Component) -> int | None:
    return c.dims[1] if c.dims else None


def affine_transform(c: Component) -> L.Layer:
    w, b = _arrays(c, 2, "the weight matrix and the bias vector")
    if w.ndim != 2 or b.ndim != 1 or b.size != w.shape[0]:
        raise c.error(f"weights {list(w.shape)} and bias {list(b.shape)} do not fit together")
    return _check_dims(c, L.Affine(w, b))


def linear_transform(c: Component) -> L.Layer:
    (w,) = _arrays(c, 1, "the weight matrix")
    return _check_dims(c, L.Affine(w.reshape(w.shape[0], -1) if w.ndim == 2 else w))


def add_shift(c: Component) -> L.Layer:
    (shift,) = _arrays(c, 1, "the shift vector")
    return _check_dims(c, L.ScaleShift(None, shift.reshape(-1), _dim(c)))


def rescale(c: Component) -> L.Layer:
    (scale,) = _arrays(c, 1, "the scale vector")
    return _check_dims(c, L.ScaleShift(scale.reshape(-1), None, _dim(c)))


def activation(op: type[ops.Op] | None):
    def make(c: Component) -> L.Layer:
        return _check_dims(c, L.Elementwise(op, _dim(c)))
    make.__name__ = op.__name__.lower() if op else "identity"
    return make


def softmax(c: Component) -> L.Layer:
    return _check_dims(c, L.Softmax(False, _dim(c)))


def block_softmax(c: Component) -> L.Layer:
    dims = [int(d) for d in _ints(c)]
    return _check_dims(c, _BlockSoftmax(dims))


class _BlockSoftmax(L.Layer):
    def __init__(self, dims: list[int]):
        self.dims = dims
        self.input_dim = sum(dims)

    def output_dim(self, input_dim):
        return self.input_dim

    def build(self, b, x):
        if len(set(self.dims)) == 1:
            return L.Softmax(False, self.input_dim, self.dims[0]).build(b, x)
        parts, start = [], 0
        for d in self.dims:
            parts.append(b.out(ops.Softmax(-1), L.columns(b, x, start, start + d)))
            start += d
        return L.concat(b, parts)


def _ints(c: Component) -> np.ndarray:
    if not c.positional or not isinstance(c.positional[0], np.ndarray):
        raise c.error("has no integer vector")
    values = c.positional[0].reshape(-1)
    if not np.all(values == np.round(values)):
        raise c.error("its integer vector holds non-integers")
    return values.astype(np.int64)


def splice(c: Component) -> L.Layer:
    offsets = tuple(int(o) for o in _ints(c))
    if not offsets:
        raise c.error("has no frame offsets")
    return _check_dims(c, L.Splice(offsets, c.dims[1] if c.dims else 0))


def copy(c: Component) -> L.Layer:
    """Output column j = input column index[j] - 1 (nnet1 stores 1-based indices)."""
    index = _ints(c) - 1
    in_dim = _dim(c)
    if index.size and (index.min() < 0 or (in_dim is not None and index.max() >= in_dim)):
        raise c.error(f"copy indices run outside 1..{in_dim}")
    return _check_dims(c, L.Gather(index, in_dim))


def length_norm(c: Component) -> L.Layer:
    """LengthNormComponent: each row scaled to unit L2 length."""
    return _check_dims(c, _LengthNorm(_dim(c)))


class _LengthNorm(L.Layer):
    def __init__(self, dim):
        self.input_dim = dim

    def output_dim(self, input_dim):
        return input_dim

    def build(self, b, x):
        norm = b.out(ops.ReduceL2(keep_dims=True), x, b.const(L.i64([1])))
        return b.out(ops.Divide(), x, norm)


def parametric_relu(c: Component) -> L.Layer:
    """y = alpha x where x >= 0, beta x elsewhere."""
    alpha, beta = _arrays(c, 2, "the alpha and beta vectors")
    return _check_dims(c, _ParametricRelu(alpha.reshape(-1), beta.reshape(-1)))


class _ParametricRelu(L.Layer):
    def __init__(self, alpha, beta):
        self.alpha, self.beta = alpha, beta
        self.input_dim = int(alpha.size)

    def output_dim(self, input_dim):
        return self.input_dim

    def build(self, b, x):
        positive = b.out(ops.GreaterEqual(), x, b.const(np.float32(0)))
        scale = b.out(ops.Select(), positive, b.const(self.alpha.reshape(1, -1)), b.const(self.beta.reshape(1, -1)))
        return b.out(ops.Multiply(), x, scale)


def lstm_projected(c: Component) -> L.Layer:
    """The step of LstmProjected(Streams); the nnet1 reader wires its recurrence."""
    w_x, w_r, bias, p_i, p_f, p_o, w_rm = _arrays(c, 7, "W_gifo_x, W_gifo_r, bias, 3 peepholes and W_r_m")
    cell = c.int("<CellDim>")
    if w_x.shape[0] != 4 * cell or w_rm.shape[1] != cell or w_r.shape != (4 * cell, w_rm.shape[0]):
        raise c.error(f"weights do not fit <CellDim> {cell}: W_gifo_x {list(w_x.shape)}, "
                      f"W_gifo_r {list(w_r.shape)}, W_r_m {list(w_rm.shape)}")
    clip = c.float("<CellClip>", default=0.0)
    layer = L.LstmProjectedStep(w_x, w_r, bias.reshape(-1), p_i.reshape(-1), p_f.reshape(-1), p_o.reshape(-1),
                                w_rm, clip)
    if c.dims is not None and (c.dims[0] != layer.proj or c.dims[1] != w_x.shape[1]):
        raise c.error(f"the header says {c.dims[1]} -> {c.dims[0]}, the weights {w_x.shape[1]} -> {layer.proj}")
    return layer


def convolutional(c: Component) -> L.Layer:
    """ConvolutionalComponent: 1-D convolution along frequency over spliced frames (patches of <PatchDim>
    every <PatchStep>, <PatchStride> per frame); output = [patch][filter]."""
    patch_dim, step, stride = c.int("<PatchDim>"), c.int("<PatchStep>"), c.int("<PatchStride>")
    filters, bias = c.matrix("<Filters>"), c.vector("<Bias>")
    in_dim = _dim(c) or 0
    if stride <= 0 or step <= 0 or in_dim % stride or (stride - patch_dim) % step:
        raise c.error(f"patch dim {patch_dim}, step {step}, stride {stride} do not fit input dim {in_dim}")
    splices, patches = in_dim // stride, 1 + (stride - patch_dim) // step
    if filters.shape[1] != splices * patch_dim or bias.size != filters.shape[0]:
        raise c.error(f"filters {list(filters.shape)} / bias {bias.size} do not fit {splices} x {patch_dim}")
    index = np.array([[p * step + s * stride + d for s in range(splices) for d in range(patch_dim)]
                      for p in range(patches)], np.int64)
    return _check_dims(c, L.Patches(in_dim, index, filters, bias))


def pooling(reduce: type[ops.Op]):
    """Max/AveragePoolingComponent: pools of <PoolSize> patches every <PoolStep>, each patch <PoolStride> wide;
    output column q * stride + s pools input columns (q * step + r) * stride + s."""
    def make(c: Component) -> L.Layer:
        size, step, stride = c.int("<PoolSize>"), c.int("<PoolStep>"), c.int("<PoolStride>")
        in_dim = _dim(c) or 0
        if stride <= 0 or step <= 0 or in_dim % stride or (in_dim // stride - size) % step:
            raise c.error(f"pool size {size}, step {step}, stride {stride} do not fit input dim {in_dim}")
        pools = 1 + (in_dim // stride - size) // step
        index = np.array([[(q * step + r) * stride + s for r in range(size)] for q in range(pools)
                          for s in range(stride)], np.int64)
        return _check_dims(c, L.Patches(in_dim, index, reduce=reduce))
    make.__name__ = f"pooling_{reduce.__name__.lower()}"
    return make
