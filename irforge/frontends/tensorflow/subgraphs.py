"""Building Loop and If ops for the translators (the one place that knows those ops' port-map types).

Ports are plain tuples: inputs (op input, body Parameter, slicing axis or None), outputs (op output, body Result,
concatenation axis or None), back edges (body Result, body Parameter).

Two versions of ops/control_flow.py exist while the helpers' branches are merged: the minimal one written with
this frontend (PortIn / PortOut, a `condition` field) and helper onnx-suite's (InputMap / OutputMap / BackEdge /
Slicing, the condition as an "execution_condition" output). Both are built here, whichever ops provides.
"""
from __future__ import annotations

from irforge import ops
from irforge.core.graph import Graph
from irforge.core.op import Op

Port = tuple[int, int, "int | None"]
FULL_MAPS = hasattr(ops, "InputMap")  # helper onnx-suite's control flow ops


def _slicing(axis: int | None):
    return None if axis is None else ops.Slicing(axis)


def loop(body: Graph, inputs: list[Port], outputs: list[Port], back_edges: list[tuple[int, int]],
         condition: int) -> Op:
    """A Loop whose body Result `condition` decides whether another iteration runs."""
    if FULL_MAPS:
        input_map = tuple(ops.InputMap(e, p, _slicing(a)) for e, p, a in inputs)
        output_map = tuple(ops.OutputMap(e, r, _slicing(a)) for e, r, a in outputs) + \
            (ops.OutputMap(-1, condition, purpose="execution_condition"),)
        return ops.Loop(body, input_map, output_map, tuple(ops.BackEdge(r, p) for r, p in back_edges))
    return ops.Loop(body, inputs=tuple(ops.PortIn(e, p, a) for e, p, a in inputs),
                    outputs=tuple(ops.PortOut(e, r, a) for e, r, a in outputs),
                    back_edges=tuple(back_edges), condition=condition)


def if_(then_body: Graph, else_body: Graph, then_inputs: list[tuple[int, int]], else_inputs: list[tuple[int, int]],
        then_outputs: list[tuple[int, int]], else_outputs: list[tuple[int, int]]) -> Op:
    if FULL_MAPS:
        return ops.If(then_body, else_body, tuple(ops.InputMap(e, p) for e, p in then_inputs),
                      tuple(ops.InputMap(e, p) for e, p in else_inputs),
                      tuple(ops.OutputMap(e, r) for e, r in then_outputs),
                      tuple(ops.OutputMap(e, r) for e, r in else_outputs))
    return ops.If(then_body, else_body, tuple(ops.PortIn(e, p) for e, p in then_inputs),
                  tuple(ops.PortIn(e, p) for e, p in else_inputs), tuple(ops.PortOut(e, r) for e, r in then_outputs),
                  tuple(ops.PortOut(e, r) for e, r in else_outputs))
