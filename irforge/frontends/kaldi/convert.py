"""Kaldi model file -> streaming IR graph: read, pick outputs, check every component is supported (one error
for all), time analysis, build, then the Kaldi options (--counts, --remove_output_softmax, --remove_memory)."""
from __future__ import annotations

import os

import numpy as np

from irforge import ops
from irforge.core.graph import Graph, Output
from irforge.errors import ConversionError, InputError, OptionError, UnsupportedOps
from irforge.frontends.base import overrides_from_options
from irforge.options import ConversionOptions

from . import table
from .layers import Layer, Softmax
from .network import ComponentNode, Descriptor, Network, NodeRef, splice
from .reader import read_network
from .streaming import StreamBuilder, node_dims
from .timing import analyse, needed_nodes, node_input
from .tokens import KaldiStream


def choose_outputs(net: Network, wanted: list[str]) -> dict[str, Descriptor]:
    """--output names (output nodes, or any node to cut the network there), else "output" (what nnet3-compute
    computes), else every output node."""
    if wanted:
        missing = [w for w in wanted if w not in net.outputs and w not in net.nodes]
        if missing:
            raise OptionError("--output", ",".join(missing), "output nodes of the model ("
                              + ", ".join(net.outputs) + ") or names of its nodes")
        return {w: net.outputs[w] if w in net.outputs else NodeRef(w) for w in wanted}
    if "output" in net.outputs:
        return {"output": net.outputs["output"]}
    return dict(net.outputs)


def _layer(net: Network, name: str, layers: dict[str, Layer]) -> Layer | None:
    node = net.nodes.get(name)
    return layers.get(name) if isinstance(node, ComponentNode) else None


def convert_network(net: Network, options: ConversionOptions) -> Graph:
    outputs = choose_outputs(net, options.output)

    def raw_input(n: str) -> Descriptor:
        return node_input(net, n)

    needed = needed_nodes(net, outputs, raw_input)
    _check_supported(net, needed)
    layers: dict[str, Layer] = {}
    for n in needed:
        node = net.nodes[n]
        if isinstance(node, ComponentNode):
            component = net.components[node.component]
            layers[n] = table.factory(net.kind, component.type)(component)  # type: ignore[misc]
    if options.remove_output_softmax:
        outputs = {o: _without_softmax(net, d, layers) for o, d in outputs.items()}
        needed = needed_nodes(net, outputs, raw_input)
    inputs: dict[str, Descriptor] = {}
    for n in needed:
        layer = layers.get(n)
        d = node_input(net, n)
        if layer is not None and layer.time_offsets:
            d = splice(d, layer.time_offsets, layer.optional_offsets)
        inputs[n] = d
    timing = analyse(net, inputs, outputs)
    dims = node_dims(net, needed, inputs, layers)

    graph = Graph(os.path.splitext(os.path.basename(net.path))[0] or "kaldi")
    builder = StreamBuilder(net, layers, timing, dims, graph, options.remove_memory)
    builder.build(needed, overrides_from_options(options), outputs)
    if options.counts is not None:
        _apply_counts(graph, _priors(net, options.counts))
    graph.rt_info["kaldi"] = {
        "format": net.kind,
        "left_context": timing.left_context,
        "right_context": timing.right_context,
        "output_delay": timing.output_delay[next(iter(outputs))],
        "frames_per_inference": builder.frames,
        "memories": "inputs_outputs" if options.remove_memory else "state",
    }
    return graph


def _check_supported(net: Network, needed: list[str]) -> None:
    missing = []
    for n in needed:
        node = net.nodes[n]
        if not isinstance(node, ComponentNode):
            continue
        stack = [net.components[node.component]]
        while stack:
            c = stack.pop()
            if table.factory(net.kind, c.type) is None:
                missing.append((c.type, c.name))
            if c.type == "CompositeComponent":
                stack.extend(c.nested)
    if missing:
        raise UnsupportedOps(f"Kaldi {net.kind}", missing)


def _without_softmax(net: Network, d: Descriptor, layers: dict[str, Layer]) -> Descriptor:
    """--remove_output_softmax: an output that is a Softmax/LogSoftmax component's value reads that
    component's input instead."""
    if isinstance(d, NodeRef) and isinstance(_layer(net, d.name, layers), Softmax):
        layer = layers[d.name]
        if not layer.time_offsets:
            return node_input(net, d.name)
    return d


def _priors(net: Network, counts: str) -> np.ndarray:
    """--counts FILE: class counts (a Kaldi vector, text or binary, or plain numbers) -> log priors, with the
    legacy converter's floor (counts below 1e-10 become 1e-10 and their prior a huge negative log value).
    --counts "" uses the priors stored in final.mdl."""
    if counts == "":
        if net.priors is None:
            raise OptionError("--counts", counts, "a counts file (this model stores no priors)")
        values = np.asarray(net.priors, np.float64)
    else:
        try:
            with open(counts, "rb") as f:
                data = f.read()
        except OSError as e:
            raise InputError(f"cannot read the counts file: {e.strerror}", path=counts) from None
        stream = KaldiStream(data, counts)
        if stream.binary:
            values = stream.read_vector().astype(np.float64)
        else:
            text = data.decode("latin-1").replace("[", " ").replace("]", " ")
            try:
                values = np.array(text.split(), dtype=np.float64)
            except ValueError:
                raise InputError("the counts file holds something that is not a number", path=counts) from None
    if values.size == 0:
        raise InputError("the counts file is empty", path=counts or net.path)
    cutoff = 1.00000001e-10
    low = values < cutoff
    values = np.where(low, cutoff, values)
    priors = np.log(values / values.sum())
    priors[low] += np.finfo(np.float32).max / 2
    return priors.astype(np.float32)


def _apply_counts(graph: Graph, priors: np.ndarray) -> None:
    """Subtract the log priors from the (first) output; before its softmax when it ends in one, as the legacy
    converter does."""
    result = graph.results[0]
    y: Output = result.inputs[0]
    dim = y.shape[1]
    if priors.size != dim:
        raise ConversionError(f"--counts has {priors.size} classes, the output has {dim}", node=result.name)
    shift = graph.constant(-priors.reshape(1, -1), name="counts/log_priors")
    softmax = y.node if isinstance(y.node.op, (ops.Softmax, ops.LogSoftmax)) else None
    target = softmax.inputs[0] if softmax is not None else y
    value = graph.out(ops.Add(), target, shift, name="counts/subtract")
    if softmax is not None:
        value = graph.out(softmax.op, value, name=f"{softmax.name}/after_counts")
    graph.set_input(result, 0, value)  # only the output changes; memories keep reading the original values
    value.names |= y.names
    y.names = set()


def load_network(options: ConversionOptions) -> Network:
    if not options.input_model:
        raise InputError("no --input_model given")
    if not os.path.exists(options.input_model):
        raise InputError("the model file does not exist", path=options.input_model)
    return read_network(options.input_model)
