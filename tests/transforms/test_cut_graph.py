"""The cut_graph pass on translated graphs: what each name form resolves to, the graph left consistent (use
lists, no dead nodes, no orphan inputs), inputs in --input order, shapes re-inferred; values against
onnxruntime on the same cut made by onnx.utils."""
import numpy as np
import pytest

import irforge
from irforge import ops
from irforge.core.graph import Constant
from irforge.core.validate import validate
from irforge.errors import OptionError
from irforge.options import ConversionOptions
from irforge.transforms.cut_graph import GraphNames, cut_graph
from oracles import run_onnxruntime, run_reference
from tiny_models import chain, extract, save


@pytest.fixture
def path(tmp_path):
    return save(chain(), tmp_path)


def translated(path):
    """The graph as the frontend gives it (no passes)."""
    from irforge.frontends import registry
    return registry.load(ConversionOptions.build(str(path)))


def test_names_resolve_to_framework_ports(path):
    names = GraphNames(translated(path))
    ports = names.node_inputs("conv1")  # Conv(x, W1, B1): bias goes to a separate Add, still port 2
    assert [sorted(x.names) for x, _ in ports] == [["x"], ["W1"], ["B1"]]
    assert [sorted(o.names) for o in names.node_outputs("split")] == [["s0"], ["s1"]]
    assert [sorted(x.names) for x, _ in names.node_inputs("add")] == [["t2"], ["t4"]]
    assert names.tensors["t3"].node.origin.source_name == "conv2"


def test_cut_leaves_a_consistent_graph_with_inputs_in_order(path, tmp_path):
    graph = translated(path)
    options = ConversionOptions.build(str(path), input="t4[1,4,8,8],0:conv2", output="z,y")
    assert cut_graph(graph, options) == 4
    validate(graph, "after cut_graph")
    assert [p.name for p in graph.parameters] == ["t4", "0:conv2", "x"]  # x still feeds relu1 -> add
    assert [r.name for r in graph.results] == ["z", "y"]
    assert not any(n.origin and n.origin.source_name in ("tanh", "sig", "split", "mul") and
                   isinstance(n.op, ops.Tanh) for n in graph.nodes)
    live = set(map(id, graph.topological()))
    assert all(id(n) in live for n in graph.nodes), "dead nodes left"
    rng = np.random.default_rng(0)
    t4, t2, x = (rng.standard_normal(s).astype(np.float32) for s in ((1, 4, 8, 8), (1, 4, 8, 8), (1, 3, 8, 8)))
    z = run_onnxruntime(extract(path, ["x", "t4"], ["z"], tmp_path), [x, t4])[0]
    y = run_onnxruntime(extract(path, ["t2"], ["y"], tmp_path), [t2])[0]
    got = run_reference(graph, [t4, t2, x])
    np.testing.assert_allclose(got[0], z, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], y, rtol=1e-5, atol=1e-6)


def test_a_new_shape_is_inferred_downstream(path):
    graph = translated(path)
    cut_graph(graph, ConversionOptions.build(str(path), input="t2[2,4,3,5]", output="y"))
    assert [p.outputs[0].shape for p in graph.parameters] == [[2, 4, 3, 5]]
    assert graph.results[0].inputs[0].shape == [2, 2, 3, 5]


def test_frozen_and_typed_cuts(path):
    graph = translated(path)
    cut_graph(graph, ConversionOptions.build(str(path), input="t2{f16},t4->0.25", output="z"))
    (p,) = graph.parameters
    assert p.op.element_type.value == "f16"
    assert isinstance(p.outputs[0].uses[0].node.op, ops.Convert)  # the model still computes in f32
    frozen = [n for n in graph.nodes if isinstance(n.op, Constant) and n.name == "t4"]
    assert frozen and float(frozen[0].op.array().reshape(-1)[0]) == 0.25


def test_every_unknown_name_is_reported_at_once(path):
    graph = translated(path)
    with pytest.raises(OptionError) as info:
        cut_graph(graph, ConversionOptions.build(str(path), input="nope,t2,nada"))
    assert "'nope', 'nada'" in str(info.value) and info.value.option == "--input"


def test_no_cut_leaves_the_graph_alone(path):
    before = irforge.convert_model(str(path))
    graph = translated(path)
    assert cut_graph(graph, ConversionOptions.build(str(path))) == 0
    assert [p.name for p in graph.parameters] == [p.name for p in before.parameters] == ["x"]
    assert [r.name for r in graph.results] == ["y", "z", "w"]
