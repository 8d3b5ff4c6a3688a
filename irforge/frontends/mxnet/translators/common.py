"""Helpers that several MXNet translators share."""
from __future__ import annotations

from typing import Callable

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Constant, Output

from ..node import MxNode

Translator = Callable[[MxNode], list[Output]]


def i64(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def reshaped(n: MxNode, x: Output, shape: list[int] | tuple[int, ...]) -> Output:
    """x with a new static shape. A weight keeps its bytes in the file: the new Constant shares the same
    FileSlice (or numpy view) instead of adding a Reshape that constant folding would have to copy."""
    if isinstance(x.node.op, Constant):
        shape = tuple(int(d) for d in shape)
        if -1 in shape:
            known = int(np.prod([d for d in shape if d != -1]))
            shape = tuple(int(np.prod(x.node.op.shape)) // known if d == -1 else d for d in shape)
        data = x.node.op.data
        if isinstance(data, np.ndarray):
            data = data.reshape(shape)
        out = n.graph.add(Constant(x.element_type, shape, data), name=x.node.name).outputs[0]
        return out
    return n.out(ops.Reshape(special_zero=False), x, n.const(i64(shape)))


def along_axis(n: MxNode, vector: Output, rank: int, axis: int = 1) -> Output:
    """A per-channel vector [C] shaped to broadcast along `axis` of a rank-`rank` tensor: [1, C, 1, 1]."""
    shape = [1] * rank
    shape[axis] = -1
    return reshaped(n, vector, shape)


def scalar(n: MxNode, value, et: ElementType) -> Output:
    """A 0-d constant (Split's axis and Pad's value must be scalars, not [1])."""
    array = np.asarray(value, dtype=et.numpy).reshape(())
    return n.graph.add(Constant(et, (), array), name=f"{n.name}/scalar").outputs[0]


def scalar_like(n: MxNode, x: Output, value: float) -> Output:
    """A scalar constant of x's element type."""
    et = x.element_type if x.element_type != ElementType.dynamic else ElementType.f32
    return scalar(n, value, et)


def to_bool(n: MxNode, x: Output) -> Output:
    """MXNet has no boolean tensors: a condition is any nonzero value."""
    if x.element_type == ElementType.boolean:
        return x
    return n.out(ops.NotEqual(), x, scalar_like(n, x, 0))


def from_bool(n: MxNode, x: Output, like: Output) -> Output:
    """Comparisons give 0/1 in the operands' type in MXNet."""
    et = like.element_type if like.element_type != ElementType.dynamic else ElementType.f32
    return n.out(ops.Convert(et), x)


def normalize_axis(n: MxNode, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise n.error(f"axis {axis} is out of range for an input of rank {rank}")
    return axis + rank if axis < 0 else axis


def identity(n: MxNode) -> list[Output]:
    """Ops that do nothing at inference (Dropout, BlockGrad, identity, _copy)."""
    return [n.input(0)]


def unary(op_class, **attrs) -> Translator:
    def translate(n: MxNode) -> list[Output]:
        return [n.out(op_class(**attrs), n.input(0))]
    translate.__doc__ = f"-> {op_class.TYPE}"
    return translate


def shape_of(n: MxNode, x: Output) -> Output:
    """ShapeOf x as i64 (folded to a constant when x's shape is static)."""
    return n.out(ops.ShapeOf(), x)
