"""Small ONNX models for the transformation tests (and any other test), built node by node, plus helpers that
convert them and look at the result: the op types irforge wrote, and a check of one pass on its own."""
from __future__ import annotations

import collections
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from irforge.core.graph import Constant, Graph, Parameter, Result

STRUCTURAL = (Parameter, Constant, Result)


class OnnxBuilder:
    """b = OnnxBuilder(); x = b.input("x", [1, 3, 8, 8]); y = b.node("Relu", [x]); model = b.model([y])."""

    def __init__(self, opset: int = 17):
        self.opset = opset
        self.nodes: list = []
        self.inputs: list = []
        self.initializers: list = []
        self.rng = np.random.default_rng(0)
        self._count = 0

    def _name(self, base: str) -> str:
        self._count += 1
        return f"{base}{self._count}"

    def input(self, name: str, shape: Sequence[int | str], dtype=np.float32) -> str:
        from onnx import helper
        self.inputs.append(helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(np.dtype(dtype)),
                                                         list(shape)))
        return name

    def init(self, value, name: str | None = None) -> str:
        from onnx import numpy_helper
        name = name or self._name("w")
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def random(self, *shape: int, low: float | None = None, high: float | None = None) -> str:
        """A float32 initializer of that shape (uniform in [low, high) when given, else standard normal)."""
        if low is not None:
            value = self.rng.uniform(low, high, shape)
        else:
            value = self.rng.standard_normal(shape)
        return self.init(value.astype(np.float32))

    def scalar(self, value: float) -> str:
        return self.init(np.array(value, np.float32))

    def node(self, op_type: str, inputs: Sequence[str], outputs: int = 1, name: str | None = None,
             **attrs: Any) -> Any:
        from onnx import helper
        names = [self._name(op_type.lower() + "_") for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names, name=name or self._name(op_type), **attrs))
        return names[0] if outputs == 1 else names

    def model(self, outputs: Sequence[str]):
        from onnx import TensorProto, helper
        outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
        graph = helper.make_graph(self.nodes, "test", self.inputs, outs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)])
        model.ir_version = 8
        return model


def layer_norm(b: OnnxBuilder, x: str, axes, square: str = "pow", eps_inside: bool = True, width: int = 6) -> str:
    """LayerNorm spelled out as exporters before opset 17 do: ReduceMean, Sub, Pow (or Mul), ReduceMean, Add eps,
    Sqrt, Div, then * gamma + beta over the last axis (of size `width`)."""
    mean = b.node("ReduceMean", [x], axes=axes, keepdims=1)
    centered = b.node("Sub", [x, mean])
    sq = b.node("Pow", [centered, b.scalar(2.0)]) if square == "pow" else b.node("Mul", [centered, centered])
    var = b.node("ReduceMean", [sq], axes=axes, keepdims=1)
    if eps_inside:
        std = b.node("Sqrt", [b.node("Add", [var, b.scalar(1e-5)])])
    else:
        std = b.node("Add", [b.node("Sqrt", [var]), b.scalar(1e-5)])
    y = b.node("Div", [centered, std])
    return b.node("Add", [b.node("Mul", [y, b.random(width)]), b.random(width)])


def op_types(graph: Graph) -> collections.Counter:
    """Op types of the nodes an output needs, without Parameter / Constant / Result."""
    return collections.Counter(n.op.TYPE for n in graph.topological() if not isinstance(n.op, STRUCTURAL))


def feeds_for(model, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for i in model.graph.input:
        shape = [d.dim_value for d in i.type.tensor_type.shape.dim]
        out.append(rng.standard_normal(shape).astype(np.float32))
    return out


def translate(model, tmp_path: Path, **options) -> Graph:
    """The graph the ONNX frontend builds, before any pass runs."""
    import onnx

    from irforge.frontends import registry
    from irforge.options import ConversionOptions
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "raw.onnx"
    onnx.save(model, str(path))
    return registry.load(ConversionOptions.build(str(path), **options))


def check_pass_alone(model, tmp_path: Path, passes: Sequence[Callable[[Graph], int]],
                     rtol: float = 1e-4, atol: float = 1e-5) -> tuple[Graph, list[int]]:
    """Run only these passes (after constant folding, which every pass expects) on the translated model, save
    the IR, and require the OpenVINO runtime and the reference runtime to match onnxruntime."""
    import irforge
    from irforge.core.validate import validate
    from irforge.transforms.fold_constants import fold_constants
    from irforge.transforms.remove_dead_nodes import remove_dead_nodes
    from oracles import assert_close, run_onnxruntime, run_openvino, run_reference
    graph = translate(model, tmp_path)
    fold_constants(graph)
    counts = []
    for p in passes:
        counts.append(p(graph))
        validate(graph, getattr(p, "__name__", "pass"))
    remove_dead_nodes(graph)
    feeds = feeds_for(model)
    expected = run_onnxruntime(model, feeds)
    xml, _ = irforge.save_model(graph, tmp_path / "alone" / "model.xml")
    for got_ov, got_ref, exp in zip(run_openvino(xml, feeds), run_reference(xml, feeds), expected):
        assert_close(got_ov, exp, rtol, atol, "OpenVINO vs onnxruntime")
        assert_close(got_ref, exp, rtol, atol, "reference runtime vs onnxruntime")
    return graph, counts


def convert_and_check(model, tmp_path: Path, rtol: float = 1e-4, atol: float = 1e-5, **options) -> Graph:
    """The whole pipeline (with these options) through oracles.check_onnx_model."""
    from oracles import check_onnx_model
    tmp_path.mkdir(parents=True, exist_ok=True)
    return check_onnx_model(model, feeds_for(model), tmp_path, rtol=rtol, atol=atol, **options)
