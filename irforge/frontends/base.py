"""What all frontends share: the Frontend protocol, the translation context, input overrides from the options,
and the one-scan check that reports every unsupported op at once.

How a frontend honours the input flags (--input, --input_shape, --batch, --freeze_placeholder_with_value, types
in braces): it creates every model input, in model order, through make_input:

    overrides = overrides_from_options(options)
    for position, (name, element_type, shape) in enumerate(model_inputs):   # initializers/constants excluded
        out = make_input(graph, name, element_type, shape, overrides.lookup(name, position), origin)
        # `out` is what the model's nodes read: a Parameter, a Convert after it, or a frozen Constant

and passes progress_reporter(options) (None or a callback(done, total)) to its node loop for --progress. The
rest (cuts inside the graph, --output, layouts, mean/scale, fp16) is done by passes on the translated graph, which
find points by tensor names (Output.names) and framework node names (Node.origin.source_name): a frontend only
has to keep those, as NodeBuilder does.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Graph, Node, Origin, Output
from irforge.core.layout import Layout
from irforge.core.op import Op
from irforge.core.shape import PartialShape
from irforge.errors import ConversionError, OptionError, UnsupportedOps
from irforge.option_values import fit_value

if TYPE_CHECKING:
    from irforge.options import ConversionOptions


class Frontend(Protocol):
    """One source framework. `load` returns a graph of opset ops whose Parameters already carry the input
    shapes and types the user asked for."""

    name: str

    def accepts(self, options: ConversionOptions) -> bool:
        """True when the options' model files look like this framework's (used when --framework is absent)."""

    def load(self, options: ConversionOptions) -> Graph: ...


@dataclass
class InputOverride:
    """What the user said about one model input: shape, element type, a value that freezes it, a batch."""

    shape: PartialShape | None = None
    element_type: ElementType | None = None
    value: np.ndarray | None = None
    batch: int | None = None        # --batch: replaces the batch dim of the input's shape
    layout: Layout | None = None    # the input's source layout: its N is where --batch goes (else dim 0)
    option: str = "--input"         # the flag the shape came from, for error messages


@dataclass
class InputOverrides:
    """Overrides by input name, or by position when the user gave only shapes (--input_shape without --input)."""

    by_name: dict[str, InputOverride] = field(default_factory=dict)
    by_position: list[InputOverride] = field(default_factory=list)
    batch: int | None = None
    layouts: dict[str | None, Layout] = field(default_factory=dict)  # source layouts (None: an unnamed one)
    used: set[str] = field(default_factory=set)

    def lookup(self, name: str, position: int, aliases: Iterable[str] = ()) -> InputOverride | None:
        """The override for the model input `name` (the framework's input name), the `position`-th model input.
        `aliases` are other names the user may call it by (e.g. a TensorFlow tensor name "x:0"); "name:0"
        (output port 0 of the input) always works."""
        keys = (name, *aliases, f"{name}:0")
        found = None
        for key in keys:
            if key in self.by_name:
                self.used.add(key)
                found = self.by_name[key]
                break
        if found is None and position < len(self.by_position):
            found = self.by_position[position]
        if self.batch is not None:
            found = InputOverride() if found is None else found
            found.batch = self.batch
            found.layout = next((self.layouts[k] for k in keys if k in self.layouts), self.layouts.get(None))
        return found


def make_input(graph: Graph, name: str, element_type: ElementType, shape: PartialShape,
               override: InputOverride | None, origin: Origin | None = None) -> Output:
    """A model input as the frontend found it (`element_type`, `shape`), with the user's overrides applied:

    - a frozen value becomes a Constant of the model's element type, keeping the input's name;
    - a shape replaces the model's (same rank), --batch then sets the batch dim;
    - an element type different from the model's gives a Parameter of that type followed by a Convert to the
      model's type, so the translators always see the types the model was written for.

    Returns the Output the frontend should use for the input. Every frontend calls this for every model input,
    with `override = overrides.lookup(name, position)`."""
    if override is None:
        return graph.parameter(name, element_type, shape, origin)
    if override.value is not None:
        return _frozen_input(graph, name, element_type, shape, override)
    if override.shape is not None:
        if shape.rank not in (None, 0) and override.shape.rank is not None and shape.rank != override.shape.rank:
            shown = f"[{override.shape}]" if override.option == "--input_shape" else f"{name}[{override.shape}]"
            raise OptionError(override.option, shown, f"a shape of rank {shape.rank} for input '{name}', whose "
                              f"shape in the model is [{shape}]")
        shape = override.shape
    if override.batch is not None:
        if shape.rank in (None, 0):
            raise OptionError("--batch", override.batch, "inputs of known rank with a batch dim",
                              reason=f"input '{name}' has shape [{shape}]")
        layout = override.layout
        axis = 0 if layout is None or not layout.fits(shape.rank) else layout.index("N", shape.rank)
        if axis is None:
            raise OptionError("--batch", override.batch, "a layout with N for the batch dim, or no layout",
                              reason=f"the layout {layout} of input '{name}' has no N")
        dims = list(shape.dims)  # type: ignore[arg-type]
        dims[axis] = override.batch
        shape = PartialShape(dims)
    wanted = override.element_type or element_type
    param = graph.parameter(name, wanted, shape, origin)
    if wanted == element_type or element_type == ElementType.dynamic:
        return param
    return graph.out(ops.Convert(element_type), param, name=f"{name}/to_{element_type.value}")


def _frozen_input(graph: Graph, name: str, element_type: ElementType, shape: PartialShape,
                  override: InputOverride) -> Output:
    et = element_type if element_type != ElementType.dynamic else (
        override.element_type or ElementType.from_numpy(np.asarray(override.value).dtype))
    shown = f"{name}->{np.asarray(override.value).tolist()}"
    out = graph.constant(fit_value(override.value, et, shape, "--input", shown), et, name=name)
    out.names.add(name)
    return out


def overrides_from_options(options: ConversionOptions) -> InputOverrides:
    """--input (names with shapes, types, values), --input_shape (by position when no names are given),
    --freeze_placeholder_with_value and --batch (on the N of the input's layout, else dim 0), as the overrides
    a frontend applies when it creates the model inputs (see make_input). Items that name something inside the
    model are cuts: the cut_graph pass makes them after translation."""
    overrides = InputOverrides()
    for spec in options.inputs:
        overrides.by_name[spec.name] = InputOverride(spec.shape, spec.element_type, spec.value)
    overrides.by_position = [InputOverride(shape, option="--input_shape") for shape in options.input_shape]
    overrides.batch = options.batch
    overrides.layouts = {spec.name: spec.source for spec in options.layouts if spec.source is not None}
    return overrides


def progress_reporter(options: ConversionOptions, stream=None) -> Callable[[int, int], None] | None:
    """A callback(done, total) drawing a progress bar on stderr for --progress (one line, redrawn), or printing
    one line per 10% for --stream_output (for logs); None when neither is asked. Sub-graph bodies report their
    own counts: the bar follows the first (main) graph only."""
    if not (options.progress or options.stream_output) or options.silent:
        return None
    out = stream or sys.stderr
    state = {"total": None, "shown": -1}

    def report(done: int, total: int) -> None:
        if state["total"] is None:
            state["total"] = total
        if total != state["total"] or total <= 0:
            return
        percent = 100 * done // total
        step = 10 if options.stream_output else 1
        if percent // step == state["shown"] // step and done != total:
            return
        state["shown"] = percent
        bar = "=" * (percent // 5) + ">" * (percent < 100) + " " * (20 - percent // 5 - (percent < 100))
        line = f"[ PROGRESS ] [{bar}] {percent:3d}% ({done}/{total} nodes)"
        if options.stream_output:
            print(line, file=out, flush=True)
        else:
            print("\r" + line, end="\n" if done == total else "", file=out, flush=True)

    return report


Translator = Callable[..., list[Output]]


def report_unsupported(framework: str, nodes: Iterable[tuple[str, str]], supported: Callable[[str], bool]) -> None:
    """Raise one UnsupportedOps naming every (op type, node name) whose op type has no translator."""
    missing = [(op, name) for op, name in nodes if not supported(op)]
    if missing:
        raise UnsupportedOps(framework, missing)


class NodeBuilder:
    """Adds the IR nodes for one framework node: each gets the framework node's origin, a readable name, and the
    framework's name is moved onto whichever node produces the translated output."""

    def __init__(self, graph: Graph, origin: Origin):
        self.graph = graph
        self.origin = origin
        self.created: list[Node] = []

    def add(self, op: Op, *inputs: Output, name: str = "") -> Node:
        node = self.graph.add(op, *inputs, name=name or f"{self.origin.source_name}/{op.TYPE}", origin=self.origin)
        self.created.append(node)
        return node

    def out(self, op: Op, *inputs: Output, name: str = "") -> Output:
        return self.add(op, *inputs, name=name).outputs[0]

    def error(self, message: str) -> ConversionError:
        """An error naming this framework node (frontends add their op type and place)."""
        return ConversionError(message, node=self.origin.source_name)

    def const(self, value, element_type: ElementType | None = None, name: str = "") -> Output:
        out = self.graph.constant(value, element_type, name=name or f"{self.origin.source_name}/const")
        out.node.origin = self.origin  # part of this framework node (not one of its inputs) for --input node cuts
        return out

    def finish(self, outputs: list[Output], names: list[str]) -> None:
        """Give the framework's tensor names to the outputs, and the framework node name to the node that
        produces the first of them (when this translation created it)."""
        producers: list[Node] = []
        for out, tensor in zip(outputs, names):
            if out is None or not tensor:
                continue
            out.names.add(tensor)
            if out.node in self.created and out.node not in producers:
                producers.append(out.node)
        for i, node in enumerate(producers):
            node.name = self.origin.source_name if i == 0 else f"{self.origin.source_name}:{i}"


def channels_first(b: NodeBuilder, x: Output) -> Output:
    """NHWC -> NCHW (any spatial rank), for ops OpenVINO defines channels-first on channels-last models (TensorFlow,
    com.microsoft's channels_last ops); the sink_transposes pass folds the pairs this leaves between layers."""
    rank = x.shape.rank
    if rank is None:
        raise b.error("a channels-last input of unknown rank cannot be transposed to channels-first")
    return b.out(ops.Transpose(), x, b.const(np.array([0, rank - 1, *range(1, rank - 1)], np.int64)))


def channels_last(b: NodeBuilder, x: Output) -> Output:
    """NCHW -> NHWC: back to the model's own layout."""
    rank = x.shape.rank
    if rank is None:
        raise b.error("a channels-first output of unknown rank cannot be transposed back")
    return b.out(ops.Transpose(), x, b.const(np.array([0, *range(2, rank), 1], np.int64)))
