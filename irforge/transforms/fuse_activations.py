"""Activations that exporters spell out in primitives, fused back into one op: GELU (erf and tanh forms), Swish,
HSwish, HSigmoid, Mish and SoftPlus. Each rule is a pattern (core/pattern.py) and the op that replaces it;
Add and Multiply match their operands in either order, so each form needs one pattern, not one per order."""
from __future__ import annotations

import math

import numpy as np

from irforge import ops
from irforge.core.graph import Graph, Output
from irforge.core.pattern import Match, Pattern, capture, const, near, one_of, op, rewrite

x = capture("x", where=lambda o: o.element_type.is_float)


def _times(p: Pattern, c: float) -> Pattern:
    """p * c, also written p / (1/c)."""
    return one_of(op(ops.Multiply, p, const(near(c))), op(ops.Divide, p, const(near(1 / c))))


def _half_x_times(p: Pattern) -> Pattern:
    """0.5 * x * p in any association: (x * p) * 0.5, (x * 0.5) * p, x * (p * 0.5)."""
    return one_of(_times(op(ops.Multiply, x, p), 0.5),
                  op(ops.Multiply, _times(x, 0.5), p),
                  op(ops.Multiply, x, _times(p, 0.5)))


# -- GELU: 0.5 * x * (1 + erf(x / sqrt(2))), and 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))) ------
GELU_ERF = _half_x_times(op(ops.Add, op(ops.Erf, _times(x, 1 / math.sqrt(2))), const(near(1.0))))
_cube = one_of(op(ops.Power, x, const(near(3.0))), op(ops.Multiply, x, op(ops.Multiply, x, x)))
_tanh_arg = _times(op(ops.Add, x, _times(_cube, 0.044715)), math.sqrt(2 / math.pi))
GELU_TANH = _half_x_times(op(ops.Add, op(ops.Tanh, _tanh_arg), const(near(1.0))))

# -- Swish: x * sigmoid(x), x * sigmoid(beta * x) ------------------------------------------------------------------
SWISH = op(ops.Multiply, x, op(ops.Sigmoid, x))
SWISH_BETA = op(ops.Multiply, x, op(ops.Sigmoid, op(ops.Multiply, x, const(lambda v: v.size == 1, name="beta"))))

# -- HSigmoid: relu6(x + 3) / 6; HSwish: x * relu6(x + 3) / 6 --------------------------------------------------------
_plus3 = op(ops.Add, x, const(near(3.0)))
_relu6 = one_of(op(ops.Clamp, _plus3, where=lambda o: o.min == 0.0 and o.max == 6.0),
                op(ops.Minimum, op(ops.Relu, _plus3), const(near(6.0))),
                op(ops.Minimum, op(ops.Maximum, _plus3, const(near(0.0))), const(near(6.0))))
HSIGMOID = _times(_relu6, 1 / 6)
HSWISH = one_of(_times(op(ops.Multiply, x, _relu6), 1 / 6),
                op(ops.Multiply, x, HSIGMOID),
                op(ops.Multiply, x, op(ops.HSigmoid, x)))

# -- SoftPlus: log(exp(x) + 1); Mish: x * tanh(softplus(x)) -----------------------------------------------------------
SOFTPLUS = op(ops.Log, op(ops.Add, op(ops.Exp, x), const(near(1.0))))
MISH = op(ops.Multiply, x, op(ops.Tanh, one_of(op(ops.SoftPlus, x), SOFTPLUS)))


def _unary(op_class, **attrs):
    def build(graph: Graph, m: Match) -> Output:
        return graph.out(op_class(**attrs), m["x"], name=m.root.node.name)
    return build


def _swish_beta(graph: Graph, m: Match) -> Output:
    beta = np.asarray(m.value("beta"), m["x"].element_type.numpy).reshape(())
    return graph.out(ops.Swish(), m["x"], graph.constant(beta), name=m.root.node.name)


# Bigger patterns first: HSwish contains HSigmoid, Mish contains SoftPlus, GELU-tanh contains a Tanh.
ACTIVATION_RULES = [
    (GELU_ERF, _unary(ops.Gelu, approximation_mode="ERF")),
    (GELU_TANH, _unary(ops.Gelu, approximation_mode="TANH")),
    (MISH, _unary(ops.Mish)),
    (HSWISH, _unary(ops.HSwish)),
    (HSIGMOID, _unary(ops.HSigmoid)),
    (SWISH, _unary(ops.Swish)),
    (SWISH_BETA, _swish_beta),
    (SOFTPLUS, _unary(ops.SoftPlus)),
]


def fuse_activations(graph: Graph) -> int:
    """Rewrites run producers first, so an inner pattern (SoftPlus inside Mish) would win over the outer one;
    the outer patterns are therefore tried at every node first, in a sweep of their own."""
    outer = ACTIVATION_RULES[:4]
    return rewrite(graph, outer) + rewrite(graph, ACTIVATION_RULES[4:])
