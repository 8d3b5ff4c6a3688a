"""What each Kaldi component computes on a block of frames: [N, input_dim] -> [N, output_dim], with no time
dependence (time lives in the network's descriptors). The component tables build these from the file's fields;
the streaming builder calls `build` with the frames of one inference."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from irforge import ops
from irforge.core.graph import Output
from irforge.core.op import Op


class Builder(Protocol):
    """The slice of the streaming builder a layer uses."""

    frames: int

    def out(self, op: Op, *inputs: Output, name: str = "") -> Output: ...

    def const(self, value, element_type=None, name: str = "") -> Output: ...


class Layer:
    """Base: `input_dim` is what the component expects (None: any), `time_offsets` the frame offsets at which it
    reads its input (Kaldi's Splice/Tdnn; None: the current frame only)."""

    input_dim: int | None = None
    time_offsets: tuple[int, ...] | None = None
    optional_offsets: frozenset[int] = frozenset()   # time offsets read as zeros where not computable

    def output_dim(self, input_dim: int | None) -> int | None:
        raise NotImplementedError

    def build(self, b: Builder, x: Output) -> Output:
        raise NotImplementedError


def i64(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def columns(b: Builder, x: Output, start: int, stop: int) -> Output:
    """x[:, start:stop]."""
    return b.out(ops.Slice(), x, b.const(i64([start])), b.const(i64([stop])), b.const(i64([1])), b.const(i64([1])))


def concat(b: Builder, parts: list[Output]) -> Output:
    return parts[0] if len(parts) == 1 else b.out(ops.Concat(1), *parts)


def blocks(b: Builder, x: Output, block: int, fn: Callable[[Output], Output]) -> Output:
    """Apply `fn` to every `block`-wide group of columns ([N, D] -> [N, D/block, block] -> back)."""
    dim = x.shape[1]
    if block == dim:
        return fn(x)
    grouped = b.out(ops.Reshape(special_zero=True), x, b.const(i64([0, dim // block, block])))
    done = fn(grouped)
    return b.out(ops.Reshape(special_zero=True), done, b.const(i64([0, -1])))


@dataclass
class Affine(Layer):
    """y = x W^T + b (W is [out, in] as Kaldi stores it: MatMul with transpose_b reads it as is)."""

    weights: np.ndarray
    bias: np.ndarray | None = None

    def __post_init__(self):
        self.input_dim = int(self.weights.shape[1])

    def output_dim(self, input_dim):
        return int(self.weights.shape[0])

    def build(self, b, x):
        y = b.out(ops.MatMul(False, True), x, b.const(self.weights))
        if self.bias is not None and self.bias.size and np.any(self.bias):
            y = b.out(ops.Add(), y, b.const(self.bias.reshape(1, -1)))
        return y


@dataclass
class Elementwise(Layer):
    """A per-element function (Sigmoid, Tanh, ReLU...), or the identity when `op` is None."""

    op: type[Op] | None
    dim: int | None = None
    kwargs: dict = field(default_factory=dict)

    def __post_init__(self):
        self.input_dim = self.dim

    def output_dim(self, input_dim):
        return self.dim if self.dim is not None else input_dim

    def build(self, b, x):
        return x if self.op is None else b.out(self.op(**self.kwargs), x)


@dataclass
class Softmax(Layer):
    """Softmax (or log-softmax) over each block of `block` columns (the whole row when block is None)."""

    log: bool = False
    dim: int | None = None
    block: int | None = None

    def __post_init__(self):
        self.input_dim = self.dim

    def output_dim(self, input_dim):
        return self.dim if self.dim is not None else input_dim

    def build(self, b, x):
        op = ops.LogSoftmax(-1) if self.log else ops.Softmax(-1)
        return blocks(b, x, self.block or x.shape[1], lambda v: b.out(op, v))


@dataclass
class ScaleShift(Layer):
    """y = x * scale + shift; either may be None; vectors shorter than the input repeat per block (Kaldi's
    block-dim), scalars apply to every column."""

    scale: np.ndarray | float | None = None
    shift: np.ndarray | float | None = None
    dim: int | None = None

    def __post_init__(self):
        self.input_dim = self.dim

    def output_dim(self, input_dim):
        return self.dim if self.dim is not None else input_dim

    def _row(self, value, dim: int) -> np.ndarray:
        v = np.asarray(value, np.float32).reshape(-1)
        return np.tile(v, dim // v.size).reshape(1, dim) if v.size > 1 else v.reshape(1, 1)

    def build(self, b, x):
        dim = x.shape[1]
        y = x
        if self.scale is not None:
            y = b.out(ops.Multiply(), y, b.const(self._row(self.scale, dim)))
        if self.shift is not None:
            y = b.out(ops.Add(), y, b.const(self._row(self.shift, dim)))
        return y


@dataclass
class Normalize(Layer):
    """nnet3 NormalizeComponent (nnet2's is target_rms 1): y = x / sqrt(max(sum(x^2) / (D rms^2), 2^-66)) per
    block, optionally followed by log(sqrt(max(...)) * rms) per block (AddLogStddev)."""

    dim: int
    target_rms: float = 1.0
    add_log_stddev: bool = False
    block: int | None = None
    FLOOR = 2.0 ** -66

    def __post_init__(self):
        self.input_dim = self.dim

    def output_dim(self, input_dim):
        block = self.block or self.dim
        return self.dim + (self.dim // block if self.add_log_stddev else 0)

    def build(self, b, x):
        block = self.block or self.dim
        if block == self.dim and not self.add_log_stddev:
            return self._normalize(b, x, 1)[0]
        grouped = b.out(ops.Reshape(special_zero=True), x, b.const(i64([0, self.dim // block, block])))
        y, p = self._normalize(b, grouped, 2)
        if self.add_log_stddev:
            # log(sqrt(p) * rms) = 0.5 log p + log rms, one column after each block
            log_std = b.out(ops.Add(), b.out(ops.Multiply(), b.out(ops.Log(), p), b.const(np.float32(0.5))),
                            b.const(np.float32(np.log(self.target_rms))))
            y = b.out(ops.Concat(2), y, log_std)
        return b.out(ops.Reshape(special_zero=True), y, b.const(i64([0, -1])))

    def _normalize(self, b, x, axis: int):
        width = x.shape[axis]
        sq = b.out(ops.ReduceSum(keep_dims=True), b.out(ops.Multiply(), x, x), b.const(i64([axis])))
        p = b.out(ops.Multiply(), sq, b.const(np.float32(1.0 / (width * self.target_rms ** 2))))
        p = b.out(ops.Maximum(), p, b.const(np.float32(self.FLOOR)))
        return b.out(ops.Divide(), x, b.out(ops.Sqrt(), p)), p


@dataclass
class Pnorm(Layer):
    """y_j = ||x[j*g:(j+1)*g]||_p with g = input_dim / output_dim."""

    input_dim_: int
    output_dim_: int
    p: float = 2.0

    def __post_init__(self):
        self.input_dim = self.input_dim_

    def output_dim(self, input_dim):
        return self.output_dim_

    def build(self, b, x):
        group = self.input_dim_ // self.output_dim_
        grouped = b.out(ops.Reshape(special_zero=True), x, b.const(i64([0, self.output_dim_, group])))
        axis = b.const(i64([2]))
        if self.p == 2.0:
            return b.out(ops.ReduceL2(keep_dims=False), grouped, axis)
        if self.p == 1.0:
            return b.out(ops.ReduceL1(keep_dims=False), grouped, axis)
        if np.isinf(self.p):
            return b.out(ops.ReduceMax(keep_dims=False), b.out(ops.Abs(), grouped), axis)
        powered = b.out(ops.Power(), b.out(ops.Abs(), grouped), b.const(np.float32(self.p)))
        total = b.out(ops.ReduceSum(keep_dims=False), powered, axis)
        return b.out(ops.Power(), total, b.const(np.float32(1.0 / self.p)))


@dataclass
class SumGroup(Layer):
    """y_j = sum of the j-th group of columns (group sizes given)."""

    sizes: tuple[int, ...]

    def __post_init__(self):
        self.input_dim = int(sum(self.sizes))

    def output_dim(self, input_dim):
        return len(self.sizes)

    def build(self, b, x):
        if len(set(self.sizes)) == 1:
            grouped = b.out(ops.Reshape(special_zero=True), x, b.const(i64([0, len(self.sizes), self.sizes[0]])))
            return b.out(ops.ReduceSum(keep_dims=False), grouped, b.const(i64([2])))
        matrix = np.zeros((self.input_dim, len(self.sizes)), np.float32)
        start = 0
        for j, size in enumerate(self.sizes):
            matrix[start:start + size, j] = 1.0
            start += size
        return b.out(ops.MatMul(), x, b.const(matrix))


@dataclass
class ElementwiseProduct(Layer):
    """y[j] = prod_k x[k*out + j] (Kaldi's ElementwiseProductComponent)."""

    input_dim_: int
    output_dim_: int

    def __post_init__(self):
        self.input_dim = self.input_dim_

    def output_dim(self, input_dim):
        return self.output_dim_

    def build(self, b, x):
        parts = [columns(b, x, k * self.output_dim_, (k + 1) * self.output_dim_)
                 for k in range(self.input_dim_ // self.output_dim_)]
        y = parts[0]
        for p in parts[1:]:
            y = b.out(ops.Multiply(), y, p)
        return y


@dataclass
class Gather(Layer):
    """y[:, j] = x[:, index[j]] (nnet1 Copy, nnet2/nnet3 Permute)."""

    index: np.ndarray
    dim: int | None = None

    def __post_init__(self):
        self.input_dim = self.dim

    def output_dim(self, input_dim):
        return int(self.index.size)

    def build(self, b, x):
        return b.out(ops.Gather(), x, b.const(i64(self.index)), b.const(i64(1)))


@dataclass
class Constant(Layer):
    """ConstantComponent: the same output row for every frame (its input only sets the frame count)."""

    value: np.ndarray

    def output_dim(self, input_dim):
        return int(self.value.size)

    def build(self, b, x):
        zero = b.out(ops.Multiply(), columns(b, x, 0, 1), b.const(np.float32(0)))
        return b.out(ops.Add(), zero, b.const(self.value.reshape(1, -1).astype(np.float32)))


@dataclass
class Patches(Layer):
    """Input columns gathered into patches, index [P, K] (-1: a zero, i.e. padding) -> [N, P, K]; then a MatMul
    with weights [F, K] (+ bias [F]) -> [N, P * F] (convolutions), or a reduction over K -> [N, P] (pooling)."""

    dim: int
    index: np.ndarray
    weights: np.ndarray | None = None
    bias: np.ndarray | None = None
    reduce: type[Op] | None = None

    def __post_init__(self):
        self.input_dim = self.dim

    def output_dim(self, input_dim):
        return int(self.index.shape[0]) * (int(self.weights.shape[0]) if self.weights is not None else 1)

    def build(self, b, x):
        index = np.asarray(self.index, np.int64)
        if (index < 0).any():
            x = b.out(ops.Concat(1), x, b.const(np.zeros((b.frames, 1), np.float32)))
            index = np.where(index < 0, self.dim, index)
        patches = b.out(ops.Gather(), x, b.const(index), b.const(i64(1)))
        if self.weights is None:
            return b.out(self.reduce(keep_dims=False), patches, b.const(i64([2])))
        y = b.out(ops.MatMul(False, True), patches, b.const(self.weights))
        if self.bias is not None and self.bias.size:
            y = b.out(ops.Add(), y, b.const(self.bias.reshape(1, 1, -1)))
        return b.out(ops.Reshape(special_zero=True), y, b.const(i64([0, -1])))


@dataclass
class RestrictedAttention(Layer):
    """nnet3 RestrictedAttentionComponent. Per head the input frame is [key, value, query (key_dim +
    context_dim)]; over the context frames t + (j - left) * stride: c = softmax_j(key_scale * key_j . q_key +
    q_context[j]), output [sum_j c_j value_j, c (when output_context)]. The builder hands in the frames of every
    context position side by side (the queries come from position `left`, the current frame)."""

    heads: int
    key_dim: int
    value_dim: int
    left: int
    right: int
    stride: int
    left_required: int
    right_required: int
    output_context: bool
    key_scale: float

    def __post_init__(self):
        self.context = self.left + 1 + self.right
        self.per_head = 2 * self.key_dim + self.value_dim + self.context
        self.input_dim = self.heads * self.per_head
        positions = range(-self.left, self.right + 1)
        self.time_offsets = tuple(j * self.stride for j in positions)
        self.optional_offsets = frozenset(j * self.stride for j in positions
                                          if j < -self.left_required or j > self.right_required)

    def output_dim(self, input_dim):
        return self.heads * (self.value_dim + (self.context if self.output_context else 0))

    def build(self, b, x):
        c, d = self.context, self.input_dim
        outputs = []
        for h in range(self.heads):
            base = h * self.per_head

            def gather(start: int, width: int) -> Output:   # [N, context, width] over the context frames
                index = np.array([[j * d + base + start + k for k in range(width)] for j in range(c)], np.int64)
                return b.out(ops.Gather(), x, b.const(index), b.const(i64(1)))

            keys, values = gather(0, self.key_dim), gather(self.key_dim, self.value_dim)
            query = self.left * d + base + self.key_dim + self.value_dim
            q_key = columns(b, x, query, query + self.key_dim)
            q_context = columns(b, x, query + self.key_dim, query + self.key_dim + c)
            q = b.out(ops.Reshape(special_zero=True), q_key, b.const(i64([0, self.key_dim, 1])))
            scores = b.out(ops.Reshape(special_zero=True), b.out(ops.MatMul(), keys, q), b.const(i64([0, c])))
            scores = b.out(ops.Add(), b.out(ops.Multiply(), scores, b.const(np.float32(self.key_scale))), q_context)
            weights = b.out(ops.Softmax(-1), scores)
            mixed = b.out(ops.MatMul(), b.out(ops.Reshape(special_zero=True), weights, b.const(i64([0, 1, c]))),
                          values)
            outputs.append(b.out(ops.Reshape(special_zero=True), mixed, b.const(i64([0, self.value_dim]))))
            if self.output_context:
                outputs.append(weights)
        return concat(b, outputs)


@dataclass
class Sequence(Layer):
    """Layers applied one after the other (nnet3 CompositeComponent, nnet1 nested chains without time)."""

    layers: list[Layer]

    def __post_init__(self):
        self.input_dim = self.layers[0].input_dim if self.layers else None

    def output_dim(self, input_dim):
        for layer in self.layers:
            input_dim = layer.output_dim(input_dim)
        return input_dim

    def build(self, b, x):
        for layer in self.layers:
            x = layer.build(b, x)
        return x


@dataclass
class Splice(Layer):
    """nnet1/nnet2 Splice: the input at each offset, side by side; with `const_dim`, the last const_dim columns
    are not spliced but taken once, from the first offset (nnet2 SpliceComponent's constant part, e.g. an
    i-vector). The streaming builder hands in the input already appended over `time_offsets`."""

    offsets: tuple[int, ...]
    dim: int
    const_dim: int = 0

    def __post_init__(self):
        self.input_dim = self.dim
        self.time_offsets = tuple(self.offsets)

    def output_dim(self, input_dim):
        return (self.dim - self.const_dim) * len(self.offsets) + self.const_dim

    def build(self, b, x):
        if not self.const_dim:
            return x
        spliced = self.dim - self.const_dim
        parts = [columns(b, x, k * self.dim, k * self.dim + spliced) for k in range(len(self.offsets))]
        parts.append(columns(b, x, spliced, self.dim))
        return concat(b, parts)


@dataclass
class Tdnn(Layer):
    """nnet3 TdnnComponent: W concat(x_{t+o}) + b over its time offsets."""

    offsets: tuple[int, ...]
    weights: np.ndarray
    bias: np.ndarray | None = None

    def __post_init__(self):
        self.input_dim = int(self.weights.shape[1]) // len(self.offsets)
        self.time_offsets = tuple(self.offsets)

    def output_dim(self, input_dim):
        return int(self.weights.shape[0])

    def build(self, b, x):
        return Affine(self.weights, self.bias).build(b, x)


@dataclass
class LstmNonlinearity(Layer):
    """nnet3 LstmNonlinearityComponent: input [i, f, c, o parts (4C), c_{t-1} (C), optional 3 dropout scales]
    -> [c_t, m_t]; params [3, C] = the peephole weights w_ic, w_fc, w_oc."""

    params: np.ndarray
    use_dropout: bool = False

    def __post_init__(self):
        self.cell = int(self.params.shape[1])
        self.input_dim = 5 * self.cell + (3 if self.use_dropout else 0)

    def output_dim(self, input_dim):
        return 2 * self.cell

    def build(self, b, x):
        c = self.cell
        i_part, f_part, c_part, o_part, c_prev = (columns(b, x, k * c, (k + 1) * c) for k in range(5))
        w_ic, w_fc, w_oc = (b.const(self.params[k:k + 1].astype(np.float32)) for k in range(3))
        mul, add = ops.Multiply, ops.Add
        i_t = b.out(ops.Sigmoid(), b.out(add(), i_part, b.out(mul(), c_prev, w_ic)))
        f_t = b.out(ops.Sigmoid(), b.out(add(), f_part, b.out(mul(), c_prev, w_fc)))
        if self.use_dropout:
            i_t = b.out(mul(), i_t, columns(b, x, 5 * c, 5 * c + 1))
            f_t = b.out(mul(), f_t, columns(b, x, 5 * c + 1, 5 * c + 2))
        c_t = b.out(add(), b.out(mul(), f_t, c_prev), b.out(mul(), i_t, b.out(ops.Tanh(), c_part)))
        o_t = b.out(ops.Sigmoid(), b.out(add(), o_part, b.out(mul(), c_t, w_oc)))
        if self.use_dropout:
            o_t = b.out(mul(), o_t, columns(b, x, 5 * c + 2, 5 * c + 3))
        m_t = b.out(mul(), o_t, b.out(ops.Tanh(), c_t))
        return b.out(ops.Concat(1), c_t, m_t)


@dataclass
class LstmProjectedStep(Layer):
    """One step of nnet1's LstmProjected: input [x_t, r_{t-1}, c_{t-1}] -> [r_t, c_t] (the recurrence itself is
    the network's IfDefined(Offset(.., -1))). Gate order g, i, f, o; peepholes; optional cell clipping."""

    w_x: np.ndarray       # [4C, in]
    w_r: np.ndarray       # [4C, P]
    bias: np.ndarray      # [4C]
    peep_i: np.ndarray
    peep_f: np.ndarray
    peep_o: np.ndarray
    w_rm: np.ndarray      # [P, C]
    cell_clip: float = 0.0

    def __post_init__(self):
        self.cell = int(self.w_rm.shape[1])
        self.proj = int(self.w_rm.shape[0])
        self.input_dim = int(self.w_x.shape[1]) + self.proj + self.cell

    def output_dim(self, input_dim):
        return self.proj + self.cell

    def build(self, b, x):
        n_in, c, p = int(self.w_x.shape[1]), self.cell, self.proj
        x_t, r_prev, c_prev = columns(b, x, 0, n_in), columns(b, x, n_in, n_in + p), columns(b, x, n_in + p,
                                                                                           n_in + p + c)
        mul, add = ops.Multiply, ops.Add
        z = b.out(add(), b.out(ops.MatMul(False, True), x_t, b.const(self.w_x)),
                  b.out(ops.MatMul(False, True), r_prev, b.const(self.w_r)))
        z = b.out(add(), z, b.const(self.bias.reshape(1, -1)))
        z_g, z_i, z_f, z_o = (columns(b, z, k * c, (k + 1) * c) for k in range(4))

        def peep(v):
            return b.const(np.asarray(v, np.float32).reshape(1, -1))

        i_t = b.out(ops.Sigmoid(), b.out(add(), z_i, b.out(mul(), c_prev, peep(self.peep_i))))
        f_t = b.out(ops.Sigmoid(), b.out(add(), z_f, b.out(mul(), c_prev, peep(self.peep_f))))
        g_t = b.out(ops.Tanh(), z_g)
        c_t = b.out(add(), b.out(mul(), g_t, i_t), b.out(mul(), c_prev, f_t))
        if self.cell_clip > 0:
            c_t = b.out(ops.Clamp(-self.cell_clip, self.cell_clip), c_t)
        o_t = b.out(ops.Sigmoid(), b.out(add(), z_o, b.out(mul(), c_t, peep(self.peep_o))))
        m_t = b.out(mul(), b.out(ops.Tanh(), c_t), o_t)
        r_t = b.out(ops.MatMul(False, True), m_t, b.const(self.w_rm))
        return b.out(ops.Concat(1), r_t, c_t)
