"""ONNX ModelProto -> Graph. Weights in external data files stay on disk (FileSlice); every unsupported op of
the model (sub-graphs included) is reported in one error before anything is translated."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import numpy_helper

from irforge.core.element_type import ElementType
from irforge.core.graph import Graph, Origin, Output
from irforge.core.shape import DYNAMIC, PartialShape
from irforge.core.tensor import FileSlice
from irforge.errors import ConversionError, InputError, UnsupportedOps
from irforge.frontends.base import InputOverrides, make_input

from . import functions
from .node import OnnxNode, element_type
from .table import OP_TABLE, Translator
from .wire import read_without_weights

DEFAULT_DOMAINS = ("", "ai.onnx")


@dataclass
class Scope:
    """Tensor names visible while translating one graph. A sub-graph's scope asks its parent for names it does
    not define; `capture` then turns the outer value into a body input (Loop/If/Scan wire it up)."""

    graph: Graph
    tensors: dict[str, Output] = field(default_factory=dict)
    parent: Scope | None = None
    captured: list[tuple[Output, Output]] = field(default_factory=list)  # (outer value, body Parameter)
    pending_initializers: dict[str, onnx.TensorProto] = field(default_factory=dict)
    base_dir: str = ""
    weight_slices: dict[str, FileSlice] = field(default_factory=dict)  # raw_data left in the model file
    inline: bool = False  # a branch translated into its parent's graph (If with a known condition): no captures

    def lookup(self, name: str) -> Output | None:
        if name in self.tensors:
            return self.tensors[name]
        if name in self.pending_initializers:
            self.tensors[name] = initializer_constant(self.graph, self.pending_initializers.pop(name),
                                                      self.base_dir, self.weight_slices.get(name))
            return self.tensors[name]
        if self.parent is None:
            return None
        outer = self.parent.lookup(name)
        if outer is None:
            return None
        if self.inline:
            self.tensors[name] = outer
            return outer
        if outer.value is not None:  # a small known outer value is simply copied in as a constant
            inner = self.graph.constant(outer.value, outer.element_type, name=name)
        else:
            inner = self.graph.parameter(name, outer.element_type, outer.shape)
            self.captured.append((outer, inner))
        inner.names.add(name)
        self.tensors[name] = inner
        return inner


def initializer_constant(graph: Graph, t: onnx.TensorProto, base_dir: str,
                         in_file: FileSlice | None = None) -> Output:
    """An initializer as a Constant; its bytes stay in the model file (in_file) or the external data file."""
    et = element_type(t.data_type, t.name)
    shape = tuple(int(d) for d in t.dims)
    location = {e.key: e.value for e in t.external_data} if t.data_location == onnx.TensorProto.EXTERNAL else None
    if in_file is not None:
        from irforge.core.tensor import storage_nbytes
        if in_file.nbytes != storage_nbytes(et, int(np.prod(shape, dtype=np.int64))):
            raise InputError(f"initializer '{t.name}' holds {in_file.nbytes} bytes, its shape {list(shape)} "
                             f"of {et.value} needs {storage_nbytes(et, int(np.prod(shape, dtype=np.int64)))}",
                             path=in_file.path, offset=in_file.offset)
        out = graph.constant_from_file(in_file, et, shape, name=t.name)
    elif location is not None:
        path = os.path.join(base_dir, location["location"])
        if not os.path.exists(path):
            raise InputError(f"initializer '{t.name}' refers to external data that is missing", path=path)
        offset = int(location.get("offset", 0))
        count = int(np.prod(shape, dtype=np.int64))
        from irforge.core.tensor import storage_nbytes
        length = int(location.get("length", storage_nbytes(et, count)))
        if et in (ElementType.string,):
            raise ConversionError("external string tensors are not supported", node=t.name)
        out = graph.constant_from_file(FileSlice(path, offset, length), et, shape, name=t.name)
    elif t.raw_data and et not in (ElementType.string, ElementType.u4, ElementType.i4):
        raw = t.raw_data
        dtype = ElementType.f32.numpy if et == ElementType.bf16 else et.numpy
        if et == ElementType.bf16:
            array = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32).reshape(shape)
        else:
            array = np.frombuffer(raw, dtype.newbyteorder("<")).reshape(shape)
        out = graph.constant(array, et, name=t.name)
    else:
        array = numpy_helper.to_array(t)
        if et == ElementType.string:
            array = np.vectorize(lambda b: b.decode() if isinstance(b, bytes) else b, otypes=[object])(array) \
                if array.size else array.astype(object)
        out = graph.constant(array, et, name=t.name)
    out.names.add(t.name)
    return out


def value_info_type(vi: onnx.ValueInfoProto) -> tuple[ElementType, PartialShape]:
    # An optional tensor input is fed as its tensor (irforge has no empty optionals).
    tt = vi.type.optional_type.elem_type.tensor_type if vi.type.HasField("optional_type") else vi.type.tensor_type
    et = element_type(tt.elem_type, vi.name) if tt.elem_type else ElementType.dynamic
    if not tt.HasField("shape"):
        return et, PartialShape(None)
    dims = [d.dim_value if d.HasField("dim_value") and d.dim_value >= 0 else DYNAMIC for d in tt.shape.dim]
    return et, PartialShape(dims)


def opset_versions(model: onnx.ModelProto) -> dict[str, int]:
    versions = {("" if o.domain in DEFAULT_DOMAINS else o.domain): o.version for o in model.opset_import}
    versions.setdefault("", 1)
    return versions


def table_key(op_type: str, domain: str) -> str:
    return op_type if domain in DEFAULT_DOMAINS else f"{domain}::{op_type}"


def select_translator(key: str, opset: int, table: dict[str, dict[int, Translator]]) -> Translator | None:
    versions = table.get(key)
    if not versions:
        return None
    fitting = [v for v in versions if v <= opset]
    return versions[max(fitting)] if fitting else versions[min(versions)]


def all_nodes(g: onnx.GraphProto):
    """Every node of a graph and of its sub-graphs (If branches, Loop and Scan bodies)."""
    for node in g.node:
        yield node
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from all_nodes(a.g)
            elif a.type == onnx.AttributeProto.GRAPHS:
                for sub in a.graphs:
                    yield from all_nodes(sub)


class GraphTranslator:
    """Translates one ONNX graph (the main graph or a sub-graph body) node by node into `scope.graph`."""

    def __init__(self, versions: dict[str, int], table: dict[str, dict[int, Translator]], model_path: str | None,
                 base_dir: str, progress: Callable[[int, int], None] | None = None):
        self.versions = versions
        self.table = table
        self.model_path = model_path
        self.base_dir = base_dir
        self.progress = progress

    def translate_nodes(self, g: onnx.GraphProto, scope: Scope) -> None:
        nodes = _topological(g, scope)
        for index, proto in enumerate(nodes):
            self.translate_node(proto, scope)
            if self.progress:
                self.progress(index + 1, len(nodes))

    def translate_node(self, proto: onnx.NodeProto, scope: Scope) -> None:
        inputs = []
        for name in proto.input:
            if not name:
                inputs.append(None)
                continue
            x = scope.lookup(name)
            if x is None:
                raise ConversionError(f"input '{name}' is produced by no node, initializer or graph input",
                                      node=proto.name or proto.op_type, op_type=proto.op_type)
            inputs.append(x)
        domain = "" if proto.domain in DEFAULT_DOMAINS else proto.domain
        opset = self.versions.get(domain, 1)
        translator = select_translator(table_key(proto.op_type, proto.domain), opset, self.table)
        if translator is None:
            # No translator: ONNX defines the op as a function of other ops (checked before translation).
            body = functions.expand(proto, inputs, opset)
            if body is None:
                raise UnsupportedOps("ONNX", [(table_key(proto.op_type, proto.domain), proto.name)])
            missing = [(table_key(b.op_type, b.domain), b.name) for b in body
                       if select_translator(table_key(b.op_type, b.domain), opset, self.table) is None
                       and not functions.has_function(b.op_type, b.domain, opset)]
            if missing:
                raise UnsupportedOps("ONNX", missing)
            for inner in body:
                self.translate_node(inner, scope)
            return
        node = OnnxNode(proto, inputs, scope.graph, opset, scope, self.model_path)
        node.translator = self  # sub-graph translators (If, Loop, Scan) translate their bodies with it
        outputs = translator(node)
        if len(outputs) < len([o for o in proto.output if o]):
            used = [i for i, o in enumerate(proto.output) if o and i >= len(outputs)]
            if used:
                raise node.error(f"output {used[0]} is not produced by irforge's translation of {proto.op_type}")
        node.finish(outputs, list(proto.output))
        for name, out in zip(proto.output, outputs):
            if name and out is not None:
                scope.tensors[name] = out

    def translate_body(self, g: onnx.GraphProto, parent: Scope, inputs: list[tuple[str, ElementType,
                       PartialShape]] | None = None, input_hook: BodyHook | None = None,
                       output_hook: BodyHook | None = None) -> tuple[Graph, Scope]:
        """A sub-graph: its formal inputs become Parameters (typed as `inputs` says when given: the values the op
        feeds them, more precise than the declared types), outer names it reads are captured, and its outputs
        become Results. The hooks may put ops between a Parameter and its
        users, or between an output and its Result (Scan squeezes and unsqueezes its sliced axis there)."""
        body = Graph(g.name or "body")
        scope = Scope(body, parent=parent, base_dir=self.base_dir,
                      pending_initializers={t.name: t for t in g.initializer})
        for i, vi in enumerate(g.input):
            et, shape = value_info_type(vi)
            if inputs is not None and i < len(inputs):
                _, et_given, shape_given = inputs[i]
                et = et_given if et_given != ElementType.dynamic else et
                shape = shape_given if shape_given.rank is not None else shape
            param = body.parameter(vi.name, et, shape)
            scope.tensors[vi.name] = input_hook(body, i, param) if input_hook else param
        self.translate_nodes(g, scope)
        for k, vi in enumerate(g.output):
            x = scope.lookup(vi.name)
            if x is None:
                raise ConversionError(f"sub-graph output '{vi.name}' is not produced", node=g.name)
            body.result(output_hook(body, k, x) if output_hook else x, name=vi.name)
        return body, scope


BodyHook = Callable[[Graph, int, Output], Output]


def _topological(g: onnx.GraphProto, scope: Scope) -> list[onnx.NodeProto]:
    """ONNX requires nodes in order, but not every exporter complies: order them by their inputs if needed."""
    produced_by = {o: i for i, n in enumerate(g.node) for o in n.output if o}
    if all(produced_by.get(x, -1) < i for i, n in enumerate(g.node) for x in n.input if x):
        return list(g.node)

    def deps(i: int) -> list[int]:
        return [produced_by[x] for x in g.node[i].input if x in produced_by]

    state = [0] * len(g.node)  # 0 unvisited, 1 on the stack, 2 done
    order: list[onnx.NodeProto] = []
    for start in range(len(g.node)):
        if state[start]:
            continue
        state[start] = 1
        stack = [(start, iter(deps(start)))]
        while stack:
            i, it = stack[-1]
            d = next(it, None)
            if d is None:
                stack.pop()
                state[i] = 2
                order.append(g.node[i])
            elif state[d] == 1:
                raise ConversionError("the graph has a cycle", node=g.node[d].name or g.node[d].op_type)
            elif state[d] == 0:
                state[d] = 1
                stack.append((d, iter(deps(d))))
    return order


class OnnxFrontend:
    name = "onnx"

    def __init__(self, table: dict[str, dict[int, Translator]] | None = None):
        self.table = OP_TABLE if table is None else table

    def accepts(self, path: str) -> bool:
        return path.lower().endswith(".onnx")

    def read(self, path: str) -> tuple[onnx.ModelProto, dict[str, FileSlice]]:
        """The model without its weights' bytes, and where those bytes lie in the file (see wire.py)."""
        if not os.path.exists(path):
            raise InputError("the model file does not exist", path=path)
        try:
            return read_without_weights(path)
        except (DecodeError, RuntimeWarning, ValueError) as e:
            raise InputError(f"not a valid ONNX model ({type(e).__name__}: {str(e)[:120]})", path=path) from None
        except OSError as e:
            raise InputError(f"cannot read the model: {e.strerror}", path=path) from None

    def check_supported(self, model: onnx.ModelProto, versions: dict[str, int]) -> None:
        missing = []
        for proto in all_nodes(model.graph):
            key = table_key(proto.op_type, proto.domain)
            opset = versions.get("" if proto.domain in DEFAULT_DOMAINS else proto.domain, 1)
            if select_translator(key, opset, self.table) is None \
                    and not functions.has_function(proto.op_type, proto.domain, opset):
                missing.append((key, proto.name or (proto.output[0] if proto.output else "?")))
        if missing:
            raise UnsupportedOps("ONNX", missing)

    def convert(self, model: onnx.ModelProto, overrides: InputOverrides, path: str | None = None,
                progress: Callable[[int, int], None] | None = None,
                weight_slices: dict[str, FileSlice] | None = None) -> Graph:
        versions = opset_versions(model)
        self.check_supported(model, versions)
        name = Path(path).stem if path else (model.graph.name or "model")
        graph = Graph(name)
        base_dir = os.path.dirname(os.path.abspath(path)) if path else ""
        initializers = {t.name: t for t in model.graph.initializer}
        scope = Scope(graph, base_dir=base_dir, pending_initializers=dict(initializers),
                      weight_slices=weight_slices or {})
        position = 0
        for vi in model.graph.input:
            if vi.name in initializers:  # IR < 4 lists initializers as inputs too: they stay constants
                continue
            et, shape = value_info_type(vi)
            override = overrides.lookup(vi.name, position)
            scope.tensors[vi.name] = make_input(graph, vi.name, et, shape, override, Origin("onnx", vi.name,
                                                                                            "input", path))
            position += 1
        translator = GraphTranslator(versions, self.table, path, base_dir, progress)
        translator.translate_nodes(model.graph, scope)
        for vi in model.graph.output:
            x = scope.lookup(vi.name)
            if x is None:
                raise ConversionError(f"model output '{vi.name}' is produced by no node")
            graph.result(x, name=vi.name)
        return graph
