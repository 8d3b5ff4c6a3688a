"""Translator factories for ONNX ops that map one-to-one onto an opset op, and small shared helpers."""
from __future__ import annotations

from typing import Callable

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output
from irforge.core.op import Op

from ..node import OnnxNode

Translator = Callable[[OnnxNode], list[Output]]


def unary(op_class: type[Op], **attrs) -> Translator:
    """y = Op(x)."""
    def translate(n: OnnxNode) -> list[Output]:
        return [n.out(op_class(**attrs), n.input(0))]
    translate.__doc__ = f"-> {op_class.TYPE}"
    return translate


def binary(op_class: type[Op], **attrs) -> Translator:
    """z = Op(x, y) with numpy broadcasting (ONNX opset >= 7 semantics)."""
    def translate(n: OnnxNode) -> list[Output]:
        a, b = n.input(0), n.input(1)
        if n.opset < 7 and n.attr("broadcast", 0) and n.has_attr("axis"):
            b = align_legacy_broadcast(n, a, b, n.attr("axis"))
        return [n.out(op_class(**attrs), a, b)]
    translate.__doc__ = f"-> {op_class.TYPE}"
    return translate


def variadic(op_class: type[Op]) -> Translator:
    """Sum / Max / Min of any number of inputs: a chain of binary ops."""
    def translate(n: OnnxNode) -> list[Output]:
        xs = [x for x in n.inputs if x is not None]
        acc = xs[0]
        for x in xs[1:]:
            acc = n.out(op_class(), acc, x)
        return [acc]
    translate.__doc__ = f"-> chain of {op_class.TYPE}"
    return translate


def align_legacy_broadcast(n: OnnxNode, a: Output, b: Output, axis: int) -> Output:
    """Opsets < 7: `broadcast=1, axis=k` aligns B's dims with A's starting at k: add trailing 1s to B."""
    if a.shape.rank is None or b.shape.rank is None:
        raise n.error("legacy broadcast with axis needs known ranks")
    axis = axis + a.shape.rank if axis < 0 else axis
    trailing = a.shape.rank - axis - b.shape.rank
    if trailing <= 0:
        return b
    return n.out(ops.Unsqueeze(), b, n.const(np.arange(b.shape.rank, b.shape.rank + trailing, dtype=np.int64)))


def i64(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def identity(n: OnnxNode) -> list[Output]:
    """Identity, and ops that are identities at inference."""
    return [n.input(0)]


def cast_to(n: OnnxNode, x: Output, et: ElementType) -> Output:
    return x if x.element_type == et else n.out(ops.Convert(et), x)
