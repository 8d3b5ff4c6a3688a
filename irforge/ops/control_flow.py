"""Sub-graph ops: If (opset8), Loop (opset5) and TensorIterator (opset1).

Each holds its body graph(s) and port maps that tie the op's inputs and outputs to the body's Parameters and
Results (by position in body.parameters / body.results). In the IR these become <port_map>, <back_edges> and
<body> children of the layer, where bodies number their layers from 0 and port maps name body layer ids; the
writer and the reader call write_ir_children / read_ir for that. Bodies run through core.interpret, like the
reference runtime's main graph."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from irforge.core.graph import Graph
from irforge.core.interpret import Plan, run_graph
from irforge.core.shape import DYNAMIC, PartialShape

from .base import ElementType, Op, TensorInfo, normalize_axis

WriteBody = Callable[[Graph, ET.Element], None]
ReadBody = Callable[[ET.Element], Graph]


@dataclass(frozen=True)
class Slicing:
    """How an input is cut into per-iteration parts, or per-iteration parts are joined into an output: along
    `axis`, parts of `part_size` starting at `start` and stepping by `stride` up to `end` (-1: the end; with a
    negative stride, start -1 is the end and the parts go backwards)."""

    axis: int
    start: int = 0
    end: int = -1
    stride: int = 1
    part_size: int = 1

    def bounds(self, length: int) -> tuple[int, int]:
        start = self.start if self.start >= 0 else length + self.start + 1
        end = self.end if self.end >= 0 else length + self.end + 1
        return start, end

    def count(self, length: int) -> int:
        start, end = self.bounds(length)
        span = end - start if self.stride > 0 else start - end
        return max(0, (span - self.part_size) // abs(self.stride) + 1)

    def part(self, x: np.ndarray, k: int) -> np.ndarray:
        axis = normalize_axis(self.axis, x.ndim)
        start, _ = self.bounds(x.shape[axis])
        begin = start + k * self.stride if self.stride > 0 else start + k * self.stride - self.part_size
        index = [slice(None)] * x.ndim
        index[axis] = slice(begin, begin + self.part_size)
        return x[tuple(index)]

    def join(self, parts: list[np.ndarray], template: TensorInfo) -> np.ndarray:
        if self.stride < 0:
            parts = parts[::-1]
        if not parts:  # no iteration ran: an empty join (dynamic dims taken as 0)
            rank = template.rank or 1
            shape = [d if isinstance(d, int) else 0 for d in (template.shape.dims or [0] * rank)]
            shape[normalize_axis(self.axis, rank)] = 0
            return np.zeros(shape, template.element_type.numpy)
        return np.concatenate(parts, axis=normalize_axis(self.axis, parts[0].ndim))

    def ir(self) -> dict[str, str]:
        return {"axis": str(self.axis), "start": str(self.start), "end": str(self.end), "stride": str(self.stride),
                "part_size": str(self.part_size)}

    @staticmethod
    def from_ir(attrs: dict[str, str]) -> Slicing | None:
        if "axis" not in attrs:
            return None
        return Slicing(int(attrs["axis"]), int(attrs.get("start", 0)), int(attrs.get("end", -1)),
                       int(attrs.get("stride", 1)), int(attrs.get("part_size", 1)))


@dataclass(frozen=True)
class InputMap:
    """Op input `external` feeds body Parameter number `parameter` (whole, or sliced per iteration). A special
    input has external -1 and a purpose: Loop's "current_iteration" (the iteration number)."""

    external: int
    parameter: int
    slicing: Slicing | None = None
    purpose: str = ""


@dataclass(frozen=True)
class OutputMap:
    """Body Result number `result` gives op output `external` (its last value, or every iteration's joined).
    Loop's special output "execution_condition" (external -1) decides whether another iteration runs."""

    external: int
    result: int
    slicing: Slicing | None = None
    purpose: str = ""


@dataclass(frozen=True)
class BackEdge:
    """After each iteration, body Result number `result` becomes body Parameter number `parameter`."""

    result: int
    parameter: int


