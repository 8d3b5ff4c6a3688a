"""Elementwise math, activations, reductions, MatMul and Softmax."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import TfNode
from .generic import cast_to, i64, scalar_like


def _is_integral(x: Output) -> bool:
    return x.element_type.is_integral


def div(n: TfNode) -> list[Output]:
    """Div: C division for integers (truncates toward zero), true division for floats."""
    x, y = n.input(0), n.input(1)
    return [n.out(ops.Divide(m_pythondiv=False), x, y)]


def floor_div(n: TfNode) -> list[Output]:
    """Integers: (x - floormod(x, y)) / y divides exactly, so it floors whatever the runtime's integer division
    does (the OpenVINO CPU plugin truncates even with m_pythondiv=true)."""
    x, y = n.input(0), n.input(1)
    if _is_integral(x):
        exact = n.out(ops.Subtract(), x, n.out(ops.FloorMod(), x, y))
        return [n.out(ops.Divide(m_pythondiv=False), exact, y)]
    return [n.out(ops.Floor(), n.out(ops.Divide(), x, y))]


def div_no_nan(n: TfNode) -> list[Output]:
    """x / y, and 0 where y == 0."""
    x, y = n.input(0), n.input(1)
    zero = scalar_like(n, 0, y)
    is_zero = n.out(ops.Equal(), y, zero)
    safe = n.out(ops.Select(), is_zero, scalar_like(n, 1, y), y)
    return [n.out(ops.Select(), is_zero, zero, n.out(ops.Divide(), x, safe))]


def rsqrt(n: TfNode) -> list[Output]:
    """1 / Sqrt(x)."""
    x = n.input(0)
    return [n.out(ops.Divide(), scalar_like(n, 1, x), n.out(ops.Sqrt(), x))]


def reciprocal(n: TfNode) -> list[Output]:
    """1 / x."""
    x = n.input(0)
    return [n.out(ops.Divide(), scalar_like(n, 1, x), x)]


def square(n: TfNode) -> list[Output]:
    """x * x."""
    x = n.input(0)
    return [n.out(ops.Multiply(), x, x)]


def erfc(n: TfNode) -> list[Output]:
    """1 - Erf(x)."""
    x = n.input(0)
    return [n.out(ops.Subtract(), scalar_like(n, 1, x), n.out(ops.Erf(), x))]


def log1p(n: TfNode) -> list[Output]:
    """Log(x + 1)."""
    x = n.input(0)
    return [n.out(ops.Log(), n.out(ops.Add(), x, scalar_like(n, 1, x)))]


def expm1(n: TfNode) -> list[Output]:
    """Exp(x) - 1."""
    x = n.input(0)
    return [n.out(ops.Subtract(), n.out(ops.Exp(), x), scalar_like(n, 1, x))]


def relu6(n: TfNode) -> list[Output]:
    """-> Clamp(0, 6)."""
    return [n.out(ops.Clamp(min=0.0, max=6.0), n.input(0))]


def leaky_relu(n: TfNode) -> list[Output]:
    """max(x, alpha * x) is exact for 0 <= alpha <= 1; other slopes select by sign."""
    x = n.input(0)
    alpha = float(n.attr("alpha", 0.2))
    scaled = n.out(ops.Multiply(), x, scalar_like(n, alpha, x))
    if 0.0 <= alpha <= 1.0:
        return [n.out(ops.Maximum(), x, scaled)]
    positive = n.out(ops.Greater(), x, scalar_like(n, 0, x))
    return [n.out(ops.Select(), positive, x, scaled)]


def elu(n: TfNode) -> list[Output]:
    """-> Elu (alpha 1)."""
    return [n.out(ops.Elu(alpha=1.0), n.input(0))]


def selu(n: TfNode) -> list[Output]:
    """-> Selu with TensorFlow's alpha and scale."""
    x = n.input(0)
    return [n.out(ops.Selu(), x, scalar_like(n, 1.6732632423543772, x), scalar_like(n, 1.0507009873554805, x))]


