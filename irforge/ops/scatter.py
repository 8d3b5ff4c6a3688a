"""Data-dependent indexing: scatters (ScatterUpdate, ScatterElementsUpdate, ScatterNDUpdate), gathers (GatherND,
GatherElements), OneHot, NonZero, CumSum, Unique, ReverseSequence."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge.core.shape import DYNAMIC, Dim, Interval, make_dim

from .base import ElementType, Op, PartialShape, TensorInfo, normalize_axis


def _axis(info: TensorInfo) -> int | None:
    return None if info.value is None else int(np.asarray(info.value).reshape(-1)[0])


def _wrap(indices: np.ndarray, size: int) -> np.ndarray:
    """Negative indices count from the end."""
    indices = indices.astype(np.int64)
    return np.where(indices < 0, indices + size, indices)


@dataclass(frozen=True)
class ScatterUpdate(Op):
    """opset3 ScatterUpdate: data[..., indices[j...], ...] = updates[..., j..., ...] along the axis input; updates
    have shape data[:axis] + indices + data[axis+1:]. A later duplicate index wins. Indices must be in
    [0, dim): the CPU plugin rejects negative ones."""

    TYPE = "ScatterUpdate"
    VERSION = "opset3"

    def infer(self, data: TensorInfo, indices: TensorInfo, updates: TensorInfo, axis: TensorInfo
              ) -> list[TensorInfo]:
        return [TensorInfo(data.element_type, data.shape)]

    def evaluate(self, data, indices, updates, axis):
        ax = normalize_axis(int(axis.reshape(-1)[0]), data.ndim)
        out = data.copy()
        idx = indices.astype(np.int64).reshape(-1)
        if np.any((idx < 0) | (idx >= data.shape[ax])):
            raise ValueError(f"ScatterUpdate indices must be in [0, {data.shape[ax]})")
        moved = np.moveaxis(out, ax, 0)
        upd = updates.reshape(data.shape[:ax] + (idx.size,) + data.shape[ax + 1:])
        upd = np.moveaxis(upd, ax, 0)
        for k, i in enumerate(idx):
            moved[i] = upd[k]
        return [out]


_REDUCE = {
    "sum": np.add, "prod": np.multiply, "min": np.minimum, "max": np.maximum, "sub": np.subtract,
}


@dataclass(frozen=True)
class ScatterElementsUpdate(Op):
    """opset12 ScatterElementsUpdate: for each element of updates, data[.., indices[p], ..] (the index replacing the
    axis coordinate) is set or combined with `reduction` (none, sum, prod, min, max, mean). use_init_val=false
    leaves the original value out of the reduction."""

    TYPE = "ScatterElementsUpdate"
    VERSION = "opset12"
    reduction: str = "none"
    use_init_val: bool = True

    def infer(self, data: TensorInfo, indices: TensorInfo, updates: TensorInfo, axis: TensorInfo
              ) -> list[TensorInfo]:
        if self.reduction not in ("none", "sum", "prod", "min", "max", "mean"):
            raise ValueError(f"reduction {self.reduction!r} is not one of none, sum, prod, min, max, mean")
        return [TensorInfo(data.element_type, data.shape)]

    def evaluate(self, data, indices, updates, axis):
        ax = normalize_axis(int(axis.reshape(-1)[0]), data.ndim)
        out = data.copy()
        idx = _wrap(indices, data.shape[ax])
        coords = list(np.indices(idx.shape))
        coords[ax] = idx
        positions = list(zip(*(c.reshape(-1) for c in coords)))
        flat_updates = updates.reshape(-1)
        if self.reduction == "none":
            for pos, value in zip(positions, flat_updates):
                out[pos] = value
            return [out]
        groups: dict[tuple, list] = {}
        for pos, value in zip(positions, flat_updates):
            groups.setdefault(pos, []).append(value)
        for pos, values in groups.items():
            vals = ([out[pos]] if self.use_init_val else []) + values
            if self.reduction == "mean":
                result = np.sum(np.asarray(vals, np.float64)) / len(vals)
                out[pos] = np.floor(result) if out.dtype.kind in "iu" else result
            else:
                acc = vals[0]
                for v in vals[1:]:
                    acc = _REDUCE[self.reduction](acc, v)
                out[pos] = acc
        return [out]


@dataclass(frozen=True)
class ScatterNDUpdate(Op):
    """opset15 ScatterNDUpdate: each row of indices' last dim addresses a slice of data; updates have shape
    indices[:-1] + data[indices.shape[-1]:]. `reduction` combines (none, sum, sub, prod, min, max)."""

    TYPE = "ScatterNDUpdate"
    VERSION = "opset15"
    reduction: str = "none"

    def infer(self, data: TensorInfo, indices: TensorInfo, updates: TensorInfo) -> list[TensorInfo]:
        if self.reduction not in ("none", "sum", "sub", "prod", "min", "max"):
            raise ValueError(f"reduction {self.reduction!r} is not one of none, sum, sub, prod, min, max")
        return [TensorInfo(data.element_type, data.shape)]

    def evaluate(self, data, indices, updates):
        out = data.copy()
        depth = indices.shape[-1]
        rows = indices.reshape(-1, depth).astype(np.int64)
        rows = np.where(rows < 0, rows + np.asarray(data.shape[:depth]), rows)
        upd = updates.reshape((rows.shape[0],) + data.shape[depth:])
        for row, value in zip(rows, upd):
            key = tuple(row)
            out[key] = value if self.reduction == "none" else _REDUCE[self.reduction](out[key], value)
        return [out]


@dataclass(frozen=True)
class GatherND(Op):
    """opset8 GatherND: slices of data addressed by the rows of indices' last dim; the first batch_dims dims of
    data and indices are batch dims, kept in the output (not flattened as in GatherND-5)."""

    TYPE = "GatherND"
    VERSION = "opset8"
    batch_dims: int = 0

    def infer(self, data: TensorInfo, indices: TensorInfo) -> list[TensorInfo]:
        if data.rank is None or indices.rank is None or not isinstance(indices.shape[-1], int):
            return [TensorInfo(data.element_type, PartialShape(None))]
        depth = indices.shape[-1]
        b = self.batch_dims
        if b + depth > data.rank:
            raise ValueError(f"GatherND indices address {depth} dims after {b} batch dims of a rank-{data.rank} input")
        out = list(indices.shape[:-1]) + list(data.shape[b + depth:])  # type: ignore[arg-type]
        return [TensorInfo(data.element_type, PartialShape(out))]

    def evaluate(self, data, indices):
        b = self.batch_dims
        depth = indices.shape[-1]
        batch = data.shape[:b]
        d = data.reshape((-1,) + data.shape[b:])
        i = indices.reshape((-1,) + indices.shape[b:]).astype(np.int64)
        parts = []
        for k in range(d.shape[0]):
            rows = i[k].reshape(-1, depth)
            rows = np.where(rows < 0, rows + np.asarray(d.shape[1:1 + depth]), rows)
            parts.append(np.stack([d[k][tuple(r)] for r in rows]) if rows.shape[0] else
                         np.zeros((0,) + d.shape[1 + depth:], data.dtype))
        out = np.stack(parts) if parts else np.zeros((0,), data.dtype)
        return [out.reshape(batch + indices.shape[b:-1] + data.shape[b + depth:])]


@dataclass(frozen=True)
class GatherElements(Op):
    """opset6 GatherElements: out[p] = data[p with the axis coordinate replaced by indices[p]]. Data and indices
    must agree on every other axis (ONNX allows smaller indices: its translator slices data first)."""

    TYPE = "GatherElements"
    VERSION = "opset6"
    axis: int = 0

    def infer(self, data: TensorInfo, indices: TensorInfo) -> list[TensorInfo]:
        if data.rank is not None and indices.rank is not None:
            if data.rank != indices.rank:
                raise ValueError(f"GatherElements data [{data.shape}] and indices [{indices.shape}] differ in rank")
            ax = normalize_axis(self.axis, data.rank)
            dims = list(indices.shape)
            for i, (d, k) in enumerate(zip(data.shape, indices.shape)):
                if i != ax:
                    if isinstance(d, int) and isinstance(k, int) and d != k:
                        raise ValueError(f"GatherElements data [{data.shape}] and indices [{indices.shape}] must "
                                         f"agree except on axis {ax}")
                    dims[i] = k if isinstance(k, int) else d
            return [TensorInfo(data.element_type, PartialShape(dims))]
        return [TensorInfo(data.element_type, indices.shape)]

    def evaluate(self, data, indices):
        ax = normalize_axis(self.axis, data.ndim)
        return [np.take_along_axis(data, _wrap(indices, data.shape[ax]), axis=ax)]


@dataclass(frozen=True)
class OneHot(Op):
    """opset1 OneHot: a new axis of size depth holding on_value at each index and off_value elsewhere; indices
    outside [0, depth) give a row of off_value."""

    TYPE = "OneHot"
    axis: int = -1

    def infer(self, indices: TensorInfo, depth: TensorInfo, on: TensorInfo, off: TensorInfo) -> list[TensorInfo]:
        if indices.rank is None:
            return [TensorInfo(on.element_type, PartialShape(None))]
        d: Dim = DYNAMIC if depth.value is None else int(np.asarray(depth.value).reshape(-1)[0])
        dims = list(indices.shape)
        dims.insert(normalize_axis(self.axis, indices.rank + 1), d)
        return [TensorInfo(on.element_type, PartialShape(dims))]

    def evaluate(self, indices, depth, on, off):
        n = int(depth.reshape(-1)[0])
        axis = normalize_axis(self.axis, indices.ndim + 1)
        hot = np.expand_dims(indices.astype(np.int64), axis) == np.arange(n).reshape(
            [n if i == axis else 1 for i in range(indices.ndim + 1)])
        return [np.where(hot, on.reshape(()), off.reshape(())).astype(on.dtype)]


@dataclass(frozen=True)
class NonZero(Op):
    """opset3 NonZero: [rank, count] coordinates of the nonzero elements, in row-major order."""

    TYPE = "NonZero"
    VERSION = "opset3"
    output_type: ElementType = ElementType.i64

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        if x.rank is None:
            return [TensorInfo(self.output_type, PartialShape([DYNAMIC, DYNAMIC]))]
        total = int(np.prod(x.shape.to_static())) if x.shape.is_static else None
        return [TensorInfo(self.output_type, PartialShape([max(x.rank, 1), Interval(0, total)]))]

    def evaluate(self, x):
        return [np.array(np.nonzero(np.atleast_1d(x)), dtype=self.output_type.numpy).reshape(max(x.ndim, 1), -1)]


@dataclass(frozen=True)
class CumSum(Op):
    """opset3 CumSum along the axis input; exclusive leaves each element out of its own sum, reverse sums from
    the end. (The spec makes the axis optional, but the CPU plugin needs it: always give it.)"""

    TYPE = "CumSum"
    VERSION = "opset3"
    exclusive: bool = False
    reverse: bool = False

    def infer(self, x: TensorInfo, axis: TensorInfo | None = None) -> list[TensorInfo]:
        return [TensorInfo(x.element_type, x.shape)]

    def evaluate(self, x, axis=None):
        ax = 0 if axis is None else normalize_axis(int(axis.reshape(-1)[0]), x.ndim)
        data = np.flip(x, ax) if self.reverse else x
        out = np.cumsum(data, axis=ax, dtype=x.dtype)
        if self.exclusive:
            out = out - data
        return [np.flip(out, ax) if self.reverse else out]


@dataclass(frozen=True)
class Unique(Op):
    """opset10 Unique: the unique elements (of the flattened input, or unique slices along the axis input), the
    index of each one's first occurrence, each input element's index among them, and the counts."""

    TYPE = "Unique"
    VERSION = "opset10"
    sorted: bool = True
    index_element_type: ElementType = ElementType.i64
    count_element_type: ElementType = ElementType.i64

    def infer(self, x: TensorInfo, axis: TensorInfo | None = None) -> list[TensorInfo]:
        total = int(np.prod(x.shape.to_static())) if x.shape.is_static else None
        idx, cnt = self.index_element_type, self.count_element_type
        if axis is None:
            count = make_dim(1 if total else 0, total)
            n_in = total if total is not None else DYNAMIC
            return [TensorInfo(x.element_type, PartialShape([count])), TensorInfo(idx, PartialShape([count])),
                    TensorInfo(idx, PartialShape([n_in])), TensorInfo(cnt, PartialShape([count]))]
        a = _axis(axis)
        if a is None or x.rank is None:
            return [TensorInfo(x.element_type, PartialShape(None if x.rank is None else [DYNAMIC] * x.rank)),
                    TensorInfo(idx, PartialShape([DYNAMIC])), TensorInfo(idx, PartialShape([DYNAMIC])),
                    TensorInfo(cnt, PartialShape([DYNAMIC]))]
        a = normalize_axis(a, x.rank)
        size = x.shape[a]
        count = make_dim(1, size) if isinstance(size, int) and size else DYNAMIC
        dims = list(x.shape)
        dims[a] = count
        return [TensorInfo(x.element_type, PartialShape(dims)), TensorInfo(idx, PartialShape([count])),
                TensorInfo(idx, PartialShape([size])), TensorInfo(cnt, PartialShape([count]))]

    def evaluate(self, x, axis=None):
        if axis is None:
            values, first, inverse, counts = np.unique(x.reshape(-1), return_index=True, return_inverse=True,
                                                       return_counts=True)
            order = np.argsort(first, kind="stable") if not self.sorted else np.arange(len(values))
            values = values[order]
        else:
            a = normalize_axis(int(axis.reshape(-1)[0]), x.ndim)
            moved = np.moveaxis(x, a, 0)
            flat = moved.reshape(moved.shape[0], -1)
            _, first, inverse, counts = np.unique(flat, axis=0, return_index=True, return_inverse=True,
                                                  return_counts=True)
            order = np.argsort(first, kind="stable") if not self.sorted else np.arange(len(first))
            values = np.moveaxis(moved[first[order]], 0, a)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        idx, cnt = self.index_element_type.numpy, self.count_element_type.numpy
        return [values, first[order].astype(idx), rank[np.asarray(inverse).reshape(-1)].astype(idx),
                counts[order].astype(cnt)]


@dataclass(frozen=True)
class ReverseSequence(Op):
    """opset1 ReverseSequence: along seq_axis, the first seq_lengths[b] elements of batch b are reversed."""

    TYPE = "ReverseSequence"
    batch_axis: int = 0
    seq_axis: int = 1

    def infer(self, data: TensorInfo, lengths: TensorInfo) -> list[TensorInfo]:
        return [TensorInfo(data.element_type, data.shape)]

    def evaluate(self, data, lengths):
        b = normalize_axis(self.batch_axis, data.ndim)
        s = normalize_axis(self.seq_axis, data.ndim)
        out = data.copy()
        for k, length in enumerate(lengths.reshape(-1).astype(np.int64)):
            src = [slice(None)] * data.ndim
            src[b] = k
            dst = list(src)
            src[s] = slice(int(length) - 1, None, -1) if length > 0 else slice(0, 0)
            dst[s] = slice(0, int(length))
            out[tuple(dst)] = data[tuple(src)]
        return [out]


OPS: tuple[type[Op], ...] = (ScatterUpdate, ScatterElementsUpdate, ScatterNDUpdate, GatherND, GatherElements,
                             OneHot, NonZero, CumSum, Unique, ReverseSequence)
__all__ = [c.__name__ for c in OPS]
