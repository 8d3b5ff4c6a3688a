"""Embedded preprocessing and layouts (--layout / --source_layout / --target_layout, --reverse_input_channels,
--mean_values, --scale_values, --scale), inserted after each model input in the legacy order:

    Parameter -> Transpose (target layout -> source layout) -> reverse channels -> subtract mean
              -> divide by scale -> the model

The source layout is the model's own; a different target layout gives the Parameter the target layout's shape
and a Transpose back. Per-channel values go along the C of the source layout, or, with no layout, along the only
dim that can be the channels (NCHW/NHWC positions) and has as many elements as values were given. The steps run
in the model's float type: when the model converts an integer input (or the user asked for one with --input
x{u8}), they go after that Convert.
"""
from __future__ import annotations

import logging

import numpy as np

from irforge import ops
from irforge.core.graph import Graph, Node, Output, Parameter
from irforge.core.layout import Layout, transpose_order
from irforge.core.shape import PartialShape
from irforge.errors import OptionError
from irforge.option_values import ChannelValues, LayoutSpec
from irforge.options import ConversionOptions

log = logging.getLogger("irforge")

# The rt_info mark OpenVINO uses for constants that fp16 compression must leave alone.
KEEP_PRECISION = "disable_fp16_compression"

# Where the channels may be, by rank, when no layout names C: CHW/HWC, NCHW/NHWC, NCDHW/NDHWC (and [N,C]).
CHANNEL_CANDIDATES = {2: (1,), 3: (0, 2), 4: (1, 3), 5: (1, 4)}


class Inputs:
    """The model inputs by every name a user may call them: layer name, tensor names, framework name."""

    def __init__(self, graph: Graph, options: ConversionOptions):
        self.graph = graph
        self.options = options

    def names_of(self, p: Node) -> set[str]:
        names = {p.name, f"{p.name}:0"} | p.outputs[0].names
        if p.origin is not None and p.origin.source_name:
            names.add(p.origin.source_name)
        return names

    def find(self, name: str) -> Node | None:
        return next((p for p in self.graph.parameters if name in self.names_of(p)), None)

    def text(self) -> str:
        return ", ".join(sorted(p.outputs[0].names)[0] if p.outputs[0].names else p.name
                         for p in self.graph.parameters) or "none"

    def by_position(self, count: int, option: str, shown: str) -> list[Node]:
        """The inputs unnamed items apply to: those --input names, in its order, else the model's inputs."""
        listed = [self.find(s.name) for s in self.options.input]
        targets = [p for p in listed if p is not None] if self.options.input else list(self.graph.parameters)
        if count != len(targets):
            where = "--input names" if self.options.input else "model inputs"
            raise OptionError(option, shown, f"one item per input ({len(targets)} {where}: "
                              f"{', '.join(p.name for p in targets)}), or name them: name[...]",
                              reason=f"{count} item(s) given without names")
        return targets

    def assign(self, items: list, option: str) -> dict[int, object]:
        """id(Parameter) -> item, for items with `.name` (None = by position)."""
        out: dict[int, object] = {}
        unnamed = [i for i in items if i.name is None]
        shown = ",".join(str(i) for i in items)
        for item in items:
            if item.name is None:
                continue
            p = self.find(item.name)
            if p is None:
                raise OptionError(option, shown, f"names of model inputs ({self.text()})",
                                  reason=f"the model has no input called '{item.name}'")
            out[id(p)] = item
        if unnamed:
            for p, item in zip(self.by_position(len(unnamed), option, shown), unnamed):
                out[id(p)] = item
        return out


