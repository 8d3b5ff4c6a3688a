"""CompiledModel: feeds inputs by position or tensor name, runs the graph, returns outputs by tensor name."""
from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

import numpy as np

from irforge.core.graph import Graph, Output
from irforge.core.interpret import Plan, run_graph
from irforge.errors import IrforgeError


class RuntimeInputError(IrforgeError):
    """Inputs that do not fit the model: unknown names, wrong count, wrong rank or static dims."""


def tensor_name(x: Output, fallback: str) -> str:
    """The name a user asks for: the smallest tensor name (as OpenVINO's get_any_name), else the layer name."""
    return sorted(x.names)[0] if x.names else fallback


class CompiledModel:
    """A graph ready to run. Calling it returns {output name: array}; state (ReadValue/Assign) persists
    between calls until reset_state()."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.plan = Plan(graph)
        self.state: dict[str, Any] = {}
        self.input_names = [tensor_name(p.outputs[0], p.name) for p in graph.parameters]
        self.output_names = [r.name if r.name in r.inputs[0].names else tensor_name(r.inputs[0], r.name)
                             for r in graph.results]

    def reset_state(self) -> None:
        self.state.clear()

    def __call__(self, inputs: Sequence[np.ndarray] | Mapping[str | int, np.ndarray] | np.ndarray
                 ) -> dict[str, np.ndarray]:
        feeds = self._feeds(inputs)
        outs = run_graph(self.plan, feeds, self.state)
        return dict(zip(self.output_names, outs))

    def infer(self, inputs) -> dict[str, np.ndarray]:
        return self(inputs)

    def _feeds(self, inputs) -> list[np.ndarray]:
        params = self.graph.parameters
        if isinstance(inputs, np.ndarray):
            inputs = [inputs]
        if isinstance(inputs, Mapping):
            by_name: dict[str, int] = {}
            for i, p in enumerate(params):
                for n in p.outputs[0].names | {p.name}:
                    by_name.setdefault(n, i)
            ordered: list[np.ndarray | None] = [None] * len(params)
            for key, value in inputs.items():
                index = key if isinstance(key, int) else by_name.get(key)
                if index is None or not 0 <= index < len(params):
                    raise RuntimeInputError(f"the model has no input {key!r}; its inputs are {self.input_names}")
                ordered[index] = value
            missing = [self.input_names[i] for i, v in enumerate(ordered) if v is None]
            if missing:
                raise RuntimeInputError(f"missing value for input(s) {missing}")
            inputs = ordered
        inputs = list(inputs)
        if len(inputs) != len(params):
            raise RuntimeInputError(f"the model takes {len(params)} input(s) {self.input_names}, got {len(inputs)}")
        feeds = []
        for p, value, name in zip(params, inputs, self.input_names):
            info = p.outputs[0].info
            array = np.asarray(value)
            if info.element_type.numpy != object and info.element_type.value != "dynamic" \
                    and array.dtype != info.element_type.numpy:
                array = array.astype(info.element_type.numpy)
            shape = info.shape
            if shape.rank is not None:
                if array.ndim != shape.rank:
                    raise RuntimeInputError(f"input '{name}' needs rank {shape.rank} [{shape}], got {list(array.shape)}")
                for d, n in zip(shape, array.shape):
                    if isinstance(d, int) and d != n:
                        raise RuntimeInputError(f"input '{name}' needs shape [{shape}], got {list(array.shape)}")
                    if not isinstance(d, int) and (n < d.lower or (d.upper is not None and n > d.upper)):
                        raise RuntimeInputError(f"input '{name}' needs shape [{shape}], got {list(array.shape)}")
            feeds.append(array)
        return feeds


def compile_model(model: Graph | str | os.PathLike) -> CompiledModel:
    """A Graph, or the path of an IR .xml (ours or OpenVINO's), ready to run on the reference runtime."""
    if not isinstance(model, Graph):
        from irforge.ir.reader import read_model
        model = read_model(model)
    return CompiledModel(model)
