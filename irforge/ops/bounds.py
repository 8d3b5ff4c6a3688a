"""Elementwise ops on partial values (shape vectors whose unknown elements are Intervals): each element is
carried as its bounds (lower, upper; upper None = unbounded), as OpenVINO's evaluate_lower / evaluate_upper do.

A result is kept only when it is exact: an int where both bounds meet, an Interval (never negative) otherwise,
a comparison only when the bounds decide it. Anything else gives None, and the op's output is then unknown."""
from __future__ import annotations

from typing import Callable, Optional, Union

import numpy as np

from irforge.core.element_type import ElementType
from irforge.core.op import PARTIAL_VALUE_LIMIT, TensorInfo, partial_value
from irforge.core.shape import Dim, make_dim

Bounds = tuple[int, Optional[int]]
BoundsRule = Callable[[Bounds, Bounds], Union[Bounds, bool, None]]


def _bounds(d: Dim) -> Bounds:
    return (d, d) if isinstance(d, int) else (d.lower, d.upper)


def _element(result: Bounds | bool | None) -> Dim | bool | None:
    if result is None or isinstance(result, bool):
        return result
    lower, upper = result
    if upper is not None and lower == upper:
        return lower
    if lower < 0 or (upper is not None and upper < lower):
        return None          # an unknown element that may be negative: not representable as an Interval
    return make_dim(lower, upper)


def _none_max(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else max(a, b)


def _none_min(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


# -- the rules ------------------------------------------------------------------------------------------------------
def add(a: Bounds, b: Bounds) -> Bounds:
    return a[0] + b[0], None if a[1] is None or b[1] is None else a[1] + b[1]


def subtract(a: Bounds, b: Bounds) -> Bounds | None:
    if b[1] is None:
        return None
    return a[0] - b[1], None if a[1] is None else a[1] - b[0]


def multiply(a: Bounds, b: Bounds) -> Bounds | None:
    if a[0] < 0 or b[0] < 0:
        return None
    if a[1] == 0 or b[1] == 0:
        return 0, 0
    return a[0] * b[0], None if a[1] is None or b[1] is None else a[1] * b[1]


def divide(a: Bounds, b: Bounds) -> Bounds | None:
    """Integer division of a non-negative value by a positive one (floor and truncation agree)."""
    if a[0] < 0 or b[0] < 1:
        return None
    return a[0] // b[1] if b[1] is not None else 0, None if a[1] is None else a[1] // b[0]


def maximum(a: Bounds, b: Bounds) -> Bounds:
    return max(a[0], b[0]), _none_max(a[1], b[1])


def minimum(a: Bounds, b: Bounds) -> Bounds:
    return min(a[0], b[0]), _none_min(a[1], b[1])


def _below(a: Bounds, b: Bounds) -> bool:
    """Every value of a is below every value of b."""
    return a[1] is not None and a[1] < b[0]


def equal(a: Bounds, b: Bounds) -> bool | None:
    if a[0] == a[1] == b[0] == b[1]:
        return True
    return False if _below(a, b) or _below(b, a) else None


def not_equal(a: Bounds, b: Bounds) -> bool | None:
    same = equal(a, b)
    return None if same is None else not same


def less(a: Bounds, b: Bounds) -> bool | None:
    if _below(a, b):
        return True
    return False if b[1] is not None and a[0] >= b[1] else None


def less_equal(a: Bounds, b: Bounds) -> bool | None:
    if a[1] is not None and a[1] <= b[0]:
        return True
    return False if _below(b, a) else None


def greater(a: Bounds, b: Bounds) -> bool | None:
    return less(b, a)


def greater_equal(a: Bounds, b: Bounds) -> bool | None:
    return less_equal(b, a)


# -- applying a rule -------------------------------------------------------------------------------------------------
def _objects(elements: tuple[Dim, ...], info: TensorInfo) -> np.ndarray | None:
    if not info.shape.is_static or int(np.prod(info.shape.to_static())) != len(elements):
        return None
    array = np.empty(len(elements), dtype=object)
    array[:] = [_bounds(d) for d in elements]
    return array.reshape(info.shape.to_static())


def binary(rule: BoundsRule, x: TensorInfo, y: TensorInfo, out: TensorInfo) -> TensorInfo:
    """`out` (an elementwise op's inferred output) with the value or partial value that `rule` finds from the
    inputs' partial values; `out` unchanged when an input has none or an element is left undecided."""
    if x.partial is None and y.partial is None:
        return out
    px, py = partial_value(x), partial_value(y)
    if px is None or py is None or not (x.element_type.is_integral and y.element_type.is_integral):
        return out
    a, b = _objects(px, x), _objects(py, y)
    if a is None or b is None:
        return out
    shape = np.broadcast_shapes(a.shape, b.shape)
    if int(np.prod(shape)) > PARTIAL_VALUE_LIMIT:
        return out
    pairs = zip(np.broadcast_to(a, shape).reshape(-1), np.broadcast_to(b, shape).reshape(-1))
    elements = [_element(rule(p, q)) for p, q in pairs]
    if any(e is None for e in elements):
        return out
    if out.element_type == ElementType.boolean:
        return TensorInfo(out.element_type, out.shape, np.array(elements, dtype=bool).reshape(shape))
    if all(isinstance(e, int) for e in elements):
        return TensorInfo(out.element_type, out.shape, np.array(elements, out.element_type.numpy).reshape(shape))
    return TensorInfo(out.element_type, out.shape, None, tuple(elements))  # type: ignore[arg-type]


def reduce(rule: BoundsRule, x: TensorInfo, axes: list[int] | None, out: TensorInfo) -> TensorInfo:
    """`out` of a reduction of the whole of a 1-D partial value (ReduceProd of the leading dims of a shape),
    with the value or partial value that folding `rule` over the elements gives."""
    if x.partial is None or x.rank != 1 or axes != [0] or not x.element_type.is_integral or not x.partial:
        return out
    total: Bounds | None = _bounds(x.partial[0])
    for d in x.partial[1:]:
        folded = rule(total, _bounds(d)) if total is not None else None
        total = folded if isinstance(folded, tuple) else None
    element = _element(total)
    if element is None or isinstance(element, bool):
        return out
    if isinstance(element, int):
        return TensorInfo(out.element_type, out.shape, np.full(out.shape.to_static(), element,
                                                                 out.element_type.numpy))
    return TensorInfo(out.element_type, out.shape, None, (element,))
