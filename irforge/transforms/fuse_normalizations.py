"""Normalizations spelled out in primitives, fused into one op: mean-variance normalization (the body of
LayerNorm / InstanceNorm exports: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div) into MVN, and
exp(x - max(x)) / sum(exp(x - max(x))) into SoftMax. The affine tail of a LayerNorm (* gamma + beta) stays a
Multiply and an Add, as the runtime expects after MVN."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Graph, Output
from irforge.core.pattern import Match, capture, const, near, one_of, op, rewrite

x = capture("x", where=lambda o: o.element_type.is_float)


def _kept(op_class, data, axes_name: str):
    return op(op_class, data, const(name=axes_name), where=lambda o: o.keep_dims)


# -- MVN ----------------------------------------------------------------------------------------------------------
_centered = op(ops.Subtract, x, _kept(ops.ReduceMean, x, "axes"), name="centered")
_square = one_of(op(ops.Power, _centered, const(near(2.0))), op(ops.Multiply, _centered, _centered),
                 op(ops.SquaredDifference, x, _kept(ops.ReduceMean, x, "axes")))
_variance = _kept(ops.ReduceMean, _square, "variance_axes")
_eps = const(lambda v: v.size == 1 and v.dtype.kind == "f", name="eps")
_inside = op(ops.Sqrt, op(ops.Add, _variance, _eps), name="inside_sqrt")
_outside = op(ops.Add, op(ops.Sqrt, _variance), _eps, name="outside_sqrt")
_std = one_of(_inside, _outside)
MVN = one_of(op(ops.Divide, _centered, _std),
             op(ops.Multiply, _centered, op(ops.Power, _std, const(near(-1.0)))),
             op(ops.Multiply, _centered, op(ops.Power, op(ops.Add, _variance, _eps, name="inside_sqrt"),
                                            const(near(-0.5)))))


def _same_axes(a: np.ndarray, b: np.ndarray, rank: int) -> bool:
    return sorted(int(v) % rank for v in a.reshape(-1)) == sorted(int(v) % rank for v in b.reshape(-1))


def _mvn(graph: Graph, m: Match) -> Output | None:
    data = m["x"]
    rank = data.shape.rank
    if rank is None or not _same_axes(m.value("axes"), m.value("variance_axes"), rank):
        return None
    axes = graph.constant(np.asarray(sorted(int(v) % rank for v in m.value("axes").reshape(-1)), np.int64))
    mode = "inside_sqrt" if "inside_sqrt" in m.captures else "outside_sqrt"
    return graph.out(ops.MVN(normalize_variance=True, eps=float(m.value("eps").reshape(-1)[0]), eps_mode=mode),
                     data, axes, name=m.root.node.name)


# -- SoftMax ------------------------------------------------------------------------------------------------------
_exp = op(ops.Exp, one_of(op(ops.Subtract, x, _kept(ops.ReduceMax, x, "max_axes")), x), name="exp")
_sum = _kept(ops.ReduceSum, _exp, "axes")
SOFTMAX = one_of(op(ops.Divide, _exp, _sum), op(ops.Multiply, _exp, op(ops.Power, _sum, const(near(-1.0)))))


def _softmax(graph: Graph, m: Match) -> Output | None:
    data = m["x"]
    rank = data.shape.rank
    axes = m.value("axes").reshape(-1)
    if rank is None or axes.size != 1 or ("max_axes" in m.values and not _same_axes(axes, m.value("max_axes"), rank)):
        return None
    return graph.out(ops.Softmax(axis=int(axes[0]) % rank), data, name=m.root.node.name)


NORMALIZATION_RULES = [(MVN, _mvn), (SOFTMAX, _softmax)]


def fuse_normalizations(graph: Graph) -> int:
    return rewrite(graph, NORMALIZATION_RULES)
