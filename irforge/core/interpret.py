"""Run a graph with each op's numpy `evaluate`: the engine of the reference runtime, also used by sub-graph ops
(Loop, If, TensorIterator) to run their bodies. Each value is freed right after its last use."""
from __future__ import annotations

from typing import Any

import numpy as np

from irforge.errors import IrforgeError, NotEvaluable

from .element_type import ElementType
from .graph import Constant, Graph, Node, Parameter, Result


class EvaluationError(IrforgeError):
    """A node failed while running; names the node, its op type and its input shapes."""


class Plan:
    """The execution order of a graph and, for each step, which values die after it."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.order: list[Node] = graph.topological()
        position = {id(n): i for i, n in enumerate(self.order)}
        last_use: dict[tuple[int, int], int] = {}
        for i, node in enumerate(self.order):
            for x in node.inputs:
                last_use[(id(x.node), x.index)] = i
        keep = {(id(r.inputs[0].node), r.inputs[0].index) for r in graph.results}
        self.free_after: list[list[tuple[int, int]]] = [[] for _ in self.order]
        for key, step in last_use.items():
            if key not in keep:
                self.free_after[step].append(key)
        self.position = position
        # Constant values, loaded once per plan: a model run again and again (a stream, frame by frame) must not
        # re-read its weights each call. Unaligned .bin blobs are copied once: numpy's matmul on an unaligned
        # float array skips BLAS and runs several times slower.
        self.constants: dict[int, np.ndarray] = {}

    def constant(self, node: Node) -> np.ndarray:
        value = self.constants.get(id(node))
        if value is None:
            value = np.asarray(node.op.evaluate()[0])
            if not value.flags.aligned:
                value = value.copy()
            self.constants[id(node)] = value
        return value


def run_graph(plan: Plan, feeds: list[np.ndarray], state: dict[str, Any] | None = None) -> list[np.ndarray]:
    """Values of the graph's Results for the given Parameter values (in parameter order)."""
    graph = plan.graph
    values: dict[tuple[int, int], np.ndarray] = {}
    for param, value in zip(graph.parameters, feeds):
        values[(id(param), 0)] = value
    state = {} if state is None else state
    for step, node in enumerate(plan.order):
        if isinstance(node.op, (Parameter, Result)):
            continue
        if isinstance(node.op, Constant):
            values[(id(node), 0)] = plan.constant(node)
            continue
        args = [values[(id(x.node), x.index)] for x in node.inputs]
        try:
            stateful = getattr(node.op, "evaluate_with_state", None)
            outs = stateful(state, *args) if stateful is not None else node.op.evaluate(*args)
        except NotEvaluable as e:
            raise EvaluationError(f"node '{node.name}' ({node.op.TYPE}): {e}") from None
        except IrforgeError:
            raise
        except Exception as e:  # noqa: BLE001 - any numpy failure becomes an error that names the node
            shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in args)
            raise EvaluationError(f"node '{node.name}' ({node.op.TYPE}) failed on inputs ({shapes}): "
                                  f"{type(e).__name__}: {e}") from e
        for out, value in zip(node.outputs, outs):
            value = np.asarray(value)
            expected = out.element_type
            if expected not in (ElementType.dynamic, ElementType.string) and value.dtype != expected.numpy:
                value = value.astype(expected.numpy)
            values[(id(node), out.index)] = value
        for key in plan.free_after[step]:
            values.pop(key, None)
    return [values[(id(r.inputs[0].node), r.inputs[0].index)] for r in graph.results]
