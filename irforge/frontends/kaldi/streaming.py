"""Kaldi network -> streaming IR: N frames per inference in, N frames out, time context in ReadValue/Assign
memories that start at zero (reset_state() starts a new utterance). See timing.py for when nodes compute.

Each node whose past some consumer reads keeps one history variable of L rows (its last L frames). A consumer
reading that node `lag` steps back takes rows of Concat(history, current) = [L + N, D]; when lag >= N it reads
the history alone, which is how recurrences (IfDefined(Offset(r, -k))) break the cycle. The new history is the
last L rows of the same Concat. One variable per node, written by one Assign: the OpenVINO CPU plugin computes
these windows right (the legacy converter's chains of per-offset memories are what it got wrong).
"""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Graph, Origin, Output
from irforge.core.shape import PartialShape
from irforge.errors import ConversionError
from irforge.frontends.base import InputOverrides, NodeBuilder, make_input

from .layers import Layer, columns, concat, i64
from .network import (Append, ComponentNode, Const, Descriptor, DimRangeNode, Failover, IfDefined, Network, NodeRef,
                      Offset, ReplaceIndex, Round, Scale, Sum, describe)
from .timing import NEVER, Timing, first_frame, refs

COUNTER_LIMIT = 2.0 ** 20   # the frame counter saturates here (exact in f32; far above any model context)


def descriptor_dim(d: Descriptor, dim_of) -> int:
    if isinstance(d, NodeRef):
        return dim_of(d.name)
    if isinstance(d, Const):
        return d.dim
    if isinstance(d, (Offset, IfDefined, Scale, ReplaceIndex, Round)):
        return descriptor_dim(d.inner, dim_of)
    if isinstance(d, Append):
        return sum(descriptor_dim(p, dim_of) for p in d.parts)
    parts = (d.first, d.second) if isinstance(d, Failover) else d.parts
    dims = {descriptor_dim(p, dim_of) for p in parts}
    if len(dims) != 1:
        raise ConversionError(f"the parts of {describe(d)} have different dims {sorted(dims)}")
    return dims.pop()


def node_dims(net: Network, names: list[str], inputs: dict[str, Descriptor], layers: dict[str, Layer]
              ) -> dict[str, int]:
    """Output dim of every needed node; checks each component's input dim against what it is given."""
    dims: dict[str, int] = {n: d for n, d in net.inputs.items() if d > 0}
    for name, d in net.inputs.items():
        if d <= 0:  # nnet2: the first component tells the input dim
            for n in names:
                if isinstance(net.nodes[n], ComponentNode) and net.nodes[n].input == NodeRef(name):
                    dims[name] = layers[n].input_dim or 0
                    break
            if dims.get(name, 0) <= 0:
                raise ConversionError("cannot tell the network's input dim", node=name)
    visiting: set[str] = set()

    def dim_of(name: str) -> int:
        if name in dims:
            return dims[name]
        node = net.nodes[name]
        if isinstance(node, DimRangeNode):
            dims[name] = node.dim
            return node.dim
        layer = layers[name]
        if name in visiting:  # a recurrence: the component must know its output dim by itself
            out = layer.output_dim(None)
            if out is None:
                raise ConversionError("cannot tell this recurrent node's dim", node=name)
            return out
        visiting.add(name)
        in_dim = descriptor_dim(inputs[name], dim_of)
        visiting.discard(name)
        dims[name] = layer.output_dim(in_dim)
        return dims[name]

    for name in names:
        dim_of(name)
        node = net.nodes[name]
        given = descriptor_dim(inputs[name], dim_of)
        if isinstance(node, ComponentNode):
            layer = layers[name]
            per_frame = descriptor_dim(node.input, dim_of)   # before the layer's own time offsets
            if layer.input_dim is not None and per_frame != layer.input_dim:
                component = net.components[node.component]
                raise component.error(f"takes input dim {layer.input_dim}, but node '{name}' gives it "
                                      f"{per_frame} ({describe(node.input)})")
        elif node.dim_offset < 0 or node.dim <= 0 or node.dim_offset + node.dim > given:
            raise ConversionError(f"dim-range [{node.dim_offset}, {node.dim_offset + node.dim}) does not fit "
                                  f"its input of dim {given}", node=name)
    return dims


