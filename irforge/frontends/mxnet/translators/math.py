"""Arithmetic: elementwise and broadcast binary ops, their `_scalar` forms, comparisons (0/1 in the operands'
type, as MXNet gives them), clip, where, reductions, dot, batch_dot, add_n, unary math."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Output

from ..node import MxNode
from .common import Translator, from_bool, i64, normalize_axis, scalar_like, to_bool


def binary(op_class) -> Translator:
    def translate(n: MxNode) -> list[Output]:
        return [n.out(op_class(), n.input(0), n.input(1))]
    translate.__doc__ = f"-> {op_class.TYPE}"
    return translate


def compare(op_class) -> Translator:
    def translate(n: MxNode) -> list[Output]:
        a = n.input(0)
        return [from_bool(n, n.out(op_class(), a, n.input(1)), a)]
    translate.__doc__ = f"-> {op_class.TYPE}, as 0/1"
    return translate


def logical(op_class) -> Translator:
    def translate(n: MxNode) -> list[Output]:
        a = n.input(0)
        return [from_bool(n, n.out(op_class(), to_bool(n, a), to_bool(n, n.input(1))), a)]
    translate.__doc__ = f"-> {op_class.TYPE} of nonzero, as 0/1"
    return translate


def _scalar(n: MxNode, x: Output) -> Output:
    return scalar_like(n, x, n.float("scalar", 0.0))


def scalar(op_class, reverse: bool = False, boolean: bool = False) -> Translator:
    """x OP scalar (reverse: scalar OP x); the scalar takes x's element type."""
    def translate(n: MxNode) -> list[Output]:
        x = n.input(0)
        s = _scalar(n, x)
        y = n.out(op_class(), *((s, x) if reverse else (x, s)))
        return [from_bool(n, y, x) if boolean else y]
    translate.__doc__ = f"-> {op_class.TYPE} with a scalar"
    return translate


def logical_not(n: MxNode) -> list[Output]:
    """LogicalNot of nonzero, as 0/1."""
    x = n.input(0)
    return [from_bool(n, n.out(ops.LogicalNot(), to_bool(n, x)), x)]


def add_n(n: MxNode) -> list[Output]:
    """Chain of Add."""
    xs = [x for x in n.inputs if x is not None]
    acc = xs[0]
    for x in xs[1:]:
        acc = n.out(ops.Add(), acc, x)
    return [acc]


def clip(n: MxNode) -> list[Output]:
    """Clamp to [a_min, a_max]."""
    return [n.out(ops.Clamp(min=n.float("a_min"), max=n.float("a_max")), n.input(0))]


def where(n: MxNode) -> list[Output]:
    """cond ? x : y; a 1-D condition selects along the first axis of x."""
    cond, x, y = n.input(0), n.input(1), n.input(2)
    c = to_bool(n, cond)
    if cond.shape.rank == 1 and x.shape.rank is not None and x.shape.rank > 1:
        c = n.out(ops.Unsqueeze(), c, n.const(i64(list(range(1, x.shape.rank)))))
    return [n.out(ops.Select(), c, x, y)]


def reduce(op_class) -> Translator:
    """axis (None: all), keepdims, exclude (reduce every axis but those)."""
    def translate(n: MxNode) -> list[Output]:
        x = n.input(0)
        rank = n.rank(x)
        axes = [normalize_axis(n, int(a), rank) for a in n.ints("axis")]
        if not axes:
            axes = list(range(rank))
        elif n.bool("exclude", False):
            axes = [a for a in range(rank) if a not in axes]
        keep = n.bool("keepdims", False)
        y = n.out(op_class(keep_dims=keep), x, n.const(i64(axes)))
        if not keep and len(axes) == rank:  # MXNet never returns a scalar: a full reduction gives shape (1,)
            y = n.out(ops.Reshape(special_zero=False), y, n.const(i64([1])))
        return [y]
    translate.__doc__ = f"-> {op_class.TYPE}"
    return translate


def norm(n: MxNode) -> list[Output]:
    """ReduceL2 (ord 2) or ReduceL1 (ord 1) over `axis`."""
    order = n.int("ord", 2)
    if order not in (1, 2):
        raise n.error(f"ord={order} is not supported (1 or 2)")
    return reduce(ops.ReduceL2 if order == 2 else ops.ReduceL1)(n)


def dot(n: MxNode) -> list[Output]:
    """MXNet dot contracts the last axis of a with the first of b (tensordot), transposing 2-D operands first."""
    a, b = n.input(0), n.input(1)
    ta, tb = n.bool("transpose_a", False), n.bool("transpose_b", False)
    ra, rb = n.rank(a), n.rank(b)
    if ra <= 2 and rb <= 2:
        return [n.out(ops.MatMul(transpose_a=ta and ra == 2, transpose_b=tb and rb == 2), a, b)]
    if ta or tb:
        raise n.error("dot with transpose flags is supported for 2-D operands only")
    if rb <= 2:  # matmul broadcasts a's leading axes: the same contraction
        return [n.out(ops.MatMul(), a, b)]
    if not b.shape.is_static or not a.shape.is_static:
        raise n.error("dot of a tensor with a rank > 2 right operand needs static shapes")
    a_dims, b_dims = a.shape.to_static(), b.shape.to_static()
    flat = n.out(ops.Reshape(), b, n.const(i64([b_dims[0], -1])))
    y = n.out(ops.MatMul(), a, flat)
    return [n.out(ops.Reshape(), y, n.const(i64(list(a_dims[:-1]) + list(b_dims[1:]))))]


def batch_dot(n: MxNode) -> list[Output]:
    """MatMul with transpose_a / transpose_b."""
    return [n.out(ops.MatMul(transpose_a=n.bool("transpose_a", False), transpose_b=n.bool("transpose_b", False)),
                  n.input(0), n.input(1))]


def _unary_chain(doc: str, *steps) -> Translator:
    def translate(n: MxNode) -> list[Output]:
        x = n.input(0)
        for step in steps:
            x = step(n, x)
        return [x]
    translate.__doc__ = doc
    return translate


square = _unary_chain("x * x", lambda n, x: n.out(ops.Multiply(), x, x))
reciprocal = _unary_chain("1 / x", lambda n, x: n.out(ops.Divide(), scalar_like(n, x, 1.0), x))
rsqrt = _unary_chain("1 / Sqrt(x)", lambda n, x: n.out(ops.Divide(), scalar_like(n, x, 1.0), n.out(ops.Sqrt(), x)))
log2 = _unary_chain("Log(x) / log(2)", lambda n, x: n.out(ops.Divide(), n.out(ops.Log(), x), scalar_like(n, x, float(np.log(2)))))
log10 = _unary_chain("Log(x) / log(10)", lambda n, x: n.out(ops.Divide(), n.out(ops.Log(), x), scalar_like(n, x, float(np.log(10)))))
log1p = _unary_chain("Log(x + 1)", lambda n, x: n.out(ops.Log(), n.out(ops.Add(), x, scalar_like(n, x, 1.0))))
expm1 = _unary_chain("Exp(x) - 1", lambda n, x: n.out(ops.Subtract(), n.out(ops.Exp(), x), scalar_like(n, x, 1.0)))
relu6 = _unary_chain("Clamp(x, 0, 6)", lambda n, x: n.out(ops.Clamp(min=0.0, max=6.0), x))
trunc = _unary_chain("Sign(x) * Floor(Abs(x))", lambda n, x: n.out(ops.Multiply(), n.out(ops.Sign(), x), n.out(ops.Floor(), n.out(ops.Abs(), x))))
