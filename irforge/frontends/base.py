"""What all frontends share: the Frontend protocol, the translation context, input overrides from the options,
and the one-scan check that reports every unsupported op at once."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

import numpy as np

from irforge.core.element_type import ElementType
from irforge.core.graph import Graph, Node, Origin, Output
from irforge.core.op import Op
from irforge.core.shape import PartialShape
from irforge.errors import ConversionError, UnsupportedOps

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
    """What the user said about one model input: shape, element type, or a value that freezes it."""

    shape: PartialShape | None = None
    element_type: ElementType | None = None
    value: np.ndarray | None = None
    batch: int | None = None   # --batch: replaces the first dim of the input's (or the given) shape


@dataclass
class InputOverrides:
    """Overrides by input name (framework tensor name) or by position when the user gave only shapes."""

    by_name: dict[str, InputOverride] = field(default_factory=dict)
    by_position: list[InputOverride] = field(default_factory=list)
    batch: int | None = None
    used: set[str] = field(default_factory=set)

    def lookup(self, name: str, position: int, aliases: Iterable[str] = ()) -> InputOverride | None:
        found = None
        for key in (name, *aliases):
            if key in self.by_name:
                self.used.add(key)
                found = self.by_name[key]
                break
        if found is None and position < len(self.by_position):
            found = self.by_position[position]
        if self.batch is not None:
            found = InputOverride() if found is None else found
            found.batch = self.batch
        return found


def make_input(graph: Graph, name: str, element_type: ElementType, shape: PartialShape,
               override: InputOverride | None, origin: Origin | None = None) -> Output:
    """A model input as the frontend found it, with the user's overrides applied: a frozen value becomes a
    Constant that keeps the input's tensor name; otherwise a Parameter with the asked shape and type."""
    if override is not None:
        if override.value is not None:
            et = override.element_type or element_type
            value = np.asarray(override.value, dtype=et.numpy)
            if shape.rank is not None and value.ndim == 0 and shape.rank > 0 and shape.is_static:
                value = np.broadcast_to(value, shape.to_static()).copy()
            out = graph.constant(value, et, name=name)
            out.names.add(name)
            return out
        if override.shape is not None:
            if shape.rank is not None and override.shape.rank is not None and shape.rank != override.shape.rank \
                    and shape.rank > 0:
                raise ConversionError(f"the model's input has rank {shape.rank} [{shape}], the shape given has "
                                      f"rank {override.shape.rank} [{override.shape}]", node=name)
            shape = override.shape
        if override.element_type is not None:
            element_type = override.element_type
        if override.batch is not None:
            if shape.rank is None or shape.rank == 0:
                raise ConversionError(f"--batch {override.batch} needs an input of known rank >= 1, "
                                      f"got [{shape}]", node=name)
            shape = PartialShape((override.batch,) + tuple(shape.dims[1:]))  # type: ignore[index]
    return graph.parameter(name, element_type, shape, origin)


def overrides_from_options(options: ConversionOptions) -> InputOverrides:
    """--input (names with shapes, types, values), --input_shape (by position when no names are given),
    --freeze_placeholder_with_value and --batch, as overrides the frontends apply when they create inputs."""
    overrides = InputOverrides()
    for spec in options.input:
        if spec.port is not None:
            continue  # port forms name a cut inside the graph: the cut_graph pass handles them
        overrides.by_name[spec.name] = InputOverride(spec.shape, spec.element_type, spec.value)
    named = [s for s in options.input if s.port is None]
    if options.input_shape:
        if named and len(options.input_shape) != len(named):
            from irforge.errors import OptionError
            raise OptionError("--input_shape", ",".join(f"[{s}]" for s in options.input_shape),
                              f"one shape per --input name ({len(named)} names given)")
        if named:
            for spec, shape in zip(named, options.input_shape):
                overrides.by_name[spec.name].shape = shape
        else:
            overrides.by_position = [InputOverride(shape) for shape in options.input_shape]
    for name, value in options.freeze_placeholder_with_value.items():
        overrides.by_name.setdefault(name, InputOverride()).value = value
    overrides.batch = options.batch
    return overrides


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

    def const(self, value, element_type: ElementType | None = None, name: str = "") -> Output:
        return self.graph.constant(value, element_type, name=name or f"{self.origin.source_name}/const")

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
