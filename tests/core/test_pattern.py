"""The pattern matcher: commutative operands, captures that must bind one tensor, constant predicates,
alternatives, and the self-containment rule of rewrites."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Graph
from irforge.core.pattern import capture, const, match, near, one_of, op, rewrite
from irforge.core.shape import PartialShape


def graph_with_input():
    g = Graph()
    return g, g.parameter("x", ElementType.f32, PartialShape([2, 3]))


def test_commutative_operands_match_either_order():
    g, x = graph_with_input()
    half = g.constant(np.float32(0.5))
    pattern = op(ops.Multiply, capture("x"), const(near(0.5), name="c"))
    for a, b in ((x, half), (half, x)):
        m = match(pattern, g.out(ops.Multiply(), a, b))
        assert m is not None and m["x"] is x and float(m.value("c")) == 0.5
    assert match(op(ops.Subtract, capture("x"), const()), g.out(ops.Subtract(), half, x)) is None   # not commutative


def test_a_capture_binds_one_tensor():
    g, x = graph_with_input()
    y = g.out(ops.Relu(), x)
    swish = op(ops.Multiply, capture("x"), op(ops.Sigmoid, capture("x")))
    assert match(swish, g.out(ops.Multiply(), x, g.out(ops.Sigmoid(), x))) is not None
    assert match(swish, g.out(ops.Multiply(), g.out(ops.Sigmoid(), x), x)) is not None
    assert match(swish, g.out(ops.Multiply(), y, g.out(ops.Sigmoid(), x))) is None


def test_constant_predicates_and_alternatives():
    g, x = graph_with_input()
    p = one_of(op(ops.Multiply, capture("x"), const(near(2.0))), op(ops.Add, capture("x"), capture("x")))
    assert match(p, g.out(ops.Multiply(), x, g.constant(np.full((1, 3), 2.0, np.float32)))) is not None
    assert match(p, g.out(ops.Multiply(), x, g.constant(np.float32(2.1)))) is None
    assert match(p, g.out(ops.Add(), x, x)) is not None
    assert match(op(ops.Relu, const()), g.out(ops.Relu(), x)) is None     # x is not known at conversion time


def test_rewrite_refuses_matches_whose_inner_nodes_are_read_elsewhere():
    g, x = graph_with_input()
    sig = g.out(ops.Sigmoid(), x)
    g.result(g.out(ops.Multiply(), x, sig), name="swish")
    rules = [(op(ops.Multiply, capture("x"), op(ops.Sigmoid, capture("x"))),
              lambda graph, m: graph.out(ops.Swish(), m["x"]))]
    assert rewrite(g.copy(), rules) == 1
    g.result(sig, name="gate")                   # the Sigmoid is an output too: fusing would compute it twice
    assert rewrite(g, rules) == 0
