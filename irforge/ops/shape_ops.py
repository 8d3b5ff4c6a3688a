"""Ops that move data without arithmetic: Reshape, Squeeze/Unsqueeze, Transpose, Concat, Split, ShapeOf,
Broadcast, Tile, Pad."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge.core.shape import DYNAMIC, Dim, Interval, dim_add, dim_mul, make_dim

from .base import (ElementType, Op, PartialShape, TensorInfo, axes_value, normalize_axis, partial_value,
                   same_element_type)


def _known_ints(info: TensorInfo) -> list[int] | None:
    return None if info.value is None else [int(v) for v in np.asarray(info.value).reshape(-1)]


@dataclass(frozen=True)
class Reshape(Op):
    """opset1 Reshape: target shape as input 1; -1 infers one dim; with special_zero, 0 copies the input dim."""

    TYPE = "Reshape"
    MOVES_PARTIAL_VALUES = True
    special_zero: bool = False

    def infer(self, x: TensorInfo, target: TensorInfo) -> list[TensorInfo]:
        dims = partial_value(target)   # a dynamic target element (an Interval) is the output dim as it stands
        if dims is None:
            rank = target.shape[0] if target.shape.rank == 1 else None
            return [TensorInfo(x.element_type, PartialShape(None if not isinstance(rank, int) else [DYNAMIC] * rank))]
        out: list[Dim] = []
        for i, d in enumerate(dims):
            if isinstance(d, Interval):
                # An element that may be 0 may also copy the input dim (special_zero): either one.
                may_copy = self.special_zero and d.lower == 0 and x.rank is not None and i < x.rank
                out.append(_either(d, x.shape[i]) if may_copy else d)
            elif d == 0 and self.special_zero:
                if x.rank is None or i >= x.rank:
                    raise ValueError(f"target {dims}: 0 at {i} copies an input dim that does not exist")
                out.append(x.shape[i])
            elif d < -1:
                raise ValueError(f"target shape {dims} has a value below -1")
            else:
                out.append(d if d != -1 else DYNAMIC)
        if dims.count(-1) > 1:
            raise ValueError(f"target shape {dims} has more than one -1")
        if -1 in dims:
            k = dims.index(-1)
            # Input dims that a special-zero copies to the output cancel out, so [?, 3, 4] -> [0, -1] gives [?, 12].
            copied = {i for i, d in enumerate(dims) if d == 0 and self.special_zero}
            known: Dim = 1
            for i, d in enumerate(out):
                if i != k and i not in copied:
                    known = dim_mul(known, d)
            rest = None if x.rank is None else _numel(PartialShape(
                [d for i, d in enumerate(x.shape) if i not in copied]))
            if isinstance(rest, int) and isinstance(known, int):
                if known == 0 or rest % known:
                    raise ValueError(f"cannot reshape [{x.shape}] to {dims}")
                out[k] = rest // known
        else:
            total, want = _numel(x.shape), _numel(PartialShape(out))
            if isinstance(total, int) and isinstance(want, int) and total != want:
                raise ValueError(f"cannot reshape [{x.shape}] ({total} elements) to {dims} ({want})")
        return [TensorInfo(x.element_type, PartialShape(out))]

    def evaluate(self, x: np.ndarray, target: np.ndarray) -> list[np.ndarray]:
        dims = [int(v) for v in target.reshape(-1)]
        if self.special_zero:
            dims = [x.shape[i] if d == 0 else d for i, d in enumerate(dims)]
        return [x.reshape(dims)]


def _either(a: Dim, b: Dim) -> Dim:
    """A dim that is `a` or `b`: the union of their bounds."""
    (al, au), (bl, bu) = ((a, a) if isinstance(a, int) else (a.lower, a.upper)), \
        ((b, b) if isinstance(b, int) else (b.lower, b.upper))
    return make_dim(min(al, bl), None if au is None or bu is None else max(au, bu))


def _numel(shape: PartialShape) -> Dim | None:
    if shape.rank is None:
        return None
    total: Dim = 1
    for d in shape:
        total = dim_mul(total, d)
    return total


@dataclass(frozen=True)
class Squeeze(Op):
    """opset1 Squeeze: removes the given axes (input 1), or every dim of size 1 when there is no input 1."""

    TYPE = "Squeeze"
    MOVES_PARTIAL_VALUES = True

    def infer(self, x: TensorInfo, axes: TensorInfo | None = None) -> list[TensorInfo]:
        if x.rank is None:
            return [TensorInfo(x.element_type, PartialShape(None))]
        if axes is None:
            if not x.shape.is_static:
                return [TensorInfo(x.element_type, PartialShape(None))]
            return [TensorInfo(x.element_type, PartialShape([d for d in x.shape if d != 1]))]
        known = axes_value(axes, x.rank)
        if known is None:
            return [TensorInfo(x.element_type, PartialShape(None))]
        for a in known:
            if isinstance(x.shape[a], int) and x.shape[a] != 1:
                raise ValueError(f"cannot squeeze axis {a} of size {x.shape[a]}")
        return [TensorInfo(x.element_type, PartialShape([d for i, d in enumerate(x.shape) if i not in known]))]

    def evaluate(self, x: np.ndarray, axes: np.ndarray | None = None) -> list[np.ndarray]:
        if axes is None:
            return [np.squeeze(x)]
        norm = tuple(sorted({normalize_axis(int(a), x.ndim) for a in axes.reshape(-1)}))
        return [np.squeeze(x, axis=norm)]


@dataclass(frozen=True)
class Unsqueeze(Op):
    """opset1 Unsqueeze: inserts dims of size 1 at the given axes of the output."""

    TYPE = "Unsqueeze"
    MOVES_PARTIAL_VALUES = True

    def infer(self, x: TensorInfo, axes: TensorInfo) -> list[TensorInfo]:
        values = _known_ints(axes)
        if x.rank is None or values is None:
            return [TensorInfo(x.element_type, PartialShape(None))]
        rank = x.rank + len(values)
        norm = sorted({normalize_axis(a, rank) for a in values})
        if len(norm) != len(values):
            raise ValueError(f"Unsqueeze axes {values} repeat an axis")
        it = iter(x.shape)
        return [TensorInfo(x.element_type, PartialShape([1 if i in norm else next(it) for i in range(rank)]))]

    def evaluate(self, x: np.ndarray, axes: np.ndarray) -> list[np.ndarray]:
        rank = x.ndim + axes.size
        return [np.expand_dims(x, tuple(sorted(normalize_axis(int(a), rank) for a in axes.reshape(-1))))]


@dataclass(frozen=True)
class Transpose(Op):
    """opset1 Transpose: input 1 is the permutation; an empty one reverses the axes."""

    TYPE = "Transpose"

    def infer(self, x: TensorInfo, order: TensorInfo) -> list[TensorInfo]:
        perm = _known_ints(order)
        if x.rank is None or perm is None:
            rank = x.rank if x.rank is not None else (order.shape[0] if order.shape.rank == 1 else None)
            return [TensorInfo(x.element_type, PartialShape(None if not isinstance(rank, int)
                                                            else [DYNAMIC] * rank))]
        perm = perm or list(range(x.rank))[::-1]
        if sorted(normalize_axis(p, x.rank) for p in perm) != list(range(x.rank)):
            raise ValueError(f"order {perm} is not a permutation of {x.rank} axes")
        return [TensorInfo(x.element_type, PartialShape([x.shape[p] for p in perm]))]

    def evaluate(self, x: np.ndarray, order: np.ndarray) -> list[np.ndarray]:
        perm = [int(p) for p in order.reshape(-1)] or list(range(x.ndim))[::-1]
        return [np.transpose(x, perm)]


@dataclass(frozen=True)
class Concat(Op):
    """opset1 Concat along `axis` (negative allowed)."""

    TYPE = "Concat"
    MOVES_PARTIAL_VALUES = True
    axis: int = 0

    def infer(self, *xs: TensorInfo) -> list[TensorInfo]:
        if not xs:
            raise ValueError("Concat needs at least one input")
        et = same_element_type(self, *xs)
        ranked = [x for x in xs if x.rank is not None]
        if not ranked:
            return [TensorInfo(et, PartialShape(None))]
        rank = ranked[0].rank
        axis = normalize_axis(self.axis, max(rank, 1))  # type: ignore[arg-type]
        out: list[Dim] = list(ranked[0].shape)
        total: Dim = 0
        for x in xs:
            if x.rank is None:
                total = DYNAMIC
                continue
            if x.rank != rank:
                raise ValueError(f"Concat inputs differ in rank: [{ranked[0].shape}] and [{x.shape}]")
            for i, d in enumerate(x.shape):
                if i == axis:
                    total = dim_add(total, d)
                elif isinstance(out[i], int) and isinstance(d, int) and out[i] != d:
                    raise ValueError(f"Concat inputs differ on axis {i}: [{ranked[0].shape}] and [{x.shape}]")
                elif isinstance(d, int):
                    out[i] = d
        out[axis] = total
        return [TensorInfo(et, PartialShape(out))]

    def evaluate(self, *xs: np.ndarray) -> list[np.ndarray]:
        return [np.concatenate(xs, axis=self.axis)]


@dataclass(frozen=True)
class Split(Op):
    """opset1 Split into `num_splits` equal parts along the axis given as input 1."""

    TYPE = "Split"
    num_splits: int = 1

    def infer(self, x: TensorInfo, axis: TensorInfo) -> list[TensorInfo]:
        values = _known_ints(axis)
        if x.rank is None or values is None:
            return [TensorInfo(x.element_type, PartialShape(None if x.rank is None else [DYNAMIC] * x.rank))
                    ] * self.num_splits
        a = normalize_axis(values[0], x.rank)
        dim = x.shape[a]
        if isinstance(dim, int) and dim % self.num_splits:
            raise ValueError(f"axis {a} of size {dim} does not split into {self.num_splits}")
        part = dim // self.num_splits if isinstance(dim, int) else DYNAMIC
        shape = PartialShape([part if i == a else d for i, d in enumerate(x.shape)])
        return [TensorInfo(x.element_type, shape) for _ in range(self.num_splits)]

    def evaluate(self, x: np.ndarray, axis: np.ndarray) -> list[np.ndarray]:
        return list(np.split(x, self.num_splits, axis=int(axis.reshape(-1)[0])))


@dataclass(frozen=True)
class VariadicSplit(Op):
    """opset1 VariadicSplit: lengths as input 2 (one -1 takes the rest)."""

    TYPE = "VariadicSplit"

    def infer(self, x: TensorInfo, axis: TensorInfo, lengths: TensorInfo) -> list[TensorInfo]:
        sizes = _known_ints(lengths)
        if sizes is None:
            count = lengths.shape[0] if lengths.shape.rank == 1 else None
            if not isinstance(count, int):
                raise ValueError("VariadicSplit needs split lengths of a known count")
            return [TensorInfo(x.element_type, PartialShape(None if x.rank is None else [DYNAMIC] * x.rank))] * count
        a_val = _known_ints(axis)
        if x.rank is None or a_val is None:
            return [TensorInfo(x.element_type, PartialShape(None if x.rank is None else [DYNAMIC] * x.rank))
                    ] * len(sizes)
        a = normalize_axis(a_val[0], x.rank)
        dim = x.shape[a]
        if -1 in sizes and isinstance(dim, int):
            sizes = [dim - (sum(sizes) + 1) if s == -1 else s for s in sizes]
        if isinstance(dim, int) and -1 not in sizes and sum(sizes) != dim:
            raise ValueError(f"split lengths {sizes} do not add up to axis {a} of size {dim}")
        return [TensorInfo(x.element_type, PartialShape([(s if s != -1 else DYNAMIC) if i == a else d
                                                         for i, d in enumerate(x.shape)])) for s in sizes]

    def evaluate(self, x: np.ndarray, axis: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
        a = normalize_axis(int(axis.reshape(-1)[0]), x.ndim)
        sizes = [int(s) for s in lengths.reshape(-1)]
        if -1 in sizes:
            sizes[sizes.index(-1)] = x.shape[a] - (sum(sizes) + 1)
        return list(np.split(x, np.cumsum(sizes)[:-1], axis=a))


@dataclass(frozen=True)
class ShapeOf(Op):
    """opset3 ShapeOf: the input's shape as a 1-D tensor of output_type (i64 or i32)."""

    TYPE = "ShapeOf"
    VERSION = "opset3"
    output_type: ElementType = ElementType.i64

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        rank = x.rank
        value = np.array(x.shape.to_static(), self.output_type.numpy) if x.shape.is_static else None
        partial = x.shape.dims if value is None and rank is not None else None
        return [TensorInfo(self.output_type, PartialShape([rank if rank is not None else DYNAMIC]), value, partial)]

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        return [np.array(x.shape, self.output_type.numpy)]


