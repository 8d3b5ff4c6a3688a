"""The graph core: nodes, typed output ports with use lists, and the edit verbs that keep them consistent."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, TypeVar

import numpy as np

from irforge.errors import ShapeError

from .element_type import ElementType
from .op import KNOWN_VALUE_LIMIT, Op, TensorInfo, infer_with_values
from .shape import PartialShape
from .tensor import STREAMED, DeferredValue, FileSlice, ScaledWeights, storage_nbytes, unpack


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a node came from, for error messages and for extensions that match framework names."""

    framework: str = ""
    source_name: str = ""
    op_type: str = ""
    file: str | None = None
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class Use:
    """One consumer of an output: `node` reads it as its input number `index`."""

    node: Node
    index: int


@dataclass(slots=True, eq=False)
class Output:
    """An output port: produced by `node` as its output number `index`."""

    node: Node
    index: int
    info: TensorInfo
    names: set[str] = field(default_factory=set)  # framework tensor names; the IR port `names`
    uses: list[Use] = field(default_factory=list)
    # Port <rt_info> attributes: name -> extra XML attributes, e.g. {"layout": {"layout": "[N,C,H,W]"}}.
    rt_info: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def element_type(self) -> ElementType:
        return self.info.element_type

    @property
    def shape(self) -> PartialShape:
        return self.info.shape

    @property
    def value(self) -> np.ndarray | None:
        """The value when known at conversion time and small (see KNOWN_VALUE_LIMIT)."""
        return self.info.value

    def __repr__(self) -> str:
        return f"{self.node.name}:{self.index}{self.info!r}"


@dataclass(slots=True, eq=False)
class Node:
    op: Op
    inputs: list[Output]
    outputs: list[Output]
    name: str
    origin: Origin | None = None
    rt_info: dict[str, str] = field(default_factory=dict)  # IR layer <rt_info> attributes, e.g. decompression

    @property
    def output(self) -> Output:
        """The only output (most ops have one)."""
        return self.outputs[0]

    def __repr__(self) -> str:
        return f"<{self.op.TYPE} '{self.name}'>"


# Structural ops: every graph has them, so they live in the core (ops/ re-exports them).
@dataclass(frozen=True)
class Parameter(Op):
    """A model input."""

    TYPE = "Parameter"
    FOLDABLE = False
    element_type: ElementType = ElementType.f32
    shape: PartialShape = field(default_factory=lambda: PartialShape(None))

    def infer(self) -> list[TensorInfo]:
        return [TensorInfo(self.element_type, self.shape)]


@dataclass(frozen=True, eq=False)
class Constant(Op):
    """A constant tensor. `data` is a numpy array, a FileSlice holding the IR byte layout, or a value computed
    when read (ScaledWeights: weights times a factor; DeferredValue: a deferred fold)."""

    TYPE = "Const"
    element_type: ElementType = ElementType.f32
    shape: tuple[int, ...] = ()
    data: np.ndarray | FileSlice | ScaledWeights | DeferredValue = field(  # type: ignore[assignment]
        default=None, metadata={"ir": False})

    def array(self) -> np.ndarray:
        if isinstance(self.data, FileSlice):
            return unpack(self.data.buffer(), self.element_type, self.shape)
        if isinstance(self.data, (ScaledWeights, DeferredValue)):
            return self.data.array()
        return self.data

    @property
    def nbytes(self) -> int:
        if isinstance(self.data, STREAMED):
            return self.data.nbytes
        if self.element_type == ElementType.string:
            return sum(len(str(s).encode()) + 4 for s in self.data.reshape(-1)) + 8
        return storage_nbytes(self.element_type, int(np.prod(self.shape, dtype=np.int64)))

    def infer(self) -> list[TensorInfo]:
        count = int(np.prod(self.shape, dtype=np.int64))
        value = self.array() if count <= KNOWN_VALUE_LIMIT else None
        return [TensorInfo(self.element_type, PartialShape(self.shape), value)]

    def evaluate(self) -> list[np.ndarray]:
        return [self.array()]


@dataclass(frozen=True)
class Result(Op):
    """A model output."""

    TYPE = "Result"
    FOLDABLE = False

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        return []


OpT = TypeVar("OpT", bound=Op)


