"""What every op module uses: the Op base, TensorInfo, enums shared by several ops, and inference helpers."""
from __future__ import annotations

from enum import Enum
from typing import Sequence

import numpy as np

from irforge.core.element_type import ElementType
from irforge.core.graph import Constant, Parameter, Result
from irforge.core.op import Op, TensorInfo, partial_value
from irforge.core.shape import DYNAMIC, Dim, Interval, PartialShape, broadcast_shapes, normalize_axis
from irforge.errors import NotEvaluable

__all__ = [
    "AutoPad", "Constant", "Dim", "DYNAMIC", "ElementType", "Interval", "NotEvaluable", "Op", "Parameter",
    "PartialShape", "Result", "RoundingType", "TensorInfo", "broadcast_info", "normalize_axis", "same_element_type",
    "unknown", "axes_value", "static_value", "require_rank", "partial_value",
]


class AutoPad(Enum):
    EXPLICIT = "explicit"
    SAME_UPPER = "same_upper"
    SAME_LOWER = "same_lower"
    VALID = "valid"


class RoundingType(Enum):
    FLOOR = "floor"
    CEIL = "ceil"
    CEIL_TORCH = "ceil_torch"  # opset14: a last window that starts past the input and its begin pad is dropped


def same_element_type(op: Op, *infos: TensorInfo) -> ElementType:
    """The one element type all inputs share ("dynamic" matches anything); raises when two differ."""
    types = {i.element_type for i in infos if i.element_type != ElementType.dynamic}
    if len(types) > 1:
        raise ValueError(f"{op.TYPE} inputs must share one element type, got "
                         + ", ".join(sorted(t.value for t in types)))
    return types.pop() if types else ElementType.dynamic


def broadcast_info(op: Op, *infos: TensorInfo, element_type: ElementType | None = None) -> TensorInfo:
    """numpy-broadcast output of an elementwise op."""
    et = element_type or same_element_type(op, *infos)
    return TensorInfo(et, broadcast_shapes(*(i.shape for i in infos)))


def unknown(element_type: ElementType, rank: int | None = None) -> TensorInfo:
    """A tensor of that type whose shape inference knows only the rank (or nothing)."""
    return TensorInfo(element_type, PartialShape(None) if rank is None else PartialShape.dynamic(rank))


def static_value(info: TensorInfo, what: str) -> np.ndarray | None:
    """The known value of an input that an op needs for shape inference (axes, target shape...), or None."""
    return None if info.value is None else np.asarray(info.value)


def axes_value(info: TensorInfo, rank: int | None) -> list[int] | None:
    """Known axes input, normalised to non-negative (None if not known at conversion time or rank unknown)."""
    if info.value is None or rank is None:
        return None
    return sorted({normalize_axis(int(a), rank) for a in np.asarray(info.value).reshape(-1)})


def require_rank(op: Op, info: TensorInfo, allowed: Sequence[int] | int, what: str = "input") -> None:
    rank = info.shape.rank
    allowed = (allowed,) if isinstance(allowed, int) else tuple(allowed)
    if rank is not None and rank not in allowed:
        raise ValueError(f"{op.TYPE} {what} must have rank {' or '.join(map(str, allowed))}, got [{info.shape}]")
