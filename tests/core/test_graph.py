"""Graph edits keep the use lists consistent; constants keep their shape (0-d included)."""
import numpy as np
import pytest

from irforge import ops
from irforge.core import ElementType
from irforge.core.graph import Graph, Use
from irforge.core.shape import DYNAMIC, PartialShape
from irforge.errors import ShapeError


def _check_uses(graph: Graph) -> None:
    """Every input edge appears exactly once in its producer's use list, and nothing else does."""
    expected = {}
    for node in graph.nodes:
        for i, x in enumerate(node.inputs):
            expected.setdefault(id(x), []).append((id(node), i))
    for node in graph.nodes:
        for out in node.outputs:
            got = sorted((id(u.node), u.index) for u in out.uses)
            assert got == sorted(expected.get(id(out), [])), f"{node}: output {out.index} uses {out.uses}"


def _small_graph():
    g = Graph("g")
    x = g.parameter("x", ElementType.f32, PartialShape([DYNAMIC, 3]))
    one = g.constant(np.float32(1.0))
    a = g.out(ops.Add(), x, one, name="a")
    b = g.out(ops.Multiply(), a, a, name="b")       # one producer read twice by one node
    g.result(b, name="y")
    return g, x, one, a, b


def test_add_records_every_use_and_infers_at_once():
    g, x, one, a, b = _small_graph()
    _check_uses(g)
    assert a.uses == [Use(b.node, 0), Use(b.node, 1)]
    assert b.shape == PartialShape([DYNAMIC, 3]) and b.element_type == ElementType.f32


def test_replace_uses_moves_consumers_and_names():
    g, x, one, a, b = _small_graph()
    a.names.add("a_tensor")
    c = g.out(ops.Subtract(), x, one, name="c")
    g.replace_uses(a, c)
    _check_uses(g)
    assert not a.uses and b.node.inputs == [c, c]
    assert "a_tensor" in c.names and not a.names
    g.remove(a.node)
    _check_uses(g)
    assert a.node not in g.nodes


def test_set_input_updates_both_sides():
    g, x, one, a, b = _small_graph()
    g.set_input(b.node, 1, x)
    _check_uses(g)
    assert a.uses == [Use(b.node, 0)] and Use(b.node, 1) in x.uses


def test_remove_refuses_a_used_node():
    g, x, one, a, b = _small_graph()
    with pytest.raises(ValueError):
        g.remove(a.node)
    _check_uses(g)


def test_remove_dead_nodes_keeps_use_lists_consistent():
    g, x, one, a, b = _small_graph()
    dead = g.out(ops.Relu(), a, name="dead")
    g.out(ops.Exp(), dead, name="dead2")
    assert g.remove_dead_nodes() == 2
    _check_uses(g)
    assert [u.node.name for u in a.uses] == ["b", "b"]


def test_copy_is_deep_for_nodes_and_ports():
    g, x, one, a, b = _small_graph()
    twin = g.copy()
    _check_uses(twin)
    assert len(twin) == len(g) and not set(map(id, twin.nodes)) & set(map(id, g.nodes))
    twin_b = next(n for n in twin.nodes if n.name == "b")
    twin.set_input(twin_b, 0, twin.inputs()[0])
    _check_uses(twin)
    _check_uses(g)
    assert b.node.inputs == [a, a]


def test_topological_order_puts_producers_first():
    g, x, one, a, b = _small_graph()
    order = g.topological()
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for inp in node.inputs:
            assert position[id(inp.node)] < position[id(node)]
    assert order[0] is x.node


def test_scalar_constants_stay_scalar():
    g = Graph()
    for value in (np.float32(2.5), 3, np.array(7, np.int64), 1.5):
        c = g.constant(value)
        assert c.shape == PartialShape(()) and c.node.op.shape == () and np.ndim(c.value) == 0


def test_non_contiguous_constants_are_copied_contiguous():
    g = Graph()
    view = np.arange(12, dtype=np.float32).reshape(3, 4).T
    c = g.constant(view)
    assert c.node.op.data.flags["C_CONTIGUOUS"] and c.shape == PartialShape([4, 3])
    np.testing.assert_array_equal(c.node.op.data, view)


def test_inference_error_names_the_node():
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([2, 3]))
    y = g.parameter("y", ElementType.f32, PartialShape([4, 3]))
    with pytest.raises(ShapeError, match="bad_add"):
        g.add(ops.Add(), x, y, name="bad_add")


def test_reinfer_after_a_parameter_shape_change():
    g, x, one, a, b = _small_graph()
    x.node.op = ops.Parameter(ElementType.f32, PartialShape([5, 3]))
    g.reinfer()
    assert b.shape == PartialShape([5, 3])