class Graph:
    """A model: Parameters in input order, Results in output order, and every node in insertion order.

    All edits go through add / set_input / replace_uses / remove, which keep the use lists right.
    """

    def __init__(self, name: str = "model"):
        self.name = name
        self.parameters: list[Node] = []
        self.results: list[Node] = []
        self.sinks: list[Node] = []          # nodes kept alive without a Result (Assign)
        self.nodes: dict[Node, None] = {}    # an insertion-ordered set
        self.rt_info: dict[str, object] = {}  # written into the IR's net-level <rt_info>
        self._names: dict[str, int] = {}

    # -- building ----------------------------------------------------------------------------------------------
    def add(self, op: Op, *inputs: Output, name: str = "", origin: Origin | None = None) -> Node:
        """Add a node; its output types and shapes are inferred now, so callers can read them at once."""
        for i, x in enumerate(inputs):
            if not isinstance(x, Output):
                raise TypeError(f"{op.TYPE} input {i} is {type(x).__name__}, not an Output")
        infos = _infer(op, list(inputs), name or (origin.source_name if origin else ""))
        node = Node(op, list(inputs), [], self.unique_name(name or op.TYPE), origin)
        node.outputs = [Output(node, i, info) for i, info in enumerate(infos)]
        for i, x in enumerate(inputs):
            x.uses.append(Use(node, i))
        self.nodes[node] = None
        return node

    def out(self, op: Op, *inputs: Output, name: str = "", origin: Origin | None = None) -> Output:
        """Add a single-output node and return that output."""
        return self.add(op, *inputs, name=name, origin=origin).outputs[0]

    def constant(self, value: np.ndarray | float | int | list, element_type: ElementType | None = None,
                 name: str = "") -> Output:
        array = np.asarray(value)
        if element_type is None:
            element_type = ElementType.from_numpy(array.dtype)
            if array.dtype == np.float64 and not isinstance(value, np.ndarray):
                element_type = ElementType.f32  # Python floats are f32 constants, as frameworks mean them
        array = np.asarray(array, dtype=element_type.numpy, order="C")  # (ascontiguousarray makes scalars 1-D)
        return self.out(Constant(element_type, tuple(array.shape), array), name=name or "Constant")

    def constant_from_file(self, data: FileSlice | ScaledWeights | DeferredValue, element_type: ElementType,
                           shape: tuple[int, ...], name: str = "") -> Output:
        """A constant whose values are read when needed (a byte range of a file, or weights scaled lazily)."""
        return self.out(Constant(element_type, tuple(shape), data), name=name or "Constant")

    def parameter(self, name: str, element_type: ElementType, shape: PartialShape,
                  origin: Origin | None = None) -> Output:
        node = self.add(Parameter(element_type, shape), name=name, origin=origin)
        node.outputs[0].names.add(name)
        self.parameters.append(node)
        return node.outputs[0]

    def result(self, x: Output, name: str = "") -> Node:
        node = self.add(Result(), x, name=name or (sorted(x.names)[0] if x.names else x.node.name))
        self.results.append(node)
        return node

    def add_sink(self, op: Op, *inputs: Output, name: str = "") -> Node:
        node = self.add(op, *inputs, name=name)
        self.sinks.append(node)
        return node

    def unique_name(self, base: str) -> str:
        """Framework names are kept as they are; generated ones get a counter so the IR stays readable."""
        count = self._names.get(base, 0)
        self._names[base] = count + 1
        return base if count == 0 else f"{base}_{count}"

    # -- editing -------------------------------------------------------------------------------------------------
    def set_input(self, node: Node, index: int, new: Output) -> None:
        old = node.inputs[index]
        old.uses.remove(Use(node, index))
        node.inputs[index] = new
        new.uses.append(Use(node, index))

    def replace_uses(self, old: Output, new: Output, keep_names: bool = True) -> None:
        """Every consumer of `old` reads `new` instead; the framework tensor names move to `new`."""
        if old is new:
            return
        for use in list(old.uses):
            self.set_input(use.node, use.index, new)
        if keep_names:
            new.names |= old.names
            old.names = set()

    def remove(self, node: Node) -> None:
        """Remove an unused node (its outputs must have no uses left)."""
        for out in node.outputs:
            if out.uses:
                raise ValueError(f"cannot remove {node}: output {out.index} is still used by {out.uses[0].node}")
        for i, x in enumerate(node.inputs):
            x.uses.remove(Use(node, i))
        del self.nodes[node]
        for group in (self.parameters, self.results, self.sinks):
            if node in group:
                group.remove(node)

    def copy(self) -> Graph:
        """A new graph with new nodes and ports over the same (immutable) ops and constant payloads."""
        new = Graph(self.name)
        new.rt_info = dict(self.rt_info)
        new._names = dict(self._names)
        mapping: dict[int, Node] = {}
        for node in list(self.nodes):
            mapping[id(node)] = Node(node.op, [], [], node.name, node.origin, dict(node.rt_info))
        for node in self.nodes:
            twin = mapping[id(node)]
            twin.outputs = [Output(twin, o.index, o.info, set(o.names), rt_info=dict(o.rt_info))
                            for o in node.outputs]
        for node in self.nodes:
            twin = mapping[id(node)]
            for i, x in enumerate(node.inputs):
                src = mapping[id(x.node)].outputs[x.index]
                twin.inputs.append(src)
                src.uses.append(Use(twin, i))
            new.nodes[twin] = None
        new.parameters = [mapping[id(n)] for n in self.parameters]
        new.results = [mapping[id(n)] for n in self.results]
        new.sinks = [mapping[id(n)] for n in self.sinks]
        return new

    # -- reading -------------------------------------------------------------------------------------------------
    def nodes_of(self, op_class: type[OpT]) -> list[Node]:
        """A snapshot, so callers may edit the graph while they iterate."""
        return [n for n in self.nodes if isinstance(n.op, op_class)]

    def topological(self) -> list[Node]:
        """Nodes that feed a Result or sink, producers first; Parameters first in input order, then document order.

        Deterministic: ties follow each node's input order, so the same graph always gives the same order.
        """
        order: list[Node] = []
        seen: set[int] = set()
        for p in self.parameters:
            seen.add(id(p))
            order.append(p)
        roots = list(self.results) + list(self.sinks)
        for root in roots:
            if id(root) in seen:
                continue
            stack: list[tuple[Node, Iterator[Output]]] = [(root, iter(root.inputs))]
            seen.add(id(root))
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    stack.pop()
                    order.append(node)
                    continue
                producer = nxt.node
                if id(producer) not in seen:
                    seen.add(id(producer))
                    stack.append((producer, iter(producer.inputs)))
        return order

    def remove_dead_nodes(self) -> int:
        """Drop every node that no Result or sink needs (Parameters stay: they are the model's inputs)."""
        live = {id(n) for n in self.topological()}
        dead = [n for n in self.nodes if id(n) not in live]
        if not dead:
            return 0
        # Live nodes read only live nodes, so dropping the dead users from every use list keeps them consistent.
        for node in self.nodes:
            for out in node.outputs:
                if any(id(u.node) not in live for u in out.uses):
                    out.uses = [u for u in out.uses if id(u.node) in live]
        for node in dead:
            del self.nodes[node]
        return len(dead)

    def reinfer(self) -> None:
        """Re-run inference over the graph in order (after a Parameter's shape or an input changed)."""
        for node in self.topological():
            infos = _infer(node.op, node.inputs, node.name)
            for out, info in zip(node.outputs, infos):
                out.info = info

    def inputs(self) -> list[Output]:
        return [p.outputs[0] for p in self.parameters]

    def outputs(self) -> list[Output]:
        return [r.inputs[0] for r in self.results]

    def constant_value(self, x: Output) -> np.ndarray | None:
        """The value of `x` if a Constant produces it (large weights included), else its small known value."""
        if isinstance(x.node.op, Constant):
            return x.node.op.array()
        return x.info.value

    def __iter__(self) -> Iterator[Node]:
        return iter(list(self.nodes))

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return f"<Graph '{self.name}': {len(self.parameters)} inputs, {len(self.results)} outputs, {len(self)} nodes>"


def _infer(op: Op, inputs: list[Output], where: str) -> list[TensorInfo]:
    """Inference with the node named in any error (an inference failure means the inputs do not fit the op)."""
    try:
        return infer_with_values(op, [x.info for x in inputs])
    except (ValueError, IndexError, TypeError, AssertionError, ZeroDivisionError) as e:
        raise ShapeError(f"{e} (inputs: {', '.join(repr(x.info) for x in inputs)})",
                         node=where, op_type=op.TYPE) from None
