"""Model cutting (--input / --output): new Parameters and Results at named points of the translated graph; what
no longer feeds an output is removed.

Names are framework names: tensor names (Output.names) and framework node names (origin.source_name; an IR
layer name also works). The legacy `mo` forms, for an item of --input:
  - a model input: only sets its shape / type / value (the frontend already did, in make_input);
  - a tensor name: that tensor becomes an input (or a constant with ->value);
  - a node name: the node stays and every input port of it that is not a constant is fed by a new input;
  - "node:K": output port K of the node becomes an input (the node itself is cut off);
  - "K:node": only the edge into input port K of the node is cut.
And for --output: a tensor, a node (each of its outputs), "node:K" (its output K) or "K:node" (the tensor that
enters input port K; the node itself is cut off). The new Results replace the model's outputs.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from irforge import ops
from irforge.core.graph import Constant, Graph, Node, Origin, Output, Parameter, Use
from irforge.core.shape import PartialShape
from irforge.errors import OptionError
from irforge.option_values import InputSpec, fit_value
from irforge.options import ConversionOptions

NAME_FORMS = ("the name of a model input, a tensor or a node, node:K (output port K) or K:node (input port K)")


@dataclass
class Cut:
    """One new model input: it replaces `source` for the consumers `uses` (None: every consumer)."""

    spec: InputSpec
    source: Output
    uses: list[Use] | None
    name: str
    names: set[str] = field(default_factory=set)


class GraphNames:
    """What a user may call a point of the graph: tensor names, framework node names, IR layer names."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.tensors: dict[str, Output] = {}
        self.nodes: dict[str, list[Node]] = {}  # framework node name -> the IR nodes translated from it
        layers: dict[str, Node] = {}
        for node in graph.nodes:
            for out in node.outputs:
                for name in out.names:
                    self.tensors.setdefault(name, out)
            if node.origin is not None and node.origin.source_name:
                self.nodes.setdefault(node.origin.source_name, []).append(node)
            layers.setdefault(node.name, node)
        for name, node in layers.items():
            self.nodes.setdefault(name, [node])

    def model_input(self, name: str) -> Node | None:
        for p in self.graph.parameters:
            if name in (p.name, f"{p.name}:0") or name in p.outputs[0].names:
                return p
        return None

    def node_inputs(self, name: str) -> list[tuple[Output, list[Use]]]:
        """The framework node's input ports in order: each tensor it reads from outside itself, with its uses."""
        group = self.nodes[name]
        members = {id(n) for n in group}
        ports: dict[int, tuple[Output, list[Use]]] = {}
        for node in group:
            for i, x in enumerate(node.inputs):
                if id(x.node) not in members:
                    ports.setdefault(id(x), (x, []))[1].append(Use(node, i))
        return list(ports.values())

    def node_outputs(self, name: str) -> list[Output]:
        """The framework node's output ports in order: the outputs of its IR nodes that carry tensor names
        (the translator named them), else the outputs of the IR node that bears the name."""
        group = self.nodes[name]
        named = [o for n in group for o in n.outputs if o.names and not isinstance(n.op, Constant)]
        if named:
            return named
        return [o for n in group if n.name == name for o in n.outputs] or list(group[-1].outputs)

    def suggest(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self.tensors) + list(self.nodes), n=3)
        return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""

    def inputs_text(self) -> str:
        names = [sorted(p.outputs[0].names)[0] if p.outputs[0].names else p.name for p in self.graph.parameters]
        return ", ".join(names) if names else "none"


def _port_form(name: str) -> tuple[str, int, bool] | None:
    """("node", K, is_input_port) for "K:node" (input port) or "node:K" (output port)."""
    m = re.fullmatch(r"(\d+):(.+)", name)
    if m:
        return m.group(2), int(m.group(1)), True
    m = re.fullmatch(r"(.+):(\d+)", name)
    if m:
        return m.group(1), int(m.group(2)), False
    return None


def _is_constant(x: Output) -> bool:
    return isinstance(x.node.op, Constant) or x.value is not None


def _port_error(option: str, spec_name: str, node: str, count: int, kind: str) -> OptionError:
    span = f"ports 0..{count - 1}" if count else "no ports"
    return OptionError(option, spec_name, f"an {kind} port of node '{node}' ({count} {kind} port(s): {span})")


