"""Indexing: Gather, StridedSlice, Slice, Range."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge.core.shape import DYNAMIC, Dim, Interval, make_dim

from .base import ElementType, Op, PartialShape, TensorInfo, normalize_axis, partial_value


def _ints(info: TensorInfo) -> list[int] | None:
    return None if info.value is None else [int(v) for v in np.asarray(info.value).reshape(-1)]


@dataclass(frozen=True)
class Gather(Op):
    """opset8 Gather: indices (negative allowed) along an axis, with batch_dims leading dims in common."""

    TYPE = "Gather"
    MOVES_PARTIAL_VALUES = True
    VERSION = "opset8"
    batch_dims: int = 0

    def infer(self, data: TensorInfo, indices: TensorInfo, axis: TensorInfo) -> list[TensorInfo]:
        a = _ints(axis)
        if data.rank is None or indices.rank is None or a is None:
            return [TensorInfo(data.element_type, PartialShape(None))]
        ax = normalize_axis(a[0], data.rank)
        b = self.batch_dims + indices.rank if self.batch_dims < 0 else self.batch_dims
        if b > ax:
            raise ValueError(f"batch_dims {self.batch_dims} must not exceed axis {ax}")
        out = list(data.shape[:ax]) + list(indices.shape[b:]) + list(data.shape[ax + 1:])
        return [TensorInfo(data.element_type, PartialShape(out))]

    def evaluate(self, data: np.ndarray, indices: np.ndarray, axis: np.ndarray) -> list[np.ndarray]:
        ax = normalize_axis(int(axis.reshape(-1)[0]), data.ndim)
        idx = np.where(indices < 0, indices + data.shape[ax], indices).astype(np.int64)
        b = self.batch_dims + indices.ndim if self.batch_dims < 0 else self.batch_dims
        if b == 0:
            return [np.take(data, idx, axis=ax)]
        batch = data.shape[:b]
        d = data.reshape((-1,) + data.shape[b:])
        i = idx.reshape((-1,) + idx.shape[b:])
        parts = [np.take(d[k], i[k], axis=ax - b) for k in range(d.shape[0])]
        out = np.stack(parts) if parts else np.zeros((0,), data.dtype)
        return [out.reshape(batch + out.shape[1:])]


def _slice_dim(size: Dim, start: int, stop: int, step: int) -> Dim:
    if isinstance(size, int):
        return len(range(*slice(start, stop, step).indices(size)))
    assert isinstance(size, Interval)
    lower = len(range(*slice(start, stop, step).indices(size.lower))) if start >= 0 and stop >= 0 else 0
    upper = _slice_length_bound(size.lower, size.upper, start, stop, step)
    return make_dim(lower if upper is None or lower <= upper else 0, upper)


def _slice_dim_bounds(size: Dim, start: Dim, stop: Dim, step: int) -> Dim:
    """The length of a slice of a static axis whose start or stop is only bounded (a dynamic dim, so never
    negative): the length is monotonic in each, so the extreme bounds give its extremes."""
    if not isinstance(size, int):
        return DYNAMIC
    def ends(d: Dim) -> tuple[int, int]:
        return (d, d) if isinstance(d, int) else (d.lower, size if d.upper is None else min(d.upper, size))
    lengths = [len(range(*slice(b, e, step).indices(size))) for b in ends(start) for e in ends(stop)]
    return make_dim(min(lengths), max(lengths))


def _slice_length_bound(lower: int, upper: int | None, start: int, stop: int, step: int) -> int | None:
    """The largest length of x[start:stop:step] over axis sizes in [lower, upper] (upper None: unbounded), or None
    when there is none (x[2:] of an unbounded axis). The length is piecewise monotonic in the size, changing
    course only where the size passes |start| or |stop|, so its maximum is at those sizes, at the ends, or
    reached for huge sizes (x[:100] and x[-5:] stay bounded on an unbounded axis)."""
    def length(n: int) -> int:
        return len(range(*slice(start, stop, step).indices(n)))
    top = upper if upper is not None else 2 ** 40
    if upper is None and length(2 ** 40) != length(2 ** 41):
        return None
    sizes = {lower, top} | {abs(b) + d for b in (start, stop) for d in (-1, 0, 1) if lower <= abs(b) + d <= top}
    return max(length(n) for n in sizes)


@dataclass(frozen=True)
class StridedSlice(Op):
    """opset1 StridedSlice: begin/end/stride inputs with begin/end/new_axis/shrink_axis/ellipsis masks."""

    TYPE = "StridedSlice"
    MOVES_PARTIAL_VALUES = True
    begin_mask: tuple[int, ...] = ()
    end_mask: tuple[int, ...] = ()
    new_axis_mask: tuple[int, ...] = ()
    shrink_axis_mask: tuple[int, ...] = ()
    ellipsis_mask: tuple[int, ...] = ()

    def attributes(self) -> dict:
        """The runtime requires every non-empty mask to be as long as begin_mask: write all five masks at one
        length (missing bits are 0, so padding changes nothing)."""
        attrs = Op.attributes(self)
        names = ("begin_mask", "end_mask", "new_axis_mask", "shrink_axis_mask", "ellipsis_mask")
        width = max(len(attrs[n]) for n in names)
        for n in names:
            attrs[n] = tuple(attrs[n]) + (0,) * (width - len(attrs[n]))
        return attrs

    def _index(self, rank: int, begin: list[int], end: list[int], strides: list[int]) -> list:
        """The numpy index the masks describe: slices, None (new axis), ints (shrink), Ellipsis."""
        def bit(mask: tuple[int, ...], i: int) -> bool:
            return i < len(mask) and mask[i] == 1
        index: list = []
        for i in range(len(begin)):
            if bit(self.ellipsis_mask, i):
                index.append(Ellipsis)
            elif bit(self.new_axis_mask, i):
                index.append(None)
            elif bit(self.shrink_axis_mask, i):
                index.append(begin[i])
            else:
                index.append(slice(None if bit(self.begin_mask, i) else begin[i],
                                   None if bit(self.end_mask, i) else end[i], strides[i]))
        return index

    def infer(self, x: TensorInfo, begin: TensorInfo, end: TensorInfo, strides: TensorInfo | None = None
              ) -> list[TensorInfo]:
        b, e = _ints(begin), _ints(end)
        s = _ints(strides) if strides is not None else (None if b is None else [1] * len(b))
        if x.rank is None or b is None or e is None or s is None:
            return [TensorInfo(x.element_type, PartialShape(None))]
        if 0 in s:
            raise ValueError("StridedSlice strides must not be 0")
        index = self._index(x.rank, b, e, s)
        if Ellipsis in index:
            k = index.index(Ellipsis)
            consumed = sum(1 for v in index if v is not None and v is not Ellipsis)
            index = index[:k] + [slice(None)] * (x.rank - consumed) + index[k + 1:]
        out: list[Dim] = []
        axis = 0
        for item in index:
            if item is None:
                out.append(1)
                continue
            if axis >= x.rank:
                raise ValueError(f"StridedSlice indexes {axis + 1} axes of a rank-{x.rank} input")
            if isinstance(item, slice):
                out.append(_slice_dim(x.shape[axis], *_slice_parts(item)))
            axis += 1
        out.extend(x.shape[axis:])
        return [TensorInfo(x.element_type, PartialShape(out))]

    def evaluate(self, x: np.ndarray, begin: np.ndarray, end: np.ndarray, strides: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        b, e = [int(v) for v in begin.reshape(-1)], [int(v) for v in end.reshape(-1)]
        s = [int(v) for v in strides.reshape(-1)] if strides is not None else [1] * len(b)
        return [np.array(x[tuple(self._index(x.ndim, b, e, s))])]


def _slice_parts(item: slice) -> tuple[int, int, int]:
    step = 1 if item.step is None else item.step
    start = item.start if item.start is not None else (0 if step > 0 else 2 ** 62)
    stop = item.stop if item.stop is not None else (2 ** 62 if step > 0 else -2 ** 62)
    return start, stop, step


@dataclass(frozen=True)
class Slice(Op):
    """opset8 Slice: start/stop/step (and optional axes) inputs, clamped like Python slices."""

    TYPE = "Slice"
    MOVES_PARTIAL_VALUES = True
    VERSION = "opset8"

    def infer(self, x: TensorInfo, start: TensorInfo, stop: TensorInfo, step: TensorInfo,
              axes: TensorInfo | None = None) -> list[TensorInfo]:
        st, sp, sd = partial_value(start), partial_value(stop), _ints(step)
        if x.rank is None:
            return [TensorInfo(x.element_type, PartialShape(None))]
        ax = list(range(len(st))) if axes is None and st is not None else (_ints(axes) if axes is not None else None)
        if st is None or sp is None or sd is None or ax is None:
            return [TensorInfo(x.element_type, PartialShape.dynamic(x.rank))]
        if 0 in sd:
            raise ValueError("Slice step must not be 0")
        out = list(x.shape)
        for a, b, e, s in zip(ax, st, sp, sd):
            a = normalize_axis(a, x.rank)
            if isinstance(b, int) and isinstance(e, int):
                out[a] = _slice_dim(x.shape[a], b, e, s)
            else:
                out[a] = _slice_dim_bounds(x.shape[a], b, e, s)
        return [TensorInfo(x.element_type, PartialShape(out))]

    def evaluate(self, x, start, stop, step, axes=None):
        index = [slice(None)] * x.ndim
        ax = range(start.size) if axes is None else [int(a) for a in axes.reshape(-1)]
        for a, b, e, s in zip(ax, start.reshape(-1), stop.reshape(-1), step.reshape(-1)):
            index[normalize_axis(a, x.ndim)] = slice(int(b), int(e), int(s))
        return [np.array(x[tuple(index)])]


@dataclass(frozen=True)
class Range(Op):
    """opset4 Range: start, stop, step scalars; output_type given as an attribute."""

    TYPE = "Range"
    VERSION = "opset4"
    output_type: ElementType = ElementType.i64

    def infer(self, start: TensorInfo, stop: TensorInfo, step: TensorInfo) -> list[TensorInfo]:
        vals = [None if i.value is None else np.asarray(i.value).reshape(()).item() for i in (start, stop, step)]
        if any(v is None for v in vals):
            return [TensorInfo(self.output_type, PartialShape([DYNAMIC]))]
        a, b, s = vals
        if s == 0:
            raise ValueError("Range step must not be 0")
        if self.output_type.is_integral:
            a, b, s = int(a), int(b), int(s)  # type: ignore[arg-type]
        n = max(int(np.ceil((b - a) / s)), 0)  # type: ignore[operator]
        return [TensorInfo(self.output_type, PartialShape([n]))]

    def evaluate(self, start, stop, step):
        dtype = self.output_type.numpy
        a, b, s = (np.asarray(v).reshape(()).item() for v in (start, stop, step))
        if dtype.kind in "iu":
            a, b, s = int(a), int(b), int(s)
        n = max(int(np.ceil((b - a) / s)), 0)
        return [(a + np.arange(n, dtype=np.float64) * s).astype(dtype) if dtype.kind == "f"
                else np.arange(a, a + n * s, s, dtype=dtype)[:n]]


@dataclass(frozen=True)
class TopK(Op):
    """opset11 TopK: the k largest (mode max) or smallest values along an axis, and their indices.

    sort: "value" orders the k results by value, "index" by position, "none" leaves the order to the
    implementation (irforge returns them by value). `stable` keeps equal values in input order.
    """

    TYPE = "TopK"
    VERSION = "opset11"
    axis: int = -1
    mode: str = "max"
    sort: str = "value"
    index_element_type: ElementType = ElementType.i64
    stable: bool = False

    def infer(self, x: TensorInfo, k: TensorInfo) -> list[TensorInfo]:
        if x.rank is None:
            return [TensorInfo(x.element_type, PartialShape(None)), TensorInfo(self.index_element_type,
                                                                               PartialShape(None))]
        axis = normalize_axis(self.axis, x.rank)
        kv = _ints(k)
        dims = list(x.shape)
        if kv is not None:
            dim = dims[axis]
            dims[axis] = min(kv[0], dim) if isinstance(dim, int) else kv[0]
        else:
            dims[axis] = DYNAMIC
        shape = PartialShape(dims)
        return [TensorInfo(x.element_type, shape), TensorInfo(self.index_element_type, shape)]

    def evaluate(self, x: np.ndarray, k: np.ndarray) -> list[np.ndarray]:
        axis = normalize_axis(self.axis, x.ndim)
        kk = min(int(k.reshape(-1)[0]), x.shape[axis])
        key = -x if self.mode == "max" else x
        if x.dtype == np.bool_ or x.dtype.kind == "u":
            key = -x.astype(np.int64) if self.mode == "max" else x.astype(np.int64)
        # Stable by-value order: equal values keep input order (lowest index first), as OpenVINO's stable mode.
        order = np.argsort(key, axis=axis, kind="stable")
        idx = np.take(order, np.arange(kk), axis=axis)
        if self.sort == "index":
            idx = np.sort(idx, axis=axis)
        values = np.take_along_axis(x, idx, axis=axis)
        return [values, idx.astype(self.index_element_type.numpy)]


OPS: tuple[type[Op], ...] = (Gather, StridedSlice, Slice, Range, TopK)
__all__ = [c.__name__ for c in OPS]
