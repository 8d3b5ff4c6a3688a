"""Control flow with sub-graphs: Loop (opset5) and If (opset8).

NOTE: a minimal version written by the TensorFlow frontend's helper (control flow belongs to helper onnx-suite):
the port maps OpenVINO serialises (with sliced inputs and concatenated outputs), IR read/write of the bodies,
shape inference from the bodies and numpy evaluation with the graph interpreter.

Body layer ids in the IR: the writer numbers a body's layers Parameters first (in order) and Results last (in
order), so Parameter i has id i and Result j has id (number of layers - number of Results + j).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from irforge.core.graph import Graph
from irforge.core.interpret import Plan, run_graph
from irforge.core.shape import DYNAMIC, PartialShape

from .base import ElementType, Op, TensorInfo


@dataclass(frozen=True)
class PortIn:
    """Op input `external` feeds body Parameter `param`; with `axis`, one slice per iteration (part_size 1)."""

    external: int
    param: int
    axis: int | None = None


@dataclass(frozen=True)
class PortOut:
    """Body Result `result` gives op output `external`: its last value, or with `axis` all iterations' values
    concatenated along that axis."""

    external: int
    result: int
    axis: int | None = None


def _body_ids(body: Graph) -> tuple[list[int], list[int]]:
    """The IR layer ids the writer gives the body's Parameters and Results."""
    total = len(body.topological())
    return list(range(len(body.parameters))), [total - len(body.results) + j for j in range(len(body.results))]


def _write_body(parent: ET.Element, tag: str, body: Graph, write_body: Callable) -> None:
    elem = ET.SubElement(parent, tag)
    write_body(body, elem)


def _read_ids(body_elem: ET.Element) -> tuple[dict[int, int], dict[int, int]]:
    """Layer id -> index among the body's Parameters / Results (document order, as the reader builds them)."""
    layers = body_elem.find("layers")
    params, results = {}, {}
    for layer in layers.findall("layer") if layers is not None else []:
        if layer.get("type") == "Parameter":
            params[int(layer.get("id"))] = len(params)
        elif layer.get("type") == "Result":
            results[int(layer.get("id"))] = len(results)
    return params, results


def _run(body: Graph, feeds: list[np.ndarray]) -> list[np.ndarray]:
    return run_graph(Plan(body), feeds)