@dataclass(frozen=True)
class Broadcast(Op):
    """opset3 Broadcast: mode numpy (default), bidirectional (both ways, like Expand), or explicit (axes_mapping)."""

    TYPE = "Broadcast"
    VERSION = "opset3"
    mode: str = "numpy"

    def infer(self, x: TensorInfo, target: TensorInfo, axes_mapping: TensorInfo | None = None) -> list[TensorInfo]:
        dims = partial_value(target)
        if dims is None:
            n = target.shape[0] if target.shape.rank == 1 else None
            if self.mode == "bidirectional" and isinstance(n, int) and x.rank is not None:
                n = max(n, x.rank)
            return [TensorInfo(x.element_type, PartialShape(None if not isinstance(n, int) else [DYNAMIC] * n))]
        if self.mode == "explicit":
            return [TensorInfo(x.element_type, PartialShape(dims))]
        if x.rank is None:
            return [TensorInfo(x.element_type, PartialShape(None if self.mode == "bidirectional" else dims))]
        if self.mode == "bidirectional":
            from irforge.core.shape import broadcast_shapes
            return [TensorInfo(x.element_type, broadcast_shapes(x.shape, PartialShape(dims)))]
        if x.rank > len(dims):
            raise ValueError(f"cannot broadcast [{x.shape}] to a lower rank {dims}")
        out: list[Dim] = list(dims)
        for i, d in enumerate(x.shape):
            j = len(dims) - x.rank + i
            if isinstance(d, int) and d != 1 and isinstance(dims[j], Interval):
                out[j] = d      # a dynamic target dim that a static input dim must match: that dim
            elif isinstance(d, int) and d != 1 and dims[j] != d:
                if dims[j] == 1:
                    raise ValueError(f"cannot broadcast [{x.shape}] to {dims}")
                raise ValueError(f"cannot broadcast [{x.shape}] to {dims}")
        return [TensorInfo(x.element_type, PartialShape(out))]

    def evaluate(self, x: np.ndarray, target: np.ndarray, axes_mapping: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        dims = [int(v) for v in target.reshape(-1)]
        if self.mode == "explicit":
            mapping = [int(a) for a in axes_mapping.reshape(-1)]  # type: ignore[union-attr]
            shape = [1] * len(dims)
            for src, dst in enumerate(mapping):
                shape[dst] = x.shape[src]
            return [np.broadcast_to(x.reshape(shape), dims).copy()]
        if self.mode == "bidirectional":
            return [(x * np.ones(dims, x.dtype)) if x.dtype != np.bool_ else np.broadcast_to(
                x, np.broadcast_shapes(x.shape, tuple(dims))).copy()]
        return [np.broadcast_to(x, dims).copy()]


@dataclass(frozen=True)
class Tile(Op):
    """opset1 Tile: repeats as input 1 (a shorter input is prefixed with 1s, a shorter repeats too)."""

    TYPE = "Tile"

    def infer(self, x: TensorInfo, repeats: TensorInfo) -> list[TensorInfo]:
        reps = partial_value(repeats)
        if x.rank is None or reps is None:
            return [TensorInfo(x.element_type, PartialShape(None))]
        rank = max(x.rank, len(reps))
        dims = [1] * (rank - x.rank) + list(x.shape)
        reps = [1] * (rank - len(reps)) + list(reps)
        return [TensorInfo(x.element_type, PartialShape([dim_mul(d, r) for d, r in zip(dims, reps)]))]

    def evaluate(self, x: np.ndarray, repeats: np.ndarray) -> list[np.ndarray]:
        reps = [int(r) for r in repeats.reshape(-1)]
        if len(reps) < x.ndim:
            reps = [1] * (x.ndim - len(reps)) + reps
        return [np.tile(x, reps)]


@dataclass(frozen=True)
class Pad(Op):
    """opset12 Pad: pads_begin / pads_end inputs (negative values crop), mode constant|edge|reflect|symmetric."""

    TYPE = "Pad"
    VERSION = "opset12"
    pad_mode: str = "constant"

    def infer(self, x: TensorInfo, begin: TensorInfo, end: TensorInfo, value: TensorInfo | None = None
              ) -> list[TensorInfo]:
        b, e = _known_ints(begin), _known_ints(end)
        if x.rank is None:
            return [TensorInfo(x.element_type, PartialShape(None))]
        if b is None or e is None:
            return [TensorInfo(x.element_type, PartialShape.dynamic(x.rank))]
        if len(b) != x.rank or len(e) != x.rank:
            raise ValueError(f"pads {b}/{e} must have {x.rank} values")
        out = []
        for d, lo, hi in zip(x.shape, b, e):
            if isinstance(d, int):
                out.append(d + lo + hi)
            else:
                assert isinstance(d, Interval)
                out.append(make_dim(d.lower + lo + hi, None if d.upper is None else d.upper + lo + hi))
        return [TensorInfo(x.element_type, PartialShape(out))]

    def evaluate(self, x: np.ndarray, begin: np.ndarray, end: np.ndarray, value: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        b = [int(v) for v in begin.reshape(-1)]
        e = [int(v) for v in end.reshape(-1)]
        # Negative pads crop first; numpy pads only grow.
        crop = tuple(slice(max(-lo, 0), x.shape[i] - max(-hi, 0)) for i, (lo, hi) in enumerate(zip(b, e)))
        x = x[crop]
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in zip(b, e)]
        if self.pad_mode == "constant":
            fill = 0 if value is None else value.reshape(()).item()
            return [np.pad(x, widths, mode="constant", constant_values=fill)]
        mode = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[self.pad_mode]
        return [np.pad(x, widths, mode=mode)]


OPS: tuple[type[Op], ...] = (
    Reshape, Squeeze, Unsqueeze, Transpose, Concat, Split, VariadicSplit, ShapeOf, Broadcast, Tile, Pad,
)
__all__ = [c.__name__ for c in OPS]
