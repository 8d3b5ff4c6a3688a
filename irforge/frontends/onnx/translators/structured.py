"""Ops built from index patterns (Range, compare, Select): Trilu, EyeLike, Hardmax, and the window functions
HannWindow, HammingWindow, BlackmanWindow; and the optional-value ops, which reduce to constants and identities."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import OnnxNode, element_type
from .generic import i64
from .pointwise import scalar


def dim(n: OnnxNode, x: Output, axis: int) -> Output:
    """Dim `axis` of x as a scalar i64 (a constant when static)."""
    if x.shape.rank is not None and isinstance(x.shape[axis], int):
        return n.const(np.array(x.shape[axis], np.int64))
    return n.out(ops.Gather(), n.out(ops.ShapeOf(), x), n.const(i64(axis)), n.const(i64(0)))


def arange(n: OnnxNode, count: Output) -> Output:
    """[0, 1, ..., count - 1] as i64."""
    return n.out(ops.Range(output_type=ElementType.i64), n.const(i64(0)), count, n.const(i64(1)))


def diagonal_offsets(n: OnnxNode, x: Output) -> Output:
    """[rows, cols] i64 matrix of col - row over the last two dims of x."""
    rank = x.shape.rank
    if rank is None or rank < 2:
        raise n.error("needs an input of rank 2 or more")
    rows = n.out(ops.Unsqueeze(), arange(n, dim(n, x, rank - 2)), n.const(i64([1])))
    cols = n.out(ops.Unsqueeze(), arange(n, dim(n, x, rank - 1)), n.const(i64([0])))
    return n.out(ops.Subtract(), cols, rows)


def trilu(n: OnnxNode) -> list[Output]:
    """upper: keep elements with col - row >= k; lower: col - row <= k; others become 0."""
    x = n.input(0)
    k = n.out(ops.Convert(ElementType.i64), n.input(1)) if n.has(1) else n.const(i64(0))
    if k.shape.rank not in (0, None):
        k = n.out(ops.Squeeze(), k)
    offsets = diagonal_offsets(n, x)
    keep = n.out(ops.GreaterEqual() if n.attr("upper", 1) else ops.LessEqual(), offsets, k)
    return [n.out(ops.Select(), keep, x, scalar(n, 0, x))]


def eye_like(n: OnnxNode) -> list[Output]:
    """Ones on the k-th diagonal of a matrix shaped like the input, in `dtype` (else the input's type)."""
    x = n.input(0)
    et = element_type(int(n.attr("dtype")), n.name) if n.has_attr("dtype") else x.element_type
    on = n.out(ops.Equal(), diagonal_offsets(n, x), n.const(i64(int(n.attr("k", 0)))))
    return [n.out(ops.Convert(et), on)]


def hardmax(n: OnnxNode) -> list[Output]:
    """1 at the first maximum along the axis, 0 elsewhere. Before opset 13 the input is seen as 2-D
    [prod(dims[:axis]), prod(dims[axis:])] and the maximum is taken over the flattened second part."""
    x = n.input(0)
    rank = x.shape.rank
    if rank is None:
        raise n.error("needs an input of known rank")
    axis = int(n.attr("axis", -1 if n.opset >= 13 else 1))
    axis = axis + rank if axis < 0 else axis
    data = x
    if n.opset < 13:
        from .tensor import flatten_shape
        data = n.out(ops.Reshape(), x, flatten_shape(n, x, axis) if axis else n.const(i64([1, -1])))
        axis = 1
    # TopK-11 stable keeps the first of equal maxima, as ONNX asks.
    index = n.add(ops.TopK(axis=axis, mode="max", sort="value", stable=True), data, n.const(i64(1))).outputs[1]
    positions = arange(n, dim(n, data, axis))
    data_rank = data.shape.rank
    assert data_rank is not None
    shape = [1] * data_rank
    shape[axis] = -1
    positions = n.out(ops.Reshape(), positions, n.const(i64(shape)))
    y = n.out(ops.Convert(x.element_type), n.out(ops.Equal(), positions, index))
    if n.opset < 13:
        y = n.out(ops.Reshape(), y, n.out(ops.ShapeOf(), x))
    return [y]


def _window(terms: tuple[float, ...]):
    """w[i] = sum_k (-1)^k a_k cos(2 pi k i / N), N = size (periodic) or size - 1 (symmetric)."""
    def translate(n: OnnxNode) -> list[Output]:
        size = n.input(0)
        if size.shape.rank not in (0, None):
            size = n.out(ops.Squeeze(), size)
        et = element_type(int(n.attr("output_datatype", 1)), n.name)
        count = n.out(ops.Convert(ElementType.i64), size)
        index = n.out(ops.Convert(ElementType.f32), arange(n, count))
        period = n.out(ops.Convert(ElementType.f32), count)
        if not n.attr("periodic", 1):
            period = n.out(ops.Subtract(), period, n.const(np.float32(1)))
        phase = n.out(ops.Divide(), n.out(ops.Multiply(), index, n.const(np.float32(2 * np.pi))), period)
        w: Output = n.const(np.float32(terms[0]))
        for k, a in enumerate(terms[1:], start=1):
            term = n.out(ops.Multiply(), n.out(ops.Cos(), n.out(ops.Multiply(), phase, n.const(np.float32(k)))),
                         n.const(np.float32(a)))
            w = n.out(ops.Subtract() if k % 2 else ops.Add(), w, term)
        return [w if et == ElementType.f32 else n.out(ops.Convert(et), w)]
    return translate


hann_window = _window((0.5, 0.5))
hamming_window = _window((25 / 46, 21 / 46))
blackman_window = _window((0.42, 0.5, 0.08))


def optional_has_element(n: OnnxNode) -> list[Output]:
    """irforge holds no empty optionals: an input present is an element, an omitted one is none."""
    return [n.const(np.array(n.has(0)))]


def optional_get_element(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    if x.element_type == ElementType.dynamic:
        raise n.error("only optional tensors are supported (not sequences)")
    return [x]