# -- inputs -----------------------------------------------------------------------------------------------------------
def resolve_input(names: GraphNames, spec: InputSpec, option: str) -> list[Cut] | None:
    """The cuts one --input item asks for ([] when it names a model input, already set up by the frontend);
    None when the name is unknown."""
    name = spec.name
    if names.model_input(name) is not None:
        return []
    out = names.tensors.get(name)
    if out is not None and spec.value is not None and isinstance(out.node.op, Constant) and out.node.name == name:
        return []  # a model input the frontend froze (make_input)
    if out is not None:
        return [Cut(spec, out, None, name, set(out.names) | {name})]
    if name in names.nodes:
        ports = names.node_inputs(name)
        dynamic = [(k, x, uses) for k, (x, uses) in enumerate(ports) if not _is_constant(x)]
        if not dynamic:
            raise OptionError(option, name, "a node with an input that is not a constant",
                              reason=f"every input of node '{name}' is a constant, so there is nothing to cut")
        if len(dynamic) > 1 and (spec.shape is not None or spec.value is not None):
            raise OptionError(option, str(spec), f"K:{name}, the input port K to give the shape or value to",
                              reason=f"Node {name} has more than 1 input and input shapes were provided")
        if len(dynamic) == 1:
            k, x, uses = dynamic[0]
            return [Cut(spec, x, uses, name, {name})]
        return [Cut(spec, x, uses, f"{name}/placeholder_port_{k}", {f"{k}:{name}"}) for k, x, uses in dynamic]
    port = _port_form(name)
    if port is None or port[0] not in names.nodes:
        return None
    node, k, is_input = port
    if is_input:
        ports = names.node_inputs(node)
        if k >= len(ports):
            raise _port_error(option, name, node, len(ports), "input")
        x, uses = ports[k]
        return [Cut(spec, x, uses, name, {name})]
    outs = names.node_outputs(node)
    if k >= len(outs):
        raise _port_error(option, name, node, len(outs), "output")
    return [Cut(spec, outs[k], None, name, set(outs[k].names) | {name})]


def make_cut(graph: Graph, cut: Cut, options: ConversionOptions) -> Node:
    """Feed the cut's consumers from a new Parameter (or a Constant for a frozen value); returns that node."""
    spec, source = cut.spec, cut.source
    if spec.value is not None:
        et = source.element_type if source.element_type.value != "dynamic" else (spec.element_type
                                                                                 or source.element_type)
        value = fit_value(spec.value, et, spec.shape or source.shape, "--input", str(spec))
        new = graph.constant(value, et, name=cut.name)
        feed = new
    else:
        shape = spec.shape if spec.shape is not None else source.shape
        if spec.shape is not None and source.shape.rank is not None and shape.rank != source.shape.rank:
            raise OptionError("--input", str(spec), f"a shape of rank {source.shape.rank} (the tensor there has "
                              f"shape [{source.shape}])")
        if options.batch is not None:
            shape = _with_batch(shape, options, cut.name)
        et = spec.element_type or source.element_type
        new = graph.parameter(cut.name, et, shape, Origin("", cut.name, "cut"))
        feed = new
        if et != source.element_type and source.element_type.value != "dynamic":
            feed = graph.out(ops.Convert(source.element_type), new, name=f"{cut.name}/to_{source.element_type.value}")
    new.names |= cut.names
    uses = list(source.uses) if cut.uses is None else cut.uses
    for use in uses:
        graph.set_input(use.node, use.index, feed)
    if cut.uses is None:
        source.names -= cut.names
    return new.node


def _with_batch(shape: PartialShape, options: ConversionOptions, name: str) -> PartialShape:
    layout = next((s.source for s in options.layouts if s.name == name and s.source is not None), None)
    axis = 0 if layout is None or shape.rank is None else layout.index("N", shape.rank)
    if shape.rank in (None, 0) or axis is None:
        raise OptionError("--batch", options.batch, "inputs whose batch dim is known",
                          reason=f"input '{name}' has shape [{shape}]" + (f" and layout {layout}" if layout else ""))
    dims = list(shape.dims)  # type: ignore[arg-type]
    dims[axis] = options.batch  # type: ignore[assignment]
    return PartialShape(dims)


