"""Model state kept between inference calls: ReadValue and Assign (opset6) over a named variable.

A ReadValue returns the variable's value from the previous call (its input, the initial value, on the first call
or after reset_state()); an Assign stores its input as the variable's value for the next call. The reference
runtime's interpreter calls `evaluate_with_state(state, *inputs)` with one dict per compiled model, so the state
survives between calls until the runtime clears it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .base import ElementType, Op, PartialShape, TensorInfo


@dataclass(frozen=True)
class ReadValue(Op):
    """opset6 ReadValue: the value of `variable_id`, or the initial value (input 0) when the variable is unset."""

    TYPE = "ReadValue"
    VERSION = "opset6"
    FOLDABLE = False
    variable_id: str = ""
    variable_type: ElementType = ElementType.dynamic
    variable_shape: PartialShape = field(default_factory=lambda: PartialShape(None))

    def infer(self, init: TensorInfo) -> list[TensorInfo]:
        if not self.variable_id:
            raise ValueError("ReadValue needs a variable_id")
        et = init.element_type if self.variable_type == ElementType.dynamic else self.variable_type
        if self.variable_type != ElementType.dynamic and init.element_type not in (et, ElementType.dynamic):
            raise ValueError(f"ReadValue '{self.variable_id}': initial value is {init.element_type.value}, "
                             f"the variable is {et.value}")
        shape = init.shape if self.variable_shape.rank is None else self.variable_shape
        if init.shape.rank is not None and shape.rank is not None and init.shape.rank != shape.rank:
            raise ValueError(f"ReadValue '{self.variable_id}': initial value [{init.shape}] does not fit the "
                             f"variable shape [{shape}]")
        return [TensorInfo(et, shape)]

    def evaluate_with_state(self, state: dict[str, Any], init: np.ndarray) -> list[np.ndarray]:
        value = state.get(self.variable_id)
        return [init if value is None else value]


@dataclass(frozen=True)
class Assign(Op):
    """opset6 Assign: store input 0 as the value of `variable_id` for the next call. A sink: no op reads its
    output, so graphs keep it in `graph.sinks` (the IR writer puts it before the Results)."""

    TYPE = "Assign"
    VERSION = "opset6"
    FOLDABLE = False
    IS_SINK: ClassVar[bool] = True
    variable_id: str = ""

    def infer(self, value: TensorInfo) -> list[TensorInfo]:
        if not self.variable_id:
            raise ValueError("Assign needs a variable_id")
        return [TensorInfo(value.element_type, value.shape)]

    def evaluate_with_state(self, state: dict[str, Any], value: np.ndarray) -> list[np.ndarray]:
        # A copy: the value may be a view of a buffer the next call overwrites.
        state[self.variable_id] = np.array(value)
        return [state[self.variable_id]]


OPS: tuple[type[Op], ...] = (ReadValue, Assign)
__all__ = [c.__name__ for c in OPS]
