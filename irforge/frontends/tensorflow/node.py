"""TfNode: what a translator sees of one TensorFlow node: resolved inputs, typed attributes and the builder verbs."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from irforge.core.element_type import ElementType
from irforge.core.graph import Graph, Origin, Output
from irforge.core.shape import PartialShape
from irforge.errors import ConversionError
from irforge.frontends.base import NodeBuilder

from .tensors import DT_RESOURCE, DT_VARIANT, element_type_of, partial_shape, tensor_to_numpy

if TYPE_CHECKING:
    from .loader import Scope, Translator

_MISSING = object()


def attr_value(value) -> Any:
    """An AttrValue as a plain Python value: str for strings, int for types, lists for lists, the message itself
    for shapes, tensors and functions (read them with the typed helpers)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "s":
        return value.s.decode("utf-8", "replace")
    if kind == "list":
        lst = value.list
        for field in ("s", "i", "f", "b", "type", "shape", "tensor", "func"):
            items = getattr(lst, field)
            if len(items):
                if field == "s":
                    return [s.decode("utf-8", "replace") for s in items]
                return list(items)
        return []
    if kind == "func":
        return value.func
    return getattr(value, kind)


class TfNode(NodeBuilder):
    """One TensorFlow node being translated. `inputs` are its data inputs (control inputs dropped)."""

    def __init__(self, proto, inputs: list[Output], graph: Graph, scope: Scope, translator: Translator,
                 path: str | None):
        name = scope.prefix + proto.name
        super().__init__(graph, Origin("tf", name, proto.op, path))
        self.proto = proto
        self.op_type = proto.op
        self.name = name
        self.inputs = inputs
        self.scope = scope
        self.translator = translator

    # -- inputs --------------------------------------------------------------------------------------------------
    def input(self, i: int) -> Output:
        if i >= len(self.inputs):
            raise self.error(f"input {i} is required ({len(self.inputs)} given)")
        return self.inputs[i]

    def value(self, i: int) -> np.ndarray | None:
        """The value of input i when known at conversion time (a constant, or a small computed value)."""
        return self.graph.constant_value(self.input(i))

    def const_value(self, i: int, what: str) -> np.ndarray:
        v = self.value(i)
        if v is None:
            raise self.error(f"input {i} ({what}) must be known at conversion time")
        return np.asarray(v)

    def const_ints(self, i: int, what: str) -> list[int]:
        return [int(v) for v in self.const_value(i, what).reshape(-1)]

    # -- attributes ----------------------------------------------------------------------------------------------
    def has_attr(self, name: str) -> bool:
        return name in self.proto.attr

    def attr(self, name: str, default: Any = _MISSING) -> Any:
        if name not in self.proto.attr:
            if default is _MISSING:
                raise self.error(f"attribute '{name}' is required")
            return default
        return attr_value(self.proto.attr[name])

    def ints(self, name: str, default: list[int] | None = None) -> list[int]:
        value = self.attr(name, None)
        if value is None:
            if default is None:
                raise self.error(f"attribute '{name}' is required")
            return list(default)
        return [int(v) for v in value]

    def type_attr(self, name: str, default: int | None = None) -> ElementType:
        dtype = self.attr(name, default)
        if dtype is None:
            raise self.error(f"attribute '{name}' is required")
        return element_type_of(int(dtype), self.name)

    def shape_attr(self, name: str) -> PartialShape | None:
        if name not in self.proto.attr:
            return None
        return partial_shape(self.proto.attr[name].shape)

    def tensor_attr(self, name: str = "value") -> tuple[np.ndarray, ElementType]:
        if name not in self.proto.attr:
            raise self.error(f"attribute '{name}' is required")
        return tensor_to_numpy(self.proto.attr[name].tensor, self.name)

    def func_attr(self, name: str) -> str:
        if name not in self.proto.attr:
            raise self.error(f"attribute '{name}' is required")
        return self.proto.attr[name].func.name

    def is_resource(self, type_attr: str = "dtype") -> bool:
        return int(self.attr(type_attr, 0)) in (DT_RESOURCE, DT_VARIANT)

    def data_format(self) -> str:
        fmt = self.attr("data_format", "NHWC")
        if fmt not in ("NHWC", "NCHW", "NDHWC", "NCDHW", "NWC", "NCW"):
            raise self.error(f"data_format {fmt!r} is not supported")
        return fmt

    def error(self, message: str) -> ConversionError:
        return ConversionError(message, node=self.name, op_type=self.op_type)
