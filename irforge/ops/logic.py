"""Bitwise ops and shifts (integers and booleans), and float classification: IsInf, IsNaN, IsFinite."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import ElementType, Op, TensorInfo
from .elementwise import BinaryOp, UnaryOp


def _integral_or_bool(op: Op, info: TensorInfo) -> None:
    if info.element_type.is_float:
        raise ValueError(f"{op.TYPE} takes integer or boolean inputs, got {info.element_type.value}")


@dataclass(frozen=True)
class _Bitwise(BinaryOp):
    def infer(self, x: TensorInfo, y: TensorInfo) -> list[TensorInfo]:
        _integral_or_bool(self, x)
        return super().infer(x, y)


@dataclass(frozen=True)
class BitwiseAnd(_Bitwise):
    """opset13 BitwiseAnd (logical and for booleans)."""

    TYPE = "BitwiseAnd"
    VERSION = "opset13"

    def compute(self, x, y):
        return np.bitwise_and(x, y)


@dataclass(frozen=True)
class BitwiseOr(_Bitwise):
    """opset13 BitwiseOr."""

    TYPE = "BitwiseOr"
    VERSION = "opset13"

    def compute(self, x, y):
        return np.bitwise_or(x, y)


@dataclass(frozen=True)
class BitwiseXor(_Bitwise):
    """opset13 BitwiseXor."""

    TYPE = "BitwiseXor"
    VERSION = "opset13"

    def compute(self, x, y):
        return np.bitwise_xor(x, y)


@dataclass(frozen=True)
class BitwiseNot(UnaryOp):
    """opset13 BitwiseNot (logical not for booleans)."""

    TYPE = "BitwiseNot"
    VERSION = "opset13"

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        _integral_or_bool(self, x)
        return super().infer(x)

    def compute(self, x):
        return np.invert(x)


def _shift(x: np.ndarray, y: np.ndarray, left: bool) -> np.ndarray:
    """Shifts by the element's bit width or more give 0 (numpy would wrap the count, C leaves it undefined)."""
    bits = x.dtype.itemsize * 8
    count = np.asarray(y).astype(np.int64)
    shifted = np.left_shift(x, count.astype(x.dtype)) if left else np.right_shift(x, count.astype(x.dtype))
    too_far = (count >= bits) | (count < 0)
    if not np.any(too_far):
        return shifted
    fill = np.zeros_like(shifted) if left or x.dtype.kind == "u" else np.where(x < 0, -1, 0).astype(x.dtype)
    return np.where(too_far, fill, shifted)


@dataclass(frozen=True)
class BitwiseLeftShift(_Bitwise):
    """opset15 BitwiseLeftShift: x << y."""

    TYPE = "BitwiseLeftShift"
    VERSION = "opset15"

    def compute(self, x, y):
        return _shift(x, y, left=True)


@dataclass(frozen=True)
class BitwiseRightShift(_Bitwise):
    """opset15 BitwiseRightShift: x >> y (arithmetic for signed types)."""

    TYPE = "BitwiseRightShift"
    VERSION = "opset15"

    def compute(self, x, y):
        return _shift(x, y, left=False)


@dataclass(frozen=True)
class _FloatCheck(Op):
    VERSION = "opset10"

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        if not x.element_type.is_float and x.element_type != ElementType.dynamic:
            raise ValueError(f"{self.TYPE} takes a floating-point input, got {x.element_type.value}")
        return [TensorInfo(ElementType.boolean, x.shape)]


@dataclass(frozen=True)
class IsInf(_FloatCheck):
    """opset10 IsInf: true where x is +inf (detect_positive) or -inf (detect_negative)."""

    TYPE = "IsInf"
    detect_negative: bool = True
    detect_positive: bool = True

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        return [(np.isposinf(x) & self.detect_positive) | (np.isneginf(x) & self.detect_negative)]


@dataclass(frozen=True)
class IsNaN(_FloatCheck):
    """opset10 IsNaN."""

    TYPE = "IsNaN"

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        return [np.isnan(x)]


@dataclass(frozen=True)
class IsFinite(_FloatCheck):
    """opset10 IsFinite: neither infinite nor NaN."""

    TYPE = "IsFinite"

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        return [np.isfinite(x)]


OPS: tuple[type[Op], ...] = (BitwiseAnd, BitwiseOr, BitwiseXor, BitwiseNot, BitwiseLeftShift, BitwiseRightShift,
                             IsInf, IsNaN, IsFinite)
__all__ = [c.__name__ for c in OPS]