def _layer_ids(body_elem: ET.Element) -> tuple[list[int], list[int]]:
    """The ids of a written body's Parameter and Result layers, in document order (= body order)."""
    layers = body_elem.find("layers")
    assert layers is not None
    params = [int(e.get("id", "-1")) for e in layers.findall("layer") if e.get("type") == "Parameter"]
    results = [int(e.get("id", "-1")) for e in layers.findall("layer") if e.get("type") == "Result"]
    return params, results


def _write_port_map(tag: str, parent: ET.Element, inputs: tuple[InputMap, ...], outputs: tuple[OutputMap, ...],
                    params: list[int], results: list[int], n_inputs: int, position: int = 0) -> None:
    elem = ET.Element(tag)
    for m in inputs:
        attrs = {"external_port_id": str(m.external), "internal_layer_id": str(params[m.parameter])}
        if m.slicing is not None:
            attrs.update(m.slicing.ir())
        if m.purpose:
            attrs["purpose"] = m.purpose
        ET.SubElement(elem, "input", attrs)
    for o in outputs:
        attrs = {"external_port_id": str(n_inputs + o.external if o.external >= 0 else -1),
                 "internal_layer_id": str(results[o.result])}
        if o.slicing is not None:
            attrs.update(o.slicing.ir())
        if o.purpose:
            attrs["purpose"] = o.purpose
        ET.SubElement(elem, "output", attrs)
    parent.insert(position, elem)


def _read_port_map(elem: ET.Element | None, params: list[int], results: list[int], n_inputs: int
                   ) -> tuple[tuple[InputMap, ...], tuple[OutputMap, ...]]:
    if elem is None:
        return (), ()
    inputs = tuple(InputMap(int(e.get("external_port_id", "-1")), params.index(int(e.get("internal_layer_id"))),
                            Slicing.from_ir(dict(e.attrib)), e.get("purpose", ""))
                   for e in elem.findall("input"))
    outputs = []
    for e in elem.findall("output"):
        port = int(e.get("external_port_id", "-1"))
        outputs.append(OutputMap(port - n_inputs if port >= 0 else -1, results.index(int(e.get("internal_layer_id"))),
                                 Slicing.from_ir(dict(e.attrib)), e.get("purpose", "")))
    return inputs, tuple(outputs)


def _n_inputs(elem: ET.Element) -> int:
    return len(elem.findall("input/port"))


def _merge_info(a: TensorInfo, b: TensorInfo) -> TensorInfo:
    """What two branches' outputs have in common: equal dims stay, others become dynamic."""
    et = a.element_type if a.element_type != ElementType.dynamic else b.element_type
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorInfo(et, PartialShape(None))
    return TensorInfo(et, PartialShape([x if x == y else DYNAMIC for x, y in zip(a.shape, b.shape)]))


def _result_info(body: Graph, index: int) -> TensorInfo:
    return body.results[index].inputs[0].info