def apply_input_params(graph: Graph, options: ConversionOptions) -> int:
    """Insert the layout transposes and the preprocessing steps. Returns the number of steps inserted."""
    inputs = Inputs(graph, options)
    layouts, output_layouts = _split_layouts(graph, inputs, options.layouts)
    steps = 0
    reversible = []
    for p in list(graph.parameters):
        spec = layouts.get(id(p))
        if spec is not None:
            p, moved = _apply_layout(graph, p, spec)
            steps += moved
            layouts[id(p)] = spec
        reversible.append(p)
    steps += _apply_output_layouts(graph, output_layouts)
    means = inputs.assign(options.mean_values, "--mean_values")  # after the layouts replaced Parameters
    scales = inputs.assign(options.scale_values, "--scale_values")
    # Each step goes after the previous one of its input: `tails` is where the next one goes.
    tails = {id(p): _model_side(p) for p in graph.parameters}
    if options.reverse_input_channels:
        steps += _reverse_channels(graph, reversible, layouts, tails)
    for p in list(graph.parameters):
        source = layouts[id(p)].source if id(p) in layouts else None
        mean = means.get(id(p))
        scale = scales.get(id(p))
        if mean is None and scale is None and options.scale is None:
            continue
        if mean is not None:
            tails[id(p)] = _per_channel(graph, p, tails[id(p)], mean, source, "--mean_values", ops.Subtract)
            steps += 1
        if scale is not None:
            tails[id(p)] = _per_channel(graph, p, tails[id(p)], scale, source, "--scale_values", ops.Divide)
            steps += 1
        elif options.scale is not None and not _is_cut(p):
            if tails[id(p)].element_type.is_float:
                item = ChannelValues(None, (options.scale,))
                tails[id(p)] = _per_channel(graph, p, tails[id(p)], item, source, "--scale", ops.Divide)
                steps += 1
            else:
                log.info("--scale is not applied to input '%s': it is %s, not a float", p.name,
                         tails[id(p)].element_type.value)
    return steps


def require_static_inputs(graph: Graph, options: ConversionOptions) -> int:
    """--static_shape: every input shape must be static after the overrides."""
    dynamic = [p for p in graph.parameters if not p.outputs[0].shape.is_static]
    if dynamic:
        shown = ", ".join(f"{p.name}[{p.outputs[0].shape}]" for p in dynamic)
        raise OptionError("--static_shape", True, "static shapes for every input: give them with --input_shape or "
                          "--input name[1,3,224,224]", reason=f"dynamic input shapes: {shown}")
    return 0


# -- layouts ----------------------------------------------------------------------------------------------------------
def _split_layouts(graph: Graph, inputs: Inputs, specs: list[LayoutSpec]
                   ) -> tuple[dict[int, LayoutSpec], list[tuple[Node, LayoutSpec]]]:
    """Layouts of inputs by id(Parameter), and of outputs as (Result, spec)."""
    named = [s for s in specs if s.name is not None]
    unnamed = [s for s in specs if s.name is None]
    by_input: dict[int, LayoutSpec] = {}
    by_output: list[tuple[Node, LayoutSpec]] = []
    for spec in named:
        p = inputs.find(spec.name)  # type: ignore[arg-type]
        if p is not None:
            by_input[id(p)] = spec
            continue
        result = next((r for r in graph.results if spec.name in {r.name} | r.inputs[0].names), None)
        if result is None:
            outputs = ", ".join(r.name for r in graph.results)
            raise OptionError("--layout", spec.name, f"names of model inputs ({inputs.text()}) or outputs "
                              f"({outputs})", reason=f"the model has no input or output called '{spec.name}'")
        by_output.append((result, spec))
    if unnamed:
        shown = ",".join(str(s.source or s.target) for s in unnamed)
        for p, spec in zip(inputs.by_position(len(unnamed), "--layout", shown), unnamed):
            by_input[id(p)] = spec
    return by_input, by_output


def _check_fits(layout: Layout | None, shape: PartialShape, name: str) -> None:
    if layout is not None and shape.rank is not None and not layout.fits(shape.rank):
        raise OptionError("--layout", str(layout), f"a layout of rank {shape.rank} for '{name}' (shape [{shape}])")


