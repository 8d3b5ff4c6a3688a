"""Translator factories for TensorFlow ops that map one-to-one onto an opset op, and helpers all translators use."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output
from irforge.core.op import Op

from ..node import TfNode


def unary(op_class: type[Op], **attrs):
    """y = Op(x)."""
    def translate(n: TfNode) -> list[Output]:
        return [n.out(op_class(**attrs), n.input(0))]
    translate.__doc__ = f"-> {op_class.TYPE}"
    return translate


def binary(op_class: type[Op], **attrs):
    """z = Op(x, y) with numpy broadcasting (TensorFlow's own rule)."""
    def translate(n: TfNode) -> list[Output]:
        return [n.out(op_class(**attrs), n.input(0), n.input(1))]
    translate.__doc__ = f"-> {op_class.TYPE}"
    return translate


def identity(n: TfNode) -> list[Output]:
    """Identity and the ops that are identities at inference (StopGradient, ReadVariableOp, Snapshot...)."""
    return [n.input(0)]


def identity_n(n: TfNode) -> list[Output]:
    """Each input as it is."""
    return list(n.inputs)


def i64(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def scalar_like(n: TfNode, value: float, like: Output) -> Output:
    """A scalar constant of `like`'s element type."""
    et = like.element_type if like.element_type != ElementType.dynamic else ElementType.f32
    return n.const(np.asarray(value, dtype=et.numpy), et)


def cast_to(n: TfNode, x: Output, et: ElementType) -> Output:
    return x if x.element_type == et else n.out(ops.Convert(destination_type=et), x)