class _Iterations:
    """What Loop and TensorIterator share: feeding the body, back edges, and gathering outputs."""

    body: Graph
    input_map: tuple[InputMap, ...]
    output_map: tuple[OutputMap, ...]
    back_edges: tuple[BackEdge, ...]

    def output_count(self) -> int:
        return 1 + max((o.external for o in self.output_map), default=-1)

    def output_infos(self, iterations: int | None) -> list[TensorInfo]:
        infos: list[TensorInfo] = [TensorInfo(ElementType.dynamic, PartialShape(None))] * self.output_count()
        for o in self.output_map:
            if o.external < 0:
                continue
            info = _result_info(self.body, o.result)
            if o.slicing is not None and info.rank is not None:
                dims = list(info.shape)
                axis = normalize_axis(o.slicing.axis, info.rank)
                part = dims[axis]
                dims[axis] = iterations * part if iterations is not None and isinstance(part, int) else DYNAMIC
                info = TensorInfo(info.element_type, PartialShape(dims))
            else:
                info = TensorInfo(info.element_type, info.shape)
            infos[o.external] = info
        return infos

    def iterate(self, inputs: list[np.ndarray], max_iterations: int | None, condition: bool) -> list[np.ndarray]:
        plan = Plan(self.body)
        feeds: list[np.ndarray | None] = [None] * len(self.body.parameters)
        sliced = [m for m in self.input_map if m.slicing is not None and m.external >= 0]
        counts = [m.slicing.count(inputs[m.external].shape[normalize_axis(m.slicing.axis,  # type: ignore[union-attr]
                                                                           inputs[m.external].ndim)])
                  for m in sliced]
        limit = min(counts) if counts else None
        if max_iterations is not None and max_iterations >= 0:
            limit = max_iterations if limit is None else min(limit, max_iterations)
        for m in self.input_map:
            if m.external >= 0 and m.slicing is None:
                feeds[m.parameter] = inputs[m.external]
        counter = next((m.parameter for m in self.input_map if m.purpose == "current_iteration"), None)
        condition_result = next((o.result for o in self.output_map if o.purpose == "execution_condition"), None)
        last: dict[int, np.ndarray] = {}
        parts: dict[int, list[np.ndarray]] = {o.result: [] for o in self.output_map if o.slicing is not None}
        k = 0
        while condition and (limit is None or k < limit):
            for m in sliced:
                feeds[m.parameter] = m.slicing.part(inputs[m.external], k)  # type: ignore[union-attr]
            if counter is not None:
                p = self.body.parameters[counter].outputs[0]
                feeds[counter] = np.full((1,) * (p.shape.rank or 0), k, p.element_type.numpy)
            outs = run_graph(plan, [f if f is not None else np.zeros(0) for f in feeds])
            for index, value in enumerate(outs):
                last[index] = value
                if index in parts:
                    parts[index].append(value)
            for edge in self.back_edges:
                feeds[edge.parameter] = outs[edge.result]
            if condition_result is not None:
                condition = bool(np.asarray(outs[condition_result]).reshape(-1)[0])
            k += 1
        results: list[np.ndarray] = [np.zeros(0)] * self.output_count()
        back = {e.result: e.parameter for e in self.back_edges}
        for o in self.output_map:
            if o.external < 0:
                continue
            info = _result_info(self.body, o.result)
            if o.slicing is not None:
                results[o.external] = o.slicing.join(parts[o.result], info)
            elif o.result in last:
                results[o.external] = last[o.result]
            elif o.result in back:  # no iteration ran: the value the back edge started from
                results[o.external] = feeds[back[o.result]]  # type: ignore[assignment]
            else:
                raise ValueError("the loop ran no iteration, so its output has no value")
        return results

    def write_maps(self, layer: ET.Element, write_body: WriteBody, n_inputs: int) -> None:
        body_elem = ET.SubElement(layer, "body")
        write_body(self.body, body_elem)
        params, results = _layer_ids(body_elem)
        _write_port_map("port_map", layer, self.input_map, self.output_map, params, results, n_inputs)
        edges = ET.Element("back_edges")
        for e in self.back_edges:
            ET.SubElement(edges, "edge", {"from-layer": str(results[e.result]), "to-layer": str(params[e.parameter])})
        layer.insert(1, edges)

    @staticmethod
    def read_maps(elem: ET.Element, read_body: ReadBody):
        body_elem = elem.find("body")
        if body_elem is None:
            raise ValueError("the layer has no <body>")
        body = read_body(body_elem)
        params, results = _layer_ids(body_elem)
        inputs, outputs = _read_port_map(elem.find("port_map"), params, results, _n_inputs(elem))
        edges = tuple(BackEdge(results.index(int(e.get("from-layer"))), params.index(int(e.get("to-layer"))))
                      for e in elem.findall("back_edges/edge"))
        return body, inputs, outputs, edges