def _apply_layout(graph: Graph, p: Node, spec: LayoutSpec) -> tuple[Node, int]:
    """Record the input's layout; a target layout other than the source one makes the Parameter take the
    target layout's shape, with a Transpose back to the model's layout."""
    x = p.outputs[0]
    _check_fits(spec.source, x.shape, p.name)
    _check_fits(spec.target, x.shape, p.name)
    shown = spec.target or spec.source
    if spec.target is None or spec.source is None or spec.target == spec.source:
        x.rt_info["layout"] = {"layout": str(shown)}
        return p, 0
    if x.shape.rank is None:
        raise OptionError("--layout", f"{spec.source}->{spec.target}", "an input of known rank",
                          reason=f"input '{p.name}' has a dynamic rank")
    rank = x.shape.rank
    try:
        order = transpose_order(spec.source, spec.target, rank)
    except ValueError as e:
        raise OptionError("--layout", f"{p.name}({spec.source}->{spec.target})", "two layouts naming the same "
                          "dims, e.g. nhwc->nchw", reason=str(e)) from None
    back = [order.index(i) for i in range(rank)]
    new = _replace_parameter(graph, p, PartialShape([x.shape[i] for i in order]))
    new.outputs[0].rt_info["layout"] = {"layout": str(spec.target)}
    name = f"{new.name}/to_{''.join(spec.source.expand(rank)).lower()}"
    order_const = graph.constant(np.array(back, np.int64), name=f"{name}/order")
    _insert_after(graph, new.outputs[0], lambda y: graph.out(ops.Transpose(), y, order_const, name=name))
    return new, 1


def _replace_parameter(graph: Graph, old: Node, shape: PartialShape) -> Node:
    """A Parameter of another shape in the same place of the input list, with the same names."""
    op = old.op
    assert isinstance(op, Parameter)
    position = graph.parameters.index(old)
    out = graph.parameter(old.name, op.element_type, shape, old.origin)
    new = out.node
    out.names |= old.outputs[0].names
    graph.replace_uses(old.outputs[0], out)
    graph.remove(old)
    graph.parameters.remove(new)
    graph.parameters.insert(position, new)
    new.name = old.name
    return new


def _apply_output_layouts(graph: Graph, specs: list[tuple[Node, LayoutSpec]]) -> int:
    """An output whose target layout differs from its source layout gets a Transpose before its Result."""
    steps = 0
    for result, spec in specs:
        x = result.inputs[0]
        if spec.source is None or spec.target is None or spec.source == spec.target:
            continue
        if x.shape.rank is None:
            raise OptionError("--layout", result.name, "an output of known rank")
        try:
            order = transpose_order(spec.source, spec.target, x.shape.rank)
        except ValueError as e:
            raise OptionError("--layout", f"{result.name}({spec.source}->{spec.target})", "two layouts naming "
                              "the same dims, e.g. nchw->nhwc", reason=str(e)) from None
        order_const = graph.constant(np.array(order, np.int64), name=f"{result.name}/transpose/order")
        y = graph.out(ops.Transpose(), x, order_const, name=f"{result.name}/transpose")
        graph.set_input(result, 0, y)
        y.names |= x.names
        x.names = set()
        steps += 1
    return steps


# -- preprocessing ----------------------------------------------------------------------------------------------------
def _is_cut(p: Node) -> bool:
    return p.origin is not None and p.origin.op_type == "cut"


def _model_side(p: Node) -> Output:
    """Where preprocessing goes: after the layout Transpose, and after a Convert of an integer input to float."""
    x = p.outputs[0]
    while len(x.uses) == 1 and (
            (isinstance(x.uses[0].node.op, ops.Transpose) and x.uses[0].node.name.startswith(f"{p.name}/to_"))
            or (isinstance(x.uses[0].node.op, ops.Convert) and not x.element_type.is_float
                and x.uses[0].node.op.destination_type.is_float)):
        x = x.uses[0].node.outputs[0]
    return x


def _insert_after(graph: Graph, x: Output, build) -> Output:
    """Every consumer of x reads build(x) instead."""
    uses = list(x.uses)
    y = build(x)
    for use in uses:
        graph.set_input(use.node, use.index, y)
    return y