def bias_add(n: TfNode) -> list[Output]:
    """-> Add of the bias on the channel axis (last for NHWC, 1 for NCHW)."""
    x, bias = n.input(0), n.input(1)
    if n.attr("data_format", "NHWC") in ("NCHW", "NCDHW", "NCW") and x.shape.rank not in (None, 1, 2):
        bias = n.out(ops.Reshape(), bias, n.const(i64([-1] + [1] * (x.shape.rank - 2))))
    return [n.out(ops.Add(), x, bias)]


def add_n(n: TfNode) -> list[Output]:
    """AddN: a chain of Add."""
    acc = n.input(0)
    for x in n.inputs[1:]:
        acc = n.out(ops.Add(), acc, x)
    return [acc]


def cast(n: TfNode) -> list[Output]:
    """-> Convert to DstT."""
    return [cast_to(n, n.input(0), n.type_attr("DstT"))]


def select(n: TfNode) -> list[Output]:
    """Select (TF1): a vector condition picks whole rows of higher-rank operands; SelectV2 broadcasts."""
    cond, x, y = n.input(0), n.input(1), n.input(2)
    if n.op_type == "Select" and cond.shape.rank == 1 and x.shape.rank not in (None, 1):
        cond = n.out(ops.Reshape(), cond, n.const(i64([-1] + [1] * (x.shape.rank - 1))))
    return [n.out(ops.Select(), cond, x, y)]


def clip_by_value(n: TfNode) -> list[Output]:
    """-> Minimum(Maximum(x, min), max) (the bounds may be tensors)."""
    x, low, high = n.input(0), n.input(1), n.input(2)
    return [n.out(ops.Minimum(), n.out(ops.Maximum(), x, low), high)]


def reduce(op_class):
    def translate(n: TfNode) -> list[Output]:
        return [n.out(op_class(keep_dims=bool(n.attr("keep_dims", False))), n.input(0), n.input(1))]
    translate.__doc__ = f"-> {op_class.TYPE}"
    return translate


def arg_extreme(mode: str):
    """ArgMax / ArgMin: TopK with k=1 along the axis, squeezed (ties pick the lowest index, as TF does)."""
    def translate(n: TfNode) -> list[Output]:
        x = n.input(0)
        axis = n.const_ints(1, "axis")[0]
        node = n.add(ops.TopK(axis=axis, mode=mode, sort="none", index_element_type=n.type_attr("output_type", 9),
                              stable=False), x, n.const(np.asarray(1, np.int64)))
        return [n.out(ops.Squeeze(), node.outputs[1], n.const(i64([axis])))]
    translate.__doc__ = f"TopK(k=1, mode {mode}) along the axis, its indices squeezed (ties: the lowest index)."
    return translate


def matmul(n: TfNode) -> list[Output]:
    """-> MatMul with transpose_a / transpose_b."""
    return [n.out(ops.MatMul(transpose_a=bool(n.attr("transpose_a", False)),
                             transpose_b=bool(n.attr("transpose_b", False))), n.input(0), n.input(1))]


def batch_matmul(n: TfNode) -> list[Output]:
    """-> MatMul with adj_x / adj_y as transpose_a / transpose_b."""
    return [n.out(ops.MatMul(transpose_a=bool(n.attr("adj_x", False)), transpose_b=bool(n.attr("adj_y", False))),
                  n.input(0), n.input(1))]


def softmax(op_class):
    def translate(n: TfNode) -> list[Output]:
        return [n.out(op_class(axis=-1), n.input(0))]
    translate.__doc__ = f"-> {op_class.TYPE} over the last axis."
    return translate


def squared_difference(n: TfNode) -> list[Output]:
    """-> SquaredDifference."""
    return [n.out(ops.SquaredDifference(), n.input(0), n.input(1))]