@dataclass(frozen=True)
class TensorIterator(_Iterations, Op):
    """opset1 TensorIterator: runs the body once per part of its sliced inputs (all sliced inputs give the same
    number of parts); back edges carry values between iterations."""

    TYPE = "TensorIterator"
    FOLDABLE = False
    body: Graph = field(default_factory=Graph, metadata={"ir": False})
    input_map: tuple[InputMap, ...] = field(default=(), metadata={"ir": False})
    output_map: tuple[OutputMap, ...] = field(default=(), metadata={"ir": False})
    back_edges: tuple[BackEdge, ...] = field(default=(), metadata={"ir": False})

    def infer(self, *inputs: TensorInfo) -> list[TensorInfo]:
        counts = set()
        for m in self.input_map:
            if m.slicing is not None and inputs[m.external].rank is not None:
                d = inputs[m.external].shape[normalize_axis(m.slicing.axis, inputs[m.external].rank)]  # type: ignore
                counts.add(m.slicing.count(d) if isinstance(d, int) else None)
        iterations = counts.pop() if len(counts) == 1 else None
        return self.output_infos(iterations)

    def evaluate(self, *inputs: np.ndarray) -> list[np.ndarray]:
        return self.iterate(list(inputs), None, True)

    def write_ir_children(self, layer: ET.Element, write_body: WriteBody) -> None:
        self.write_maps(layer, write_body, 1 + max((m.external for m in self.input_map), default=-1))

    @classmethod
    def read_ir(cls, elem: ET.Element, data: dict[str, str], read_body: ReadBody) -> TensorIterator:
        body, inputs, outputs, edges = cls.read_maps(elem, read_body)
        return cls(body, inputs, outputs, edges)


@dataclass(frozen=True)
class Loop(_Iterations, Op):
    """opset5 Loop: inputs (trip_count [i64, -1 = no limit], execution_condition [boolean], ...); runs while the
    iteration count is below trip_count and the condition holds, the body's "execution_condition" Result giving
    the condition for the next iteration. The runtime requires that Result (a constant true when the body has
    no condition of its own)."""

    TYPE = "Loop"
    VERSION = "opset5"
    FOLDABLE = False
    body: Graph = field(default_factory=Graph, metadata={"ir": False})
    input_map: tuple[InputMap, ...] = field(default=(), metadata={"ir": False})
    output_map: tuple[OutputMap, ...] = field(default=(), metadata={"ir": False})
    back_edges: tuple[BackEdge, ...] = field(default=(), metadata={"ir": False})

    def infer(self, trip_count: TensorInfo, condition: TensorInfo, *inputs: TensorInfo) -> list[TensorInfo]:
        if condition.element_type not in (ElementType.boolean, ElementType.dynamic):
            raise ValueError(f"Loop execution_condition must be boolean, got {condition.element_type.value}")
        if not any(o.purpose == "execution_condition" for o in self.output_map):
            raise ValueError("Loop needs a body Result mapped as its execution_condition")
        count = None
        stop = next(o for o in self.output_map if o.purpose == "execution_condition")
        always = _result_info(self.body, stop.result).value
        if trip_count.value is not None and always is not None and bool(np.asarray(always).reshape(-1)[0]):
            count = int(np.asarray(trip_count.value).reshape(-1)[0])
        return self.output_infos(count if count is not None and count >= 0 else None)

    def evaluate(self, trip_count: np.ndarray, condition: np.ndarray, *inputs: np.ndarray) -> list[np.ndarray]:
        limit = int(np.asarray(trip_count).reshape(-1)[0])
        return self.iterate([trip_count, condition, *inputs], limit if limit >= 0 else None,
                            bool(np.asarray(condition).reshape(-1)[0]))

    def write_ir_children(self, layer: ET.Element, write_body: WriteBody) -> None:
        self.write_maps(layer, write_body, max(2, 1 + max((m.external for m in self.input_map), default=-1)))

    @classmethod
    def read_ir(cls, elem: ET.Element, data: dict[str, str], read_body: ReadBody) -> Loop:
        body, inputs, outputs, edges = cls.read_maps(elem, read_body)
        return cls(body, inputs, outputs, edges)


