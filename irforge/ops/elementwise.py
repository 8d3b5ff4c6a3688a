"""Elementwise ops: binary arithmetic, comparison and logic with numpy broadcasting; unary math; Select, Convert."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np

from . import bounds
from .base import ElementType, Op, TensorInfo, broadcast_info, same_element_type


# -- binary ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BinaryOp(Op):
    """x OP y with numpy broadcasting (auto_broadcast="numpy", the only mode irforge emits)."""

    auto_broadcast: str = "numpy"
    OUT_BOOLEAN: ClassVar[bool] = False
    # The op on the bounds of partial values (shape arithmetic on dynamic dims), or None (see bounds.py).
    BOUNDS: ClassVar[Callable | None] = None

    def infer(self, x: TensorInfo, y: TensorInfo) -> list[TensorInfo]:
        if self.auto_broadcast not in ("numpy", "none"):
            raise ValueError(f"auto_broadcast {self.auto_broadcast!r} is not supported")
        if self.OUT_BOOLEAN:
            same_element_type(self, x, y)
            info = broadcast_info(self, x, y, element_type=ElementType.boolean)
        else:
            info = broadcast_info(self, x, y)
        rule = type(self).BOUNDS
        return [bounds.binary(rule, x, y, info) if rule is not None else info]

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        with np.errstate(all="ignore"):
            out = self.compute(x, y)
        return [np.asarray(out, dtype=np.bool_ if self.OUT_BOOLEAN else x.dtype)]

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def _binary(type_name: str, fn: Callable[[np.ndarray, np.ndarray], np.ndarray], boolean: bool = False,
            doc: str = "", rule: bounds.BoundsRule | None = None) -> type[BinaryOp]:
    cls = type(type_name, (BinaryOp,), {
        "TYPE": type_name, "OUT_BOOLEAN": boolean, "__doc__": doc or f"opset1 {type_name}", "BOUNDS": rule,
        "compute": lambda self, x, y: fn(x, y), "__module__": __name__, "__qualname__": type_name})
    return dataclass(frozen=True)(cls)


def _int_pow(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype.kind in "iu":
        # Negative integer exponents: numpy refuses them; the runtime computes in float and truncates.
        return np.power(x.astype(np.float64), y.astype(np.float64)).astype(x.dtype)
    return np.power(x, y)


Add = _binary("Add", np.add, rule=bounds.add)
Subtract = _binary("Subtract", np.subtract, rule=bounds.subtract)
Multiply = _binary("Multiply", np.multiply, rule=bounds.multiply)
Power = _binary("Power", _int_pow)
Maximum = _binary("Maximum", np.maximum, rule=bounds.maximum)
Minimum = _binary("Minimum", np.minimum, rule=bounds.minimum)
SquaredDifference = _binary("SquaredDifference", lambda x, y: np.square(x - y))
FloorMod = _binary("FloorMod", lambda x, y: np.mod(x, y) if x.dtype.kind in "iu" else x - np.floor(x / y) * y,
                   doc="opset1 FloorMod: the result takes the divisor's sign (Python %)")
Mod = _binary("Mod", lambda x, y: np.fmod(x, y), doc="opset1 Mod: truncated; the result takes the dividend's sign")
Equal = _binary("Equal", np.equal, True, rule=bounds.equal)
NotEqual = _binary("NotEqual", np.not_equal, True, rule=bounds.not_equal)
Less = _binary("Less", np.less, True, rule=bounds.less)
LessEqual = _binary("LessEqual", np.less_equal, True, rule=bounds.less_equal)
Greater = _binary("Greater", np.greater, True, rule=bounds.greater)
GreaterEqual = _binary("GreaterEqual", np.greater_equal, True, rule=bounds.greater_equal)
LogicalAnd = _binary("LogicalAnd", np.logical_and, True)
LogicalOr = _binary("LogicalOr", np.logical_or, True)
LogicalXor = _binary("LogicalXor", np.logical_xor, True)


@dataclass(frozen=True)
class Divide(BinaryOp):
    """opset1 Divide. Integer division floors when m_pythondiv is true (Python //), else truncates toward 0 (C).

    The spec's floor is what OpenVINO's own evaluate (constant folding) computes; the CPU plugin's integer kernel
    ignores m_pythondiv and always truncates, so frontends that need floor division of run-time integer tensors
    must not rely on m_pythondiv."""

    TYPE = "Divide"
    BOUNDS = bounds.divide
    m_pythondiv: bool = True

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if x.dtype.kind not in "iu":
            return np.divide(x, y)
        safe = np.where(y == 0, 1, y)
        floor = np.floor_divide(x, safe)
        if self.m_pythondiv:
            return floor
        # Truncation in integers (a float64 detour loses int64 precision): floor + 1 where the signs differ
        # and the division is not exact.
        inexact = (x - floor * safe) != 0
        return floor + (inexact & ((x < 0) != (safe < 0))).astype(x.dtype)


# -- unary ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnaryOp(Op):
    """y = f(x), same type and shape."""

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        return [TensorInfo(x.element_type, x.shape)]

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        with np.errstate(all="ignore"):
            return [np.asarray(self.compute(x)).astype(x.dtype, copy=False)]

    def compute(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def _unary(type_name: str, fn: Callable[[np.ndarray], np.ndarray], version: str = "opset1",
           doc: str = "") -> type[UnaryOp]:
    cls = type(type_name, (UnaryOp,), {
        "TYPE": type_name, "VERSION": version, "__doc__": doc or f"{version} {type_name}",
        "compute": lambda self, x: fn(x), "__module__": __name__, "__qualname__": type_name})
    return dataclass(frozen=True)(cls)


_erf_scalar = np.frompyfunc(math.erf, 1, 1)


def erf(x: np.ndarray) -> np.ndarray:
    """Exact erf through math.erf (numpy has none, and runtime deps stay numpy-only)."""
    return np.asarray(_erf_scalar(np.asarray(x, np.float64)), np.float64)


def _float_only(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Transcendental ops on integer tensors compute in float and round back, as the runtime does."""
    def apply(x: np.ndarray) -> np.ndarray:
        if x.dtype.kind in "iub":
            return np.round(fn(x.astype(np.float64)))
        return fn(x)
    return apply


Abs = _unary("Abs", np.abs)
Negative = _unary("Negative", np.negative)
Sign = _unary("Sign", np.sign)
Floor = _unary("Floor", lambda x: x if x.dtype.kind in "iu" else np.floor(x))
Ceiling = _unary("Ceiling", lambda x: x if x.dtype.kind in "iu" else np.ceil(x))
Sqrt = _unary("Sqrt", _float_only(np.sqrt))
Exp = _unary("Exp", _float_only(np.exp))
Log = _unary("Log", _float_only(np.log))
Sin = _unary("Sin", _float_only(np.sin))
Cos = _unary("Cos", _float_only(np.cos))
Tan = _unary("Tan", _float_only(np.tan))
Asin = _unary("Asin", _float_only(np.arcsin))
Acos = _unary("Acos", _float_only(np.arccos))
Atan = _unary("Atan", _float_only(np.arctan))
Sinh = _unary("Sinh", _float_only(np.sinh))
Cosh = _unary("Cosh", _float_only(np.cosh))
Asinh = _unary("Asinh", _float_only(np.arcsinh), "opset4")
Acosh = _unary("Acosh", _float_only(np.arccosh), "opset4")
Atanh = _unary("Atanh", _float_only(np.arctanh), "opset4")
Erf = _unary("Erf", _float_only(erf))
LogicalNot = _unary("LogicalNot", np.logical_not)


@dataclass(frozen=True)
class Round(UnaryOp):
    """opset5 Round: half_to_even (banker's) or half_away_from_zero."""

    TYPE = "Round"
    VERSION = "opset5"
    mode: str = "half_to_even"

    def compute(self, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind in "iu":
            return x
        if self.mode == "half_to_even":
            return np.round(x)
        return np.sign(x) * np.floor(np.abs(x) + 0.5)


@dataclass(frozen=True)
class Select(Op):
    """opset1 Select: cond ? then : else, all three broadcast together."""

    TYPE = "Select"
    MOVES_PARTIAL_VALUES = True
    auto_broadcast: str = "numpy"

    def infer(self, cond: TensorInfo, then: TensorInfo, other: TensorInfo) -> list[TensorInfo]:
        if cond.element_type not in (ElementType.boolean, ElementType.dynamic):
            raise ValueError(f"Select condition must be boolean, got {cond.element_type.value}")
        et = same_element_type(self, then, other)
        return [broadcast_info(self, cond, then, other, element_type=et)]

    def evaluate(self, cond: np.ndarray, then: np.ndarray, other: np.ndarray) -> list[np.ndarray]:
        # (result_type, not then.dtype: a partial value, an object array, may be either branch)
        return [np.where(cond, then, other).astype(np.result_type(then, other), copy=False)]


@dataclass(frozen=True)
class Convert(Op):
    """opset1 Convert: element type conversion; float -> integer truncates toward zero and saturates."""

    TYPE = "Convert"
    destination_type: ElementType = ElementType.f32

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        # A shape vector cast between integer types keeps what is known of it (its dims fit either type).
        keep = x.partial is not None and x.element_type.is_integral and self.destination_type.is_integral
        return [TensorInfo(self.destination_type, x.shape, None, x.partial if keep else None)]

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        return [convert_array(x, self.destination_type)]


@dataclass(frozen=True)
class ConvertLike(Op):
    """opset1 ConvertLike: convert `data` to the element type of `like`."""

    TYPE = "ConvertLike"

    def infer(self, data: TensorInfo, like: TensorInfo) -> list[TensorInfo]:
        return [TensorInfo(like.element_type, data.shape)]

    def evaluate(self, data: np.ndarray, like: np.ndarray) -> list[np.ndarray]:
        return [convert_array(data, ElementType.from_numpy(like.dtype))]


def convert_array(x: np.ndarray, target: ElementType) -> np.ndarray:
    dtype = target.numpy
    if target == ElementType.boolean:
        return x != 0
    if dtype.kind in "iu" and x.dtype.kind == "f":
        info = np.iinfo(dtype)
        with np.errstate(invalid="ignore"):
            return np.clip(np.trunc(np.nan_to_num(x.astype(np.float64))), info.min, info.max).astype(dtype)
    if target == ElementType.bf16:
        bits = np.asarray(x, np.float32).view(np.uint32)
        rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000  # round to nearest even, as bf16 storage does
        return rounded.astype(np.uint32).view(np.float32)
    with np.errstate(all="ignore"):
        return x.astype(dtype)


OPS: tuple[type[Op], ...] = (
    Add, Subtract, Multiply, Divide, Power, Maximum, Minimum, SquaredDifference, FloorMod, Mod,
    Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual, LogicalAnd, LogicalOr, LogicalXor, LogicalNot,
    Abs, Negative, Sign, Floor, Ceiling, Sqrt, Exp, Log, Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh,
    Asinh, Acosh, Atanh, Erf, Round, Select, Convert, ConvertLike,
)
__all__ = [c.__name__ for c in OPS]
