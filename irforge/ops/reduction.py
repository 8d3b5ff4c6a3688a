"""Reductions over the axes of input 1: ReduceSum/Mean/Max/Min/Prod/L1/L2 and the logical ones."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np

from . import bounds
from .base import ElementType, Op, PartialShape, TensorInfo, axes_value


@dataclass(frozen=True)
class Reduce(Op):
    """Reduction over known axes; keep_dims leaves size-1 dims in place. An empty axes list reduces nothing."""

    keep_dims: bool = False
    # The reduction on the bounds of a partial value (the product of a shape's leading dims), or None.
    BOUNDS: ClassVar[Callable | None] = None

    def infer(self, x: TensorInfo, axes: TensorInfo) -> list[TensorInfo]:
        out = self._infer(x, axes)
        rule = type(self).BOUNDS
        if rule is None or x.partial is None:
            return out
        return [bounds.reduce(rule, x, axes_value(axes, x.rank), out[0])]

    def _infer(self, x: TensorInfo, axes: TensorInfo) -> list[TensorInfo]:
        et = self.out_type(x.element_type)
        if x.rank is None:
            return [TensorInfo(et, PartialShape(None))]
        known = axes_value(axes, x.rank)
        if known is None:
            n_axes = axes.shape[0] if axes.shape.rank == 1 else None
            if self.keep_dims:
                return [TensorInfo(et, PartialShape.dynamic(x.rank))]
            if isinstance(n_axes, int):
                return [TensorInfo(et, PartialShape.dynamic(x.rank - n_axes))]
            return [TensorInfo(et, PartialShape(None))]
        if self.keep_dims:
            return [TensorInfo(et, PartialShape([1 if i in known else d for i, d in enumerate(x.shape)]))]
        return [TensorInfo(et, PartialShape([d for i, d in enumerate(x.shape) if i not in known]))]

    def out_type(self, et: ElementType) -> ElementType:
        return et

    def evaluate(self, x: np.ndarray, axes: np.ndarray) -> list[np.ndarray]:
        # Empty axes reduce nothing, but the op still applies elementwise (ReduceL1 of x is |x|).
        ax = tuple(sorted({int(a) % max(x.ndim, 1) for a in axes.reshape(-1)}))
        with np.errstate(all="ignore"):
            out = self.reduce(x, ax)
        if self.keep_dims:
            out = np.expand_dims(out, ax) if np.ndim(out) < x.ndim else out
        return [np.asarray(out).astype(self.out_type(ElementType.from_numpy(x.dtype)).numpy)]

    def reduce(self, x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError


def _reduce(type_name: str, fn: Callable[[np.ndarray, tuple[int, ...]], np.ndarray], version: str = "opset1",
            boolean: bool = False, rule: Callable | None = None) -> type[Reduce]:
    attrs = {"TYPE": type_name, "VERSION": version, "__doc__": f"{version} {type_name}", "BOUNDS": rule,
             "reduce": lambda self, x, axes: fn(x, axes), "__module__": __name__, "__qualname__": type_name}
    if boolean:
        attrs["out_type"] = lambda self, et: ElementType.boolean
    return dataclass(frozen=True)(type(type_name, (Reduce,), attrs))


def _mean(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    if x.dtype.kind in "iu":  # integer mean truncates toward zero, as the runtime computes it
        count = max(int(np.prod([x.shape[a] for a in axes])), 1)
        total = np.sum(x, axis=axes, dtype=np.int64)
        return np.sign(total) * (np.abs(total) // count)
    return np.mean(x, axis=axes, dtype=np.float64 if x.dtype == np.float64 else np.float32)


ReduceSum = _reduce("ReduceSum", lambda x, a: np.sum(x, axis=a), rule=bounds.add)
ReduceMean = _reduce("ReduceMean", _mean)
def _extreme(x: np.ndarray, low: bool) -> object:
    """The runtime starts max / min from the type's lowest / highest finite value: an empty set gives it, and so
    does a set of only -inf (max) or +inf (min)."""
    if x.dtype == np.bool_:
        return not low
    info = np.finfo(x.dtype) if x.dtype.kind == "f" else np.iinfo(x.dtype)
    return info.min if low else info.max


def _max(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    return np.max(x, axis=axes, initial=_extreme(x, True))


def _min(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    return np.min(x, axis=axes, initial=_extreme(x, False))


ReduceMax = _reduce("ReduceMax", _max, rule=bounds.maximum)
ReduceMin = _reduce("ReduceMin", _min, rule=bounds.minimum)
ReduceProd = _reduce("ReduceProd", lambda x, a: np.prod(x, axis=a), rule=bounds.multiply)
ReduceL1 = _reduce("ReduceL1", lambda x, a: np.sum(np.abs(x), axis=a), "opset4")
ReduceL2 = _reduce("ReduceL2", lambda x, a: np.sqrt(np.sum(np.square(x.astype(np.float64)), axis=a)), "opset4")
ReduceLogicalAnd = _reduce("ReduceLogicalAnd", lambda x, a: np.all(x, axis=a), boolean=True)
ReduceLogicalOr = _reduce("ReduceLogicalOr", lambda x, a: np.any(x, axis=a), boolean=True)

OPS: tuple[type[Op], ...] = (ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2,
                             ReduceLogicalAnd, ReduceLogicalOr)
__all__ = [c.__name__ for c in OPS]