class StreamBuilder:
    """Builds the IR of the needed nodes and the outputs, given the timing analysis."""

    def __init__(self, net: Network, layers: dict[str, Layer], timing: Timing, dims: dict[str, int],
                 graph: Graph, remove_memory: bool):
        self.net, self.layers, self.timing, self.dims, self.graph = net, layers, timing, dims, graph
        self.remove_memory = remove_memory
        self.frames = 0
        self.current: dict[str, Output] = {}
        self.histories: dict[str, Output] = {}
        self.windows: dict[str, Output] = {}
        self.counter: Output | None = None
        self.nb = NodeBuilder(graph, Origin("kaldi", "stream"))

    # -- the Builder protocol the layers use ------------------------------------------------------------------
    def out(self, op, *inputs: Output, name: str = "") -> Output:
        return self.nb.out(op, *inputs, name=name)

    def const(self, value, element_type=None, name: str = "") -> Output:
        return self.nb.const(value, element_type, name=name)

    # -- building ------------------------------------------------------------------------------------------------
    def build(self, names: list[str], overrides: InputOverrides, outputs: dict[str, Descriptor]) -> None:
        """Inputs, histories, the needed nodes (in an order where each node's same-inference inputs come
        first), the outputs, and the memory updates."""
        frozen: dict[str, Output] = {}
        for position, (name, dim) in enumerate(net_inputs(self.net, self.dims)):
            override = overrides.lookup(name, position)
            x = make_input(self.graph, name, ElementType.f32, PartialShape((1, dim)), override,
                           Origin("kaldi", name, "input-node", self.net.path))
            if not isinstance(x.node.op, ops.Parameter):  # --freeze_placeholder_with_value (an i-vector, say)
                frozen[name] = x
                continue
            frames = x.shape[0] if x.shape.rank == 2 else None
            if not isinstance(frames, int) or frames < 1 or x.shape[1] != dim:
                raise ConversionError(f"a Kaldi input is [frames, {dim}] with a fixed number of frames per "
                                      f"inference, got [{x.shape}]", node=name)
            if self.frames and frames != self.frames:
                raise ConversionError(f"all inputs need the same frames per inference ({self.frames}), "
                                      f"got {frames}", node=name)
            self.frames = frames
            self.current[name] = x
        self.frames = self.frames or 1
        for name, x in frozen.items():
            value = np.asarray(self.graph.constant_value(x), np.float32)
            dim = self.dims[name]
            if value.size == dim:
                value = np.tile(value.reshape(1, dim), (self.frames, 1))
            if value.shape != (self.frames, dim):
                raise ConversionError(f"a frozen Kaldi input needs {dim} values (one frame) or "
                                      f"[{self.frames}, {dim}], got {list(value.shape)}", node=name)
            self.current[name] = self.graph.constant(value, name=name)
        for name, rows in sorted(self.timing.history.items()):
            init = np.zeros((rows, self.dims[name]), np.float32)
            self.histories[name] = self._memory(f"{name}/history", init)
        for name in self._order(names):
            self._build_node(name)
        self.nb = NodeBuilder(self.graph, Origin("kaldi", "output"))
        for name, d in outputs.items():
            self._result(self.evaluate(d, self.timing.output_delay[name]), name)
        self._write_memories()

    def _order(self, names: list[str]) -> list[str]:
        """Depth-first order over the reads that need this inference's value (lag < frames)."""
        t = self.timing
        deps: dict[str, list[tuple[str, int]]] = {}
        for n in names:
            deps[n] = [(r.name, 0 if t.delay[n] == NEVER else t.lag(t.delay[n], r)) for r in refs(t.inputs[n])
                       if r.name in t.inputs]
            deps[n] = [(m, lag) for m, lag in deps[n] if lag < self.frames]
        order: list[str] = []
        state: dict[str, int] = {}
        for root in names:
            if root in state:
                continue
            stack = [(root, iter(deps[root]), 0)]
            state[root] = 1
            while stack:
                n, it, _ = stack[-1]
                m, lag = next(it, (None, 0))
                if m is None:
                    stack.pop()
                    state[n] = 2
                    order.append(n)
                elif state.get(m) == 1:
                    on_stack = [e[0] for e in stack]
                    cycle = stack[on_stack.index(m) + 1:] + [(None, None, lag)]
                    shortest = min((e[2] for e in cycle if e[2] > 0), default=0)
                    hint = (f"this recurrence looks {shortest} frame(s) back, so it streams at most {shortest} "
                            f"frame(s) per inference" if shortest else "a recurrence needs IfDefined(Offset(.., -k))")
                    raise ConversionError(f"node '{m}' needs its own value from within the same inference of "
                                          f"{self.frames} frames: {hint} (--input_shape [1,D] always works)", node=n)
                elif m not in state:
                    state[m] = 1
                    stack.append((m, iter(deps[m]), lag))
        return order

    def _origin(self, name: str) -> Origin:
        node = self.net.nodes[name]
        if isinstance(node, ComponentNode):
            c = self.net.components[node.component]
            return Origin("kaldi", name, c.type, self.net.path, c.offset)
        return Origin("kaldi", name, "dim-range-node", self.net.path)

    def _build_node(self, name: str) -> None:
        node = self.net.nodes[name]
        self.nb = NodeBuilder(self.graph, self._origin(name))
        x = self.evaluate(self.timing.inputs[name], self.timing.delay[name])
        if isinstance(node, DimRangeNode):
            y = columns(self, x, node.dim_offset, node.dim_offset + node.dim)
        else:
            y = self.layers[name].build(self, x)
        want = (self.frames, self.dims[name])
        if y.shape.rank != 2 or tuple(y.shape) != want:
            raise ConversionError(f"internal: node output [{y.shape}], expected {list(want)}", node=name)
        if y.node in self.nb.created:
            self.nb.finish([y], [""])
            y.node.name = name
        self.current[name] = y

    def evaluate(self, d: Descriptor, consumer_delay: float, offset: int = 0) -> Output:
        """The value of `d` for the rows a consumer with that delay computes in this inference."""
        if isinstance(d, NodeRef):
            return self._read(d.name, consumer_delay, offset)
        if isinstance(d, Offset):
            return self.evaluate(d.inner, consumer_delay, offset + d.t_offset)
        if isinstance(d, Append):
            return concat(self, [self.evaluate(p, consumer_delay, offset) for p in d.parts])
        if isinstance(d, Sum):
            parts = [self.evaluate(p, consumer_delay, offset) for p in d.parts]
            y = parts[0]
            for p in parts[1:]:
                y = self.out(ops.Add(), y, p)
            return y
        if isinstance(d, Scale):
            return self.out(ops.Multiply(), self.evaluate(d.inner, consumer_delay, offset),
                            self.const(np.float32(d.scale)))
        if isinstance(d, Const):
            return self.const(np.full((self.frames, d.dim), d.value, np.float32))
        if isinstance(d, (ReplaceIndex, Round)):
            return self.evaluate(d.inner, consumer_delay, offset)
        if isinstance(d, IfDefined):
            value = self.evaluate(d.inner, consumer_delay, offset)
            if not self._may_read_garbage(d.inner, offset):
                return value
            mask = self._valid_from(first_frame(d.inner, self.timing.first) - offset + consumer_delay)
            if mask is None:
                return value
            return self.out(ops.Multiply(), value, self.out(ops.Convert(ElementType.f32), mask))
        if isinstance(d, Failover):
            first = self.evaluate(d.first, consumer_delay, offset)
            mask = self._valid_from(first_frame(d.first, self.timing.first) - offset + consumer_delay)
            if mask is None:
                return first
            return self.out(ops.Select(), mask, first, self.evaluate(d.second, consumer_delay, offset))
        raise ConversionError(f"descriptor {describe(d)} cannot be streamed")

    def _read(self, name: str, consumer_delay: float, offset: int) -> Output:
        if self.timing.delay.get(name, 0.0) == NEVER or consumer_delay == NEVER:
            lag = 0
        else:
            lag = int(consumer_delay - offset - self.timing.delay[name])
        if lag == 0:
            return self.current[name]
        history, rows = self.histories[name], self.timing.history[name]
        if lag >= self.frames:  # all from the past: no dependency on this inference's value (recurrences)
            return self._rows(history, rows - lag, rows - lag + self.frames)
        return self._rows(self._window(name), rows - lag, rows - lag + self.frames)

    def _window(self, name: str) -> Output:
        """Concat(history, current): the node's last L + N frames."""
        if name not in self.windows:
            if name not in self.current:
                raise ConversionError(f"a recurrence reads '{name}' {self.frames} or fewer frames back within one "
                                      f"inference of {self.frames} frames: use fewer frames per inference "
                                      "(--input_shape [1,D])", node=name)
            self.windows[name] = self.out(ops.Concat(0), self.histories[name], self.current[name])
        return self.windows[name]

    def _rows(self, x: Output, start: int, stop: int) -> Output:
        return self.out(ops.Slice(), x, self.const(i64([start])), self.const(i64([stop])), self.const(i64([1])),
                        self.const(i64([0])))

    def _may_read_garbage(self, d: Descriptor, offset: int) -> bool:
        """Whether `d` may read frames that were computed before they were computable: a node n computes frames
        from -delay(n) on, but is valid only from first(n) on. Frames before -delay(n) were never computed and
        read as the zeros the histories start with, which is what IfDefined gives there anyway."""
        t = self.timing
        return any(t.first[r.name] != NEVER and t.delay[r.name] != NEVER and t.first[r.name] + t.delay[r.name] > 0
                   for r in refs(d, offset))

    def _valid_from(self, step: float) -> Output | None:
        """A [N, 1] boolean mask of the rows whose step (the count of frames fed since reset) is >= `step`;
        None when every row qualifies."""
        if step == NEVER or step <= 0:
            return None
        if self.counter is None:
            self.counter = self._memory("frame_counter", np.zeros((1, 1), np.float32))
        rows = self.out(ops.Add(), self.counter, self.const(np.arange(self.frames, dtype=np.float32).reshape(-1, 1)))
        return self.out(ops.GreaterEqual(), rows, self.const(np.float32(step)))

    def _memory(self, variable: str, init: np.ndarray) -> Output:
        if self.remove_memory:
            return self.graph.parameter(variable, ElementType.f32, PartialShape(init.shape))
        return self.graph.out(ops.ReadValue(variable, ElementType.f32, PartialShape(init.shape)),
                              self.graph.constant(init, name=f"{variable}/init"), name=f"{variable}/read")

    def _write_memories(self) -> None:
        self.nb = NodeBuilder(self.graph, Origin("kaldi", "memory"))
        updates: list[tuple[str, Output]] = []
        for name, history in self.histories.items():
            rows = self.timing.history[name]
            updates.append((f"{name}/history", self._rows(self._window(name), self.frames, self.frames + rows)))
        if self.counter is not None:
            step = self.out(ops.Add(), self.counter, self.const(np.float32(self.frames)))
            updates.append(("frame_counter", self.out(ops.Minimum(), step, self.const(np.float32(COUNTER_LIMIT)))))
        for variable, value in updates:
            if self.remove_memory:
                self._result(value, f"{variable}/next")
            else:
                self.graph.add_sink(ops.Assign(variable), value, name=f"{variable}/write")

    def _result(self, y: Output, name: str) -> None:
        if y.names:
            # The output must be its own tensor: a pass-through of the input (a pure delay) or a value that is
            # already another output would otherwise share (and rename) that tensor.
            y = self.graph.out(ops.Concat(1), y, name=f"{name}/copy")
        y.names.add(name)
        self.graph.result(y, name)


def net_inputs(net: Network, dims: dict[str, int]) -> list[tuple[str, int]]:
    return [(name, dims[name]) for name in net.inputs]