@dataclass(frozen=True, eq=False)
class Loop(Op):
    """opset5 Loop: inputs trip_count (-1: no limit), execution_condition, then the mapped inputs.

    Each iteration runs the body; back edges carry a body Result into a body Parameter for the next iteration;
    the iteration stops when the trip count is reached or the body's condition Result is false. The optional
    current_iteration Parameter gets the iteration number. With zero iterations an output is the initial value
    of the Parameter its Result feeds back into.
    """

    TYPE = "Loop"
    VERSION = "opset5"
    body: Graph = field(default=None, metadata={"ir": False})  # type: ignore[assignment]
    inputs: tuple[PortIn, ...] = field(default=(), metadata={"ir": False})
    outputs: tuple[PortOut, ...] = field(default=(), metadata={"ir": False})
    back_edges: tuple[tuple[int, int], ...] = field(default=(), metadata={"ir": False})  # (result, param)
    current_iteration: int = field(default=-1, metadata={"ir": False})    # body Parameter index, or -1
    condition: int = field(default=-1, metadata={"ir": False})            # body Result index, or -1

    def infer(self, *args: TensorInfo) -> list[TensorInfo]:
        if len(args) < 2:
            raise ValueError("Loop needs trip_count and execution_condition inputs")
        if not 0 <= self.condition < len(self.body.results):
            raise ValueError("the Loop body needs a condition Result (OpenVINO cannot read a Loop without one)")
        out: list[TensorInfo] = []
        for port in sorted(self.outputs, key=lambda p: p.external):
            info = self.body.results[port.result].inputs[0].info
            shape = info.shape
            if port.axis is not None and shape.rank is not None:
                dims = list(shape.dims)  # type: ignore[arg-type]
                dims[port.axis] = DYNAMIC
                shape = PartialShape(dims)
            out.append(TensorInfo(info.element_type, shape))
        return out

    def evaluate(self, *args: np.ndarray) -> list[np.ndarray]:
        trip = int(np.asarray(args[0]).reshape(-1)[0])
        cond = bool(np.asarray(args[1]).reshape(-1)[0])
        plan = Plan(self.body)
        params = self.body.parameters
        values: list[np.ndarray | None] = [None] * len(params)
        sliced = {}
        for port in self.inputs:
            if port.axis is None:
                values[port.param] = args[port.external]
            else:
                sliced[port.param] = (args[port.external], port.axis)
        carried = dict(self.back_edges)  # result -> param
        last: dict[int, np.ndarray] = {}
        stacks: dict[int, list[np.ndarray]] = {p.result: [] for p in self.outputs if p.axis is not None}
        i = 0
        while cond and (trip < 0 or i < trip):
            if any(i >= a.shape[axis] for a, axis in sliced.values()):
                break
            for param, (a, axis) in sliced.items():
                values[param] = np.take(a, [i], axis=axis)
            if self.current_iteration >= 0:
                et = params[self.current_iteration].op.element_type  # type: ignore[attr-defined]
                values[self.current_iteration] = np.asarray(i, et.numpy)
            results = run_graph(plan, values)  # type: ignore[arg-type]
            for r, value in enumerate(results):
                last[r] = value
                if r in stacks:
                    stacks[r].append(value)
            for r, p in carried.items():
                values[p] = results[r]
            if self.condition >= 0:
                cond = bool(np.asarray(results[self.condition]).reshape(-1)[0])
            i += 1
        outs = []
        for port in sorted(self.outputs, key=lambda p: p.external):
            et = self.body.results[port.result].inputs[0].element_type
            if port.axis is not None:
                parts = stacks[port.result]
                if parts:
                    outs.append(np.concatenate(parts, axis=port.axis))
                else:
                    shape = list(self.body.results[port.result].inputs[0].shape.dims or [0])
                    shape = [0 if k == port.axis or not isinstance(d, int) else d for k, d in enumerate(shape)]
                    outs.append(np.zeros(shape, et.numpy))
            elif port.result in last:
                outs.append(last[port.result])
            elif port.result in carried:
                outs.append(values[carried[port.result]])  # zero iterations: the initial value
            else:
                raise ValueError("a Loop output without a back edge has no value after zero iterations")
        return outs

    # -- IR ------------------------------------------------------------------------------------------------------
    def write_ir_children(self, layer: ET.Element, write_body: Callable) -> None:
        param_ids, result_ids = _body_ids(self.body)
        n_inputs = max([1] + [p.external for p in self.inputs]) + 1  # every input past the first two is mapped
        port_map = ET.SubElement(layer, "port_map")
        for port in self.inputs:
            attrs = {"external_port_id": str(port.external), "internal_layer_id": str(param_ids[port.param])}
            if port.axis is not None:
                attrs.update(axis=str(port.axis), start="0", end="-1", stride="1", part_size="1")
            ET.SubElement(port_map, "input", attrs)
        for port in self.outputs:
            attrs = {"external_port_id": str(n_inputs + port.external),
                     "internal_layer_id": str(result_ids[port.result])}
            if port.axis is not None:
                attrs.update(axis=str(port.axis), start="0", end="-1", stride="1", part_size="1")
            ET.SubElement(port_map, "output", attrs)
        if self.current_iteration >= 0:
            ET.SubElement(port_map, "input", {"external_port_id": "-1", "purpose": "current_iteration",
                                              "internal_layer_id": str(param_ids[self.current_iteration])})
        if self.condition >= 0:
            ET.SubElement(port_map, "output", {"external_port_id": "-1", "purpose": "execution_condition",
                                               "internal_layer_id": str(result_ids[self.condition])})
        edges = ET.SubElement(layer, "back_edges")
        for r, p in self.back_edges:
            ET.SubElement(edges, "edge", {"from-layer": str(result_ids[r]), "to-layer": str(param_ids[p])})
        _write_body(layer, "body", self.body, write_body)

    @classmethod
    def read_ir(cls, elem: ET.Element, data: dict, read_body: Callable) -> Loop:
        body_elem = elem.find("body")
        body = read_body(body_elem)
        params, results = _read_ids(body_elem)
        n_inputs = len(elem.findall("input/port"))
        inputs, outputs, current, condition = [], [], -1, -1
        for port in elem.findall("port_map/input"):
            internal = params[int(port.get("internal_layer_id"))]
            if port.get("purpose") == "current_iteration":
                current = internal
                continue
            axis = port.get("axis")
            inputs.append(PortIn(int(port.get("external_port_id")), internal, None if axis is None else int(axis)))
        for port in elem.findall("port_map/output"):
            internal = results[int(port.get("internal_layer_id"))]
            if port.get("purpose") == "execution_condition":
                condition = internal
                continue
            axis = port.get("axis")
            outputs.append(PortOut(int(port.get("external_port_id")) - n_inputs, internal,
                                   None if axis is None else int(axis)))
        edges = tuple((results[int(e.get("from-layer"))], params[int(e.get("to-layer"))])
                      for e in elem.findall("back_edges/edge"))
        return cls(body, tuple(inputs), tuple(outputs), edges, current, condition)