# -- outputs ----------------------------------------------------------------------------------------------------------
def resolve_output(names: GraphNames, name: str) -> list[tuple[Output, str]] | None:
    """The tensors one --output item names, with the name each new Result takes; None when unknown."""
    if name in names.tensors:
        return [(names.tensors[name], name)]
    if name in names.nodes:
        outs = names.node_outputs(name)
        if len(outs) == 1:
            return [(outs[0], name)]
        return [(o, sorted(o.names)[0] if o.names else f"{name}:{k}") for k, o in enumerate(outs)]
    port = _port_form(name)
    if port is None or port[0] not in names.nodes:
        return None
    node, k, is_input = port
    if is_input:
        ports = names.node_inputs(node)
        if k >= len(ports):
            raise _port_error("--output", name, node, len(ports), "input")
        return [(ports[k][0], name)]
    outs = names.node_outputs(node)
    if k >= len(outs):
        raise _port_error("--output", name, node, len(outs), "output")
    return [(outs[k], name)]


def _unknown(names: GraphNames, option: str, unknown: list[str]) -> OptionError:
    listed = ", ".join(repr(u) for u in unknown)
    return OptionError(option, ",".join(unknown), f"{NAME_FORMS}; the model's inputs are: {names.inputs_text()}"
                       + names.suggest(unknown[0]), reason=f"the model has nothing called {listed}")


# -- the pass ---------------------------------------------------------------------------------------------------------
def cut_graph(graph: Graph, options: ConversionOptions) -> int:
    """Make the --output Results and the --input cuts, drop what no output needs, order the inputs as --input
    lists them. Returns the number of new inputs and outputs."""
    names = GraphNames(graph)
    _check_positional_shapes(graph, options)
    changes = 0
    if options.output:
        wanted, unknown = [], []
        for name in options.output:
            found = resolve_output(names, name)
            if found is None:
                unknown.append(name)
            else:
                wanted.extend(found)
        if unknown:
            raise _unknown(names, "--output", unknown)
        old = list(graph.results)
        new = []
        for out, name in wanted:
            out.names.add(name)
            new.append((graph.result(out, name=name), name))
        for result in old:
            graph.remove(result)
        for result, name in new:  # the names the replaced Results had are free now
            result.name = name
        changes += len(wanted)
    cuts: list[Cut] = []
    unknown_by_option: dict[str, list[str]] = {}
    for spec in options.inputs:
        option = "--input" if spec.listed else "--freeze_placeholder_with_value"
        found = resolve_input(names, spec, option)
        if found is None:
            unknown_by_option.setdefault(option, []).append(spec.name)
        else:
            cuts.extend(found)
    for option, unknown in unknown_by_option.items():
        raise _unknown(names, option, unknown)
    made = {id(cut): make_cut(graph, cut, options) for cut in cuts}
    changes += len(cuts)
    if cuts:
        graph.reinfer()
    if cuts or options.output:
        graph.remove_dead_nodes()
        _drop_unused_parameters(graph, options)
        for cut in cuts:  # a cut input takes its intended name once the node it replaces is gone
            node = made[id(cut)]
            if node.name != cut.name and not any(n.name == cut.name for n in graph.nodes):
                node.name = cut.name
    _order_parameters(graph, options)
    return changes


def _check_positional_shapes(graph: Graph, options: ConversionOptions) -> None:
    """--input_shape without --input names gives the model inputs' shapes in order: one shape per input."""
    count = len(graph.parameters)
    if options.input_shape and len(options.input_shape) != count:
        shapes = ",".join(f"[{s}]" for s in options.input_shape)
        inputs = ", ".join(p.name for p in graph.parameters)
        raise OptionError("--input_shape", shapes, f"one shape per model input, in order ({count}: {inputs}), "
                          "or --input to name the inputs the shapes are for")


def _drop_unused_parameters(graph: Graph, options: ConversionOptions) -> None:
    """After a cut, model inputs that feed nothing any more go away, unless --input lists them."""
    listed = {s.name for s in options.input}
    for p in list(graph.parameters):
        if p.outputs[0].uses or p.name in listed or p.outputs[0].names & listed:
            continue
        graph.remove(p)


def _order_parameters(graph: Graph, options: ConversionOptions) -> None:
    """The inputs --input lists come first, in its order (as the legacy mo does); then the others as they were."""
    if not options.input:
        return
    rank: dict[int, int] = {}
    for i, spec in enumerate(options.input):
        for p in graph.parameters:
            names = p.outputs[0].names | {p.name, f"{p.name}:0"}
            if spec.name in names or any(n.startswith(f"{spec.name}/placeholder_port_") for n in (p.name,)):
                rank.setdefault(id(p), i)
    position = {id(p): k for k, p in enumerate(graph.parameters)}
    graph.parameters.sort(key=lambda p: (rank.get(id(p), len(options.input)), position[id(p)]))