def is_finite_like(kind: str):
    """IsNan / IsInf / IsFinite from comparisons (x != x is NaN; |x| == inf)."""
    def translate(n: TfNode) -> list[Output]:
        x = n.input(0)
        nan = n.out(ops.NotEqual(), x, x)
        if kind == "nan":
            return [nan]
        inf = n.out(ops.Equal(), n.out(ops.Abs(), x), scalar_like(n, np.inf, x))
        if kind == "inf":
            return [inf]
        return [n.out(ops.LogicalNot(), n.out(ops.LogicalOr(), nan, inf))]
    translate.__doc__ = {"nan": "x != x.", "inf": "|x| == inf.", "finite": "Neither NaN nor infinite."}[kind]
    return translate


def zeros_like(n: TfNode) -> list[Output]:
    """-> Broadcast(0, ShapeOf(x))."""
    x = n.input(0)
    zero = n.const(np.zeros((), dtype=x.element_type.numpy), x.element_type)
    return [n.out(ops.Broadcast(), zero, n.out(ops.ShapeOf(), x))]


def ones_like(n: TfNode) -> list[Output]:
    """-> Broadcast(1, ShapeOf(x))."""
    x = n.input(0)
    one = n.const(np.ones((), dtype=x.element_type.numpy), x.element_type)
    return [n.out(ops.Broadcast(), one, n.out(ops.ShapeOf(), x))]


def logical_and_bool(n: TfNode) -> list[Output]:
    return [n.out(ops.LogicalAnd(), n.input(0), n.input(1))]


def bool_cast(n: TfNode, x: Output) -> Output:
    return cast_to(n, x, ElementType.boolean)


def einsum(n: TfNode) -> list[Output]:
    """-> Einsum with TensorFlow's equation."""
    return [n.out(ops.Einsum(equation=n.attr("equation")), *n.inputs)]


def top_k(n: TfNode) -> list[Output]:
    """TopKV2(input, k) / TopK (k attribute): the k largest along the last axis, by value, ties by lower index
    (stable); indices int32 (index_type)."""
    x = n.input(0)
    k = n.input(1) if n.op_type == "TopKV2" else n.const(np.asarray(int(n.attr("k")), np.int64))
    index_type = n.type_attr("index_type", 3)
    sort = "value" if n.attr("sorted", True) else "none"
    node = n.add(ops.TopK(axis=-1, mode="max", sort=sort, index_element_type=index_type, stable=True), x,
                 cast_to(n, k, ElementType.i64))
    return list(node.outputs)


def atan2(n: TfNode) -> list[Output]:
    """Atan2(y, x): atan(y / x), shifted by +-pi where x < 0 (and +-pi/2 where x == 0), as numpy's arctan2."""
    y, x = n.input(0), n.input(1)
    zero = scalar_like(n, 0, x)
    safe_x = n.out(ops.Select(), n.out(ops.Equal(), x, zero), scalar_like(n, 1, x), x)
    base = n.out(ops.Atan(), n.out(ops.Divide(), y, safe_x))
    pi = scalar_like(n, np.pi, x)
    sign_y = n.out(ops.Select(), n.out(ops.Less(), y, zero), n.out(ops.Negative(), pi), pi)   # y >= 0: +pi
    left = n.out(ops.Add(), base, sign_y)
    vertical = n.out(ops.Multiply(), sign_y, scalar_like(n, 0.5, x))
    vertical = n.out(ops.Select(), n.out(ops.Equal(), y, zero), zero, vertical)
    out = n.out(ops.Select(), n.out(ops.Less(), x, zero), left, base)
    return [n.out(ops.Select(), n.out(ops.Equal(), x, zero), vertical, out)]


def no_output(n: TfNode) -> list[Output]:
    """Assert / Print side effects: nothing at inference (Print passes its first input on)."""
    return [n.input(0)] if n.op_type in ("Print", "PrintV2") and n.inputs else []