@dataclass(frozen=True, eq=False)
class If(Op):
    """opset8 If: input 0 is the condition; the then (else) body's Parameters take the inputs its port map names,
    and its Results give the outputs."""

    TYPE = "If"
    VERSION = "opset8"
    then_body: Graph = field(default=None, metadata={"ir": False})  # type: ignore[assignment]
    else_body: Graph = field(default=None, metadata={"ir": False})  # type: ignore[assignment]
    then_inputs: tuple[PortIn, ...] = field(default=(), metadata={"ir": False})
    else_inputs: tuple[PortIn, ...] = field(default=(), metadata={"ir": False})
    then_outputs: tuple[PortOut, ...] = field(default=(), metadata={"ir": False})
    else_outputs: tuple[PortOut, ...] = field(default=(), metadata={"ir": False})

    def infer(self, cond: TensorInfo, *args: TensorInfo) -> list[TensorInfo]:
        if cond.element_type not in (ElementType.boolean, ElementType.dynamic):
            raise ValueError(f"If condition must be boolean, got {cond.element_type.value}")
        then = {p.external: self.then_body.results[p.result].inputs[0].info for p in self.then_outputs}
        other = {p.external: self.else_body.results[p.result].inputs[0].info for p in self.else_outputs}
        out = []
        for k in sorted(then):
            a, b = then[k], other.get(k, then[k])
            if cond.value is not None:
                out.append(a if bool(np.asarray(cond.value).reshape(-1)[0]) else b)
                continue
            shape = a.shape if a.shape == b.shape else _widen(a.shape, b.shape)
            out.append(TensorInfo(a.element_type, shape))
        return out

    def evaluate(self, cond: np.ndarray, *args: np.ndarray) -> list[np.ndarray]:
        taken = bool(np.asarray(cond).reshape(-1)[0])
        body = self.then_body if taken else self.else_body
        ports_in = self.then_inputs if taken else self.else_inputs
        ports_out = self.then_outputs if taken else self.else_outputs
        feeds: list[np.ndarray | None] = [None] * len(body.parameters)
        for port in ports_in:
            feeds[port.param] = args[port.external - 1]
        results = _run(body, feeds)  # type: ignore[arg-type]
        return [results[p.result] for p in sorted(ports_out, key=lambda p: p.external)]

    def write_ir_children(self, layer: ET.Element, write_body: Callable) -> None:
        n_inputs = max([0] + [p.external for p in self.then_inputs + self.else_inputs]) + 1
        for tag, body, ins, outs in (("else_port_map", self.else_body, self.else_inputs, self.else_outputs),
                                     ("then_port_map", self.then_body, self.then_inputs, self.then_outputs)):
            param_ids, result_ids = _body_ids(body)
            port_map = ET.SubElement(layer, tag)
            for port in ins:
                ET.SubElement(port_map, "input", {"external_port_id": str(port.external),
                                                  "internal_layer_id": str(param_ids[port.param])})
            for port in outs:
                ET.SubElement(port_map, "output", {"external_port_id": str(n_inputs + port.external),
                                                   "internal_layer_id": str(result_ids[port.result])})
        _write_body(layer, "then_body", self.then_body, write_body)
        _write_body(layer, "else_body", self.else_body, write_body)

    @classmethod
    def read_ir(cls, elem: ET.Element, data: dict, read_body: Callable) -> If:
        n_inputs = len(elem.findall("input/port"))
        parts = {}
        for side in ("then", "else"):
            body_elem = elem.find(f"{side}_body")
            body = read_body(body_elem)
            params, results = _read_ids(body_elem)
            ins = tuple(PortIn(int(p.get("external_port_id")), params[int(p.get("internal_layer_id"))])
                        for p in elem.findall(f"{side}_port_map/input"))
            outs = tuple(PortOut(int(p.get("external_port_id")) - n_inputs, results[int(p.get("internal_layer_id"))])
                         for p in elem.findall(f"{side}_port_map/output"))
            parts[side] = (body, ins, outs)
        return cls(parts["then"][0], parts["else"][0], parts["then"][1], parts["else"][1], parts["then"][2],
                   parts["else"][2])


def _widen(a: PartialShape, b: PartialShape) -> PartialShape:
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return PartialShape(None)
    return PartialShape(x if x == y else DYNAMIC for x, y in zip(a.dims, b.dims))  # type: ignore[arg-type]


OPS: tuple[type[Op], ...] = (Loop, If)
__all__ = [c.__name__ for c in OPS] + ["PortIn", "PortOut"]
