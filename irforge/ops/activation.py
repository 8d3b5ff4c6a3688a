"""Activations: ReLU family, sigmoid family, GELU/Swish/Mish, Softmax/LogSoftmax."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Op, TensorInfo, normalize_axis, same_element_type
from .elementwise import UnaryOp, erf


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0, x)


@dataclass(frozen=True)
class Relu(UnaryOp):
    TYPE = "ReLU"

    def compute(self, x):
        return np.maximum(x, 0)


@dataclass(frozen=True)
class Sigmoid(UnaryOp):
    TYPE = "Sigmoid"

    def compute(self, x):
        return _sigmoid(x.astype(np.float64) if x.dtype.kind in "iu" else x)


@dataclass(frozen=True)
class Tanh(UnaryOp):
    TYPE = "Tanh"

    def compute(self, x):
        return np.tanh(x) if x.dtype.kind == "f" else np.round(np.tanh(x.astype(np.float64)))


@dataclass(frozen=True)
class Elu(UnaryOp):
    TYPE = "Elu"
    alpha: float = 1.0

    def compute(self, x):
        return np.where(x > 0, x, self.alpha * (np.exp(np.minimum(x, 0)) - 1))


@dataclass(frozen=True)
class Clamp(UnaryOp):
    """opset1 Clamp; integer inputs clamp to ceil(min) and floor(max)."""

    TYPE = "Clamp"
    min: float = 0.0
    max: float = 0.0

    def compute(self, x):
        if x.dtype.kind in "iu":
            return np.clip(x, np.ceil(self.min), np.floor(self.max))
        return np.clip(x, x.dtype.type(self.min), x.dtype.type(self.max))


@dataclass(frozen=True)
class HSwish(UnaryOp):
    TYPE = "HSwish"
    VERSION = "opset4"

    def compute(self, x):
        return x * np.clip(x + 3, 0, 6) / 6


@dataclass(frozen=True)
class HSigmoid(UnaryOp):
    TYPE = "HSigmoid"
    VERSION = "opset5"

    def compute(self, x):
        return np.clip(x + 3, 0, 6) / 6


@dataclass(frozen=True)
class Mish(UnaryOp):
    TYPE = "Mish"
    VERSION = "opset4"

    def compute(self, x):
        return x * np.tanh(_softplus(x))


@dataclass(frozen=True)
class SoftPlus(UnaryOp):
    TYPE = "SoftPlus"
    VERSION = "opset4"

    def compute(self, x):
        return _softplus(x)


@dataclass(frozen=True)
class SoftSign(UnaryOp):
    TYPE = "SoftSign"
    VERSION = "opset9"

    def compute(self, x):
        return x / (1 + np.abs(x))


@dataclass(frozen=True)
class Gelu(UnaryOp):
    """opset7 Gelu: erf form, or the tanh approximation."""

    TYPE = "Gelu"
    VERSION = "opset7"
    approximation_mode: str = "ERF"

    def compute(self, x):
        if self.approximation_mode.upper() == "TANH":
            return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
        return 0.5 * x * (1 + erf(x / np.sqrt(2)))


@dataclass(frozen=True)
class Swish(Op):
    """opset4 Swish: x * sigmoid(beta * x); beta is an optional scalar input (default 1)."""

    TYPE = "Swish"
    VERSION = "opset4"

    def infer(self, x: TensorInfo, beta: TensorInfo | None = None) -> list[TensorInfo]:
        if beta is not None:
            same_element_type(self, x, beta)
            if beta.shape.rank not in (None, 0) and beta.shape != (1,):
                raise ValueError(f"Swish beta must be a scalar, got [{beta.shape}]")
        return [TensorInfo(x.element_type, x.shape)]

    def evaluate(self, x, beta=None):
        b = 1.0 if beta is None else beta.reshape(()).astype(x.dtype)
        return [(x * _sigmoid(x * b)).astype(x.dtype)]


@dataclass(frozen=True)
class PRelu(Op):
    """opset1 PRelu: slope broadcasts along the channel axis (1) when it is 1-D and the data has rank >= 2."""

    TYPE = "PReLU"

    def infer(self, x: TensorInfo, slope: TensorInfo) -> list[TensorInfo]:
        same_element_type(self, x, slope)
        return [TensorInfo(x.element_type, x.shape)]

    def evaluate(self, x, slope):
        if slope.ndim == 1 and x.ndim >= 2 and slope.size == x.shape[1] and slope.size != x.shape[-1]:
            slope = slope.reshape((-1,) + (1,) * (x.ndim - 2))
        return [np.where(x < 0, x * slope, x).astype(x.dtype)]


@dataclass(frozen=True)
class Selu(Op):
    """opset1 Selu: lambda * (x if x > 0 else alpha * (exp(x) - 1)); alpha and lambda are inputs."""

    TYPE = "Selu"

    def infer(self, x: TensorInfo, alpha: TensorInfo, lambda_: TensorInfo) -> list[TensorInfo]:
        return [TensorInfo(same_element_type(self, x, alpha, lambda_), x.shape)]

    def evaluate(self, x, alpha, lambda_):
        return [(lambda_ * np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))).astype(x.dtype)]


@dataclass(frozen=True)
class _OverOneAxis(Op):
    """An op normalizing over one axis (negative axes allowed): same type and shape out."""

    axis: int = 1

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        if x.rank is not None:
            normalize_axis(self.axis, x.rank)
        return [TensorInfo(x.element_type, x.shape)]


@dataclass(frozen=True)
class Softmax(_OverOneAxis):
    """opset8 Softmax over one axis (negative axes allowed)."""

    TYPE = "SoftMax"
    VERSION = "opset8"

    def evaluate(self, x):
        e = np.exp(x - np.max(x, axis=self.axis, keepdims=True))
        return [(e / np.sum(e, axis=self.axis, keepdims=True)).astype(x.dtype)]


@dataclass(frozen=True)
class LogSoftmax(_OverOneAxis):
    """opset5 LogSoftmax over one axis."""

    TYPE = "LogSoftmax"
    VERSION = "opset5"

    def evaluate(self, x):
        shifted = x - np.max(x, axis=self.axis, keepdims=True)
        return [(shifted - np.log(np.sum(np.exp(shifted), axis=self.axis, keepdims=True))).astype(x.dtype)]


OPS: tuple[type[Op], ...] = (
    Relu, Sigmoid, Tanh, Elu, Clamp, HSwish, HSigmoid, Mish, SoftPlus, SoftSign, Gelu, Swish, PRelu, Selu,
    Softmax, LogSoftmax,
)
__all__ = [c.__name__ for c in OPS]