def channel_axis(shape: PartialShape, layout: Layout | None, count: int, name: str, option: str, shown: str,
                 ranks: dict[int, tuple[int, ...]] = CHANNEL_CANDIDATES) -> int:
    """The channels dim for `count` per-channel values: the layout's C, or the only candidate dim of that size."""
    if shape.rank is None:
        raise OptionError(option, shown, f"a --layout with C for input '{name}'", reason="its rank is dynamic")
    if layout is not None and layout.index("C", shape.rank) is not None:
        axis = layout.index("C", shape.rank)
        dim = shape[axis]  # type: ignore[index]
        if isinstance(dim, int) and dim != count:
            raise OptionError(option, shown, f"{dim} value(s): input '{name}' has {dim} channels (dim {axis} of "
                              f"[{shape}], layout {layout})", reason=f"{count} value(s) given")
        return axis  # type: ignore[return-value]
    found = [a for a in ranks.get(shape.rank, ()) if shape[a] == count]
    if len(found) == 1:
        return found[0]
    candidates = [f"dim {a} = {shape[a]}" for a in ranks.get(shape.rank, ())]
    reason = (f"input '{name}' [{shape}] has two possible channel dims of size {count}" if found else
              f"input '{name}' [{shape}] has no channel dim of size {count} ({', '.join(candidates) or 'none'})")
    raise OptionError(option, shown, f"as many values as '{name}' has channels, or --layout {name}(nchw) to say "
                      "which dim holds them", reason=reason)


def _per_channel(graph: Graph, p: Node, x: Output, item: ChannelValues, layout: Layout | None, option: str,
                 op_class) -> Output:
    """x - mean or x / scale, with the values along the channels dim (one value: every element)."""
    shown = f"{p.name}[{','.join(f'{v:g}' for v in item.values)}]" if option != "--scale" else f"{item.values[0]:g}"
    if not x.element_type.is_float:
        raise OptionError(option, shown, f"a float input; '{p.name}' is {x.element_type.value}")
    values = np.asarray(item.values, dtype=x.element_type.numpy)
    if values.size > 1:
        axis = channel_axis(x.shape, layout, values.size, p.name, option, shown)
        shape = [1] * x.shape.rank  # type: ignore[operator]
        shape[axis] = values.size
        values = values.reshape(shape)
    else:
        values = values.reshape(())
    what = "mean" if op_class is ops.Subtract else "scale"
    const = graph.constant(values, x.element_type, name=f"{p.name}/{what}_values")
    const.node.rt_info[KEEP_PRECISION] = ""  # exact user values; a few bytes, nothing to gain from f16
    return _insert_after(graph, x, lambda y: graph.out(op_class(), y, const, name=f"{p.name}/{what}"))


def _reverse_channels(graph: Graph, params: list[Node], layouts: dict[int, LayoutSpec],
                      tails: dict[int, Output]) -> int:
    """RGB <-> BGR on every input with 3 channels (C from its layout, else the only NCHW/NHWC candidate)."""
    suitable = []
    for p in params:
        x = tails[id(p)]
        spec = layouts.get(id(p))
        layout = spec.source if spec is not None else None
        if x.shape.rank is None:
            continue
        if layout is not None and layout.index("C", x.shape.rank) is not None:
            axis = layout.index("C", x.shape.rank)
            if x.shape[axis] == 3 or not isinstance(x.shape[axis], int):  # type: ignore[index]
                suitable.append((p, axis))
            continue
        found = [a for a in CHANNEL_CANDIDATES.get(x.shape.rank, ()) if x.shape.rank >= 3 and x.shape[a] == 3]
        if len(found) == 1:
            suitable.append((p, found[0]))
    if not suitable:
        shown = ", ".join(f"{p.name}[{p.outputs[0].shape}]" for p in params)
        raise OptionError("--reverse_input_channels", True, "an input with 3 channels (NCHW or NHWC, or a --layout "
                          "with C)", reason=f"no input has them: {shown}")
    chosen = {id(p) for p, _ in suitable}
    if len(suitable) < len(params):
        log.warning("--reverse_input_channels is applied to %s only; not to %s (no 3 channels found)",
                    ", ".join(p.name for p, _ in suitable), ", ".join(p.name for p in params if id(p) not in chosen))
    for p, axis in suitable:
        order = graph.constant(np.array([2, 1, 0], np.int64), name=f"{p.name}/reverse_channels/order")
        where = graph.constant(np.array(axis, np.int64), name=f"{p.name}/reverse_channels/axis")
        tails[id(p)] = _insert_after(graph, tails[id(p)], lambda y, p=p, order=order, where=where: graph.out(
            ops.Gather(), y, order, where, name=f"{p.name}/reverse_channels"))
    return len(suitable)