@dataclass(frozen=True)
class If(Op):
    """opset8 If: input 0 is the boolean condition; the other inputs feed the chosen body's Parameters through
    its port map, and its Results give the outputs."""

    TYPE = "If"
    VERSION = "opset8"
    FOLDABLE = False
    then_body: Graph = field(default_factory=Graph, metadata={"ir": False})
    else_body: Graph = field(default_factory=Graph, metadata={"ir": False})
    then_inputs: tuple[InputMap, ...] = field(default=(), metadata={"ir": False})
    else_inputs: tuple[InputMap, ...] = field(default=(), metadata={"ir": False})
    then_outputs: tuple[OutputMap, ...] = field(default=(), metadata={"ir": False})
    else_outputs: tuple[OutputMap, ...] = field(default=(), metadata={"ir": False})

    def infer(self, condition: TensorInfo, *inputs: TensorInfo) -> list[TensorInfo]:
        if condition.element_type not in (ElementType.boolean, ElementType.dynamic):
            raise ValueError(f"If condition must be boolean, got {condition.element_type.value}")
        count = 1 + max((o.external for o in self.then_outputs), default=-1)
        infos = []
        for k in range(count):
            then = next(o for o in self.then_outputs if o.external == k)
            other = next(o for o in self.else_outputs if o.external == k)
            a, b = _result_info(self.then_body, then.result), _result_info(self.else_body, other.result)
            if condition.value is not None:
                infos.append(a if bool(np.asarray(condition.value).reshape(-1)[0]) else b)
            else:
                infos.append(_merge_info(a, b))
        return infos

    def evaluate(self, condition: np.ndarray, *inputs: np.ndarray) -> list[np.ndarray]:
        taken = bool(np.asarray(condition).reshape(-1)[0])
        body, in_map, out_map = (self.then_body, self.then_inputs, self.then_outputs) if taken else \
            (self.else_body, self.else_inputs, self.else_outputs)
        feeds: list[np.ndarray] = [np.zeros(0)] * len(body.parameters)
        all_inputs = [condition, *inputs]
        for m in in_map:
            feeds[m.parameter] = all_inputs[m.external]
        outs = run_graph(Plan(body), feeds)
        results: list[np.ndarray] = [np.zeros(0)] * len(out_map)
        for o in out_map:
            results[o.external] = outs[o.result]
        return results

    def write_ir_children(self, layer: ET.Element, write_body: WriteBody) -> None:
        n_inputs = 1 + max((m.external for m in self.then_inputs + self.else_inputs), default=0)
        for tag, body, in_map, out_map in (("then", self.then_body, self.then_inputs, self.then_outputs),
                                           ("else", self.else_body, self.else_inputs, self.else_outputs)):
            body_elem = ET.SubElement(layer, f"{tag}_body")
            write_body(body, body_elem)
            params, results = _layer_ids(body_elem)
            _write_port_map(f"{tag}_port_map", layer, in_map, out_map, params, results, n_inputs)

    @classmethod
    def read_ir(cls, elem: ET.Element, data: dict[str, str], read_body: ReadBody) -> If:
        parts = {}
        for tag in ("then", "else"):
            body_elem = elem.find(f"{tag}_body")
            if body_elem is None:
                raise ValueError(f"the layer has no <{tag}_body>")
            body = read_body(body_elem)
            params, results = _layer_ids(body_elem)
            parts[tag] = (body, *_read_port_map(elem.find(f"{tag}_port_map"), params, results, _n_inputs(elem)))
        (tb, ti, to), (eb, ei, eo) = parts["then"], parts["else"]
        return cls(tb, eb, ti, ei, to, eo)


OPS: tuple[type[Op], ...] = (If, Loop, TensorIterator)
__all__ = [c.__name__ for c in OPS] + ["BackEdge", "InputMap", "OutputMap", "Slicing"]
