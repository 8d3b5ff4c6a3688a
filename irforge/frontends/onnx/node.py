"""OnnxNode: what a translator sees: resolved inputs, attributes with spec defaults, and the builder verbs."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
from onnx import numpy_helper

from irforge.core.element_type import ElementType
from irforge.core.graph import Graph, Origin, Output
from irforge.errors import ConversionError
from irforge.frontends.base import NodeBuilder

if TYPE_CHECKING:
    from .loader import Scope

# ONNX TensorProto.DataType -> element type.
ONNX_TYPES: dict[int, ElementType] = {
    1: ElementType.f32, 2: ElementType.u8, 3: ElementType.i8, 4: ElementType.u16, 5: ElementType.i16,
    6: ElementType.i32, 7: ElementType.i64, 8: ElementType.string, 9: ElementType.boolean, 10: ElementType.f16,
    11: ElementType.f64, 12: ElementType.u32, 13: ElementType.u64, 16: ElementType.bf16, 21: ElementType.u4,
    22: ElementType.i4,
}


def element_type(onnx_type: int, where: str = "") -> ElementType:
    try:
        return ONNX_TYPES[onnx_type]
    except KeyError:
        name = onnx.TensorProto.DataType.Name(onnx_type) if onnx_type in onnx.TensorProto.DataType.values() \
            else str(onnx_type)
        raise ConversionError(f"element type {name} has no OpenVINO equivalent", node=where) from None


class OnnxNode(NodeBuilder):
    """One ONNX node being translated. `inputs[i]` is None for an omitted optional input."""

    def __init__(self, proto: onnx.NodeProto, inputs: list[Output | None], graph: Graph, opset: int,
                 scope: Scope, model_path: str | None):
        name = proto.name or (proto.output[0] if proto.output else proto.op_type)
        super().__init__(graph, Origin("onnx", name, proto.op_type, model_path))
        self.proto = proto
        self.op_type = proto.op_type
        self.name = name
        self.inputs = inputs
        self.opset = opset
        self.scope = scope
        self._attrs = {a.name: a for a in proto.attribute}

    # -- inputs --------------------------------------------------------------------------------------------------
    def input(self, i: int) -> Output:
        if i >= len(self.inputs) or self.inputs[i] is None:
            raise self.error(f"input {i} is required")
        return self.inputs[i]  # type: ignore[return-value]

    def optional(self, i: int) -> Output | None:
        return self.inputs[i] if i < len(self.inputs) else None

    def has(self, i: int) -> bool:
        return i < len(self.inputs) and self.inputs[i] is not None

    def value(self, i: int) -> np.ndarray | None:
        """The value of input i when known while converting (a constant, or a small computed value)."""
        x = self.optional(i)
        return None if x is None else self.graph.constant_value(x)

    def const_value(self, i: int, what: str) -> np.ndarray:
        v = self.value(i)
        if v is None:
            raise self.error(f"input {i} ({what}) must be known at conversion time")
        return v

    @property
    def num_outputs(self) -> int:
        return len(self.proto.output)

    def output_used(self, i: int) -> bool:
        return i < len(self.proto.output) and bool(self.proto.output[i])

    # -- attributes (spec defaults first) ------------------------------------------------------------------------
    def has_attr(self, name: str) -> bool:
        return name in self._attrs

    def attr(self, name: str, default: Any = None) -> Any:
        a = self._attrs.get(name)
        if a is None:
            return default
        value = onnx.helper.get_attribute_value(a)
        if a.type == onnx.AttributeProto.STRING:
            return value.decode()
        if a.type == onnx.AttributeProto.STRINGS:
            return [v.decode() for v in value]
        if a.type == onnx.AttributeProto.TENSOR:
            return numpy_helper.to_array(value)
        return value

    def ints(self, name: str, default: list[int] | None = None) -> list[int]:
        value = self.attr(name)
        return list(default or []) if value is None else [int(v) for v in value]

    def floats(self, name: str, default: list[float] | None = None) -> list[float]:
        value = self.attr(name)
        return list(default or []) if value is None else [float(v) for v in value]

    def graph_attr(self, name: str) -> onnx.GraphProto | None:
        a = self._attrs.get(name)
        return None if a is None else a.g

    def error(self, message: str) -> ConversionError:
        return ConversionError(message, node=self.name, op_type=self.op_type)
