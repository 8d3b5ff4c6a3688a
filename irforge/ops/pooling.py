"""Pooling: MaxPool (values and indices), AvgPool, AdaptiveAvgPool, AdaptiveMaxPool."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from irforge.core.shape import DYNAMIC, Dim

from .base import AutoPad, ElementType, Op, PartialShape, RoundingType, TensorInfo
from .window import output_size, pad_spatial, resolve_pads, same_output_size, windows


@dataclass(frozen=True)
class _Pool(Op):
    strides: tuple[int, ...] = ()
    pads_begin: tuple[int, ...] = ()
    pads_end: tuple[int, ...] = ()
    kernel: tuple[int, ...] = ()
    rounding_type: RoundingType = RoundingType.FLOOR
    auto_pad: AutoPad = AutoPad.EXPLICIT

    def _dilations(self) -> tuple[int, ...]:
        return (1,) * len(self.kernel)

    def ir_version(self) -> str:
        # rounding_type="ceil_torch" exists from MaxPool-14 / AvgPool-14 on.
        return "opset14" if self.rounding_type == RoundingType.CEIL_TORCH else self.VERSION

    def _spatial_out(self, shape: PartialShape) -> list[Dim]:
        spatial = list(shape.dims[2:])  # type: ignore[index]
        if len(spatial) != len(self.kernel) or len(self.strides) != len(self.kernel):
            raise ValueError(f"kernel {self.kernel} / strides {self.strides} do not fit data [{shape}]")
        if self.auto_pad in (AutoPad.SAME_UPPER, AutoPad.SAME_LOWER):
            return [same_output_size(s, st) for s, st in zip(spatial, self.strides)]
        begin, end = resolve_pads(self.auto_pad, spatial, self.kernel, self.strides, self._dilations(),  # type: ignore
                                  self.pads_begin, self.pads_end)  # type: ignore[misc]
        ceil = self.rounding_type in (RoundingType.CEIL, RoundingType.CEIL_TORCH)
        return [output_size(s, k, st, d, b, e, ceil, self.rounding_type == RoundingType.CEIL_TORCH)
                for s, k, st, d, b, e in zip(spatial, self.kernel, self.strides, self._dilations(), begin, end)]

    def _geometry(self, x: np.ndarray) -> tuple[list[int], list[int], list[int]]:
        begin, end = resolve_pads(self.auto_pad, x.shape[2:], self.kernel, self.strides,  # type: ignore[misc]
                                  self._dilations(), self.pads_begin, self.pads_end)
        out = self._spatial_out(PartialShape(x.shape))
        return begin, end, out  # type: ignore[return-value]

    def _out_shape(self, x: TensorInfo) -> PartialShape:
        if x.rank is None:
            return PartialShape(None)
        return PartialShape([x.shape[0], x.shape[1]] + self._spatial_out(x.shape))


@dataclass(frozen=True)
class MaxPool(_Pool):
    """opset8 MaxPool: outputs values and the flat indices of the maxima (index_element_type, axis)."""

    TYPE = "MaxPool"
    VERSION = "opset8"
    dilations: tuple[int, ...] = ()
    index_element_type: ElementType = ElementType.i64
    axis: int = 0

    def _dilations(self) -> tuple[int, ...]:
        return self.dilations or (1,) * len(self.kernel)

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        shape = self._out_shape(x)
        return [TensorInfo(x.element_type, shape), TensorInfo(self.index_element_type, shape)]

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        begin, end, out = self._geometry(x)
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        padded = pad_spatial(x, begin, end, low, out, self.kernel, self.strides, self._dilations())
        view = windows(padded, self.kernel, self.strides, self._dilations(), out)
        rank = len(self.kernel)
        flat = view.reshape(view.shape[:2 + rank] + (-1,))
        values = flat.max(axis=-1)
        # Indices: the flat position of the maximum in the unpadded input (per channel, or per batch with axis).
        arg = flat.argmax(axis=-1)
        kpos = np.array(np.unravel_index(arg, self.kernel))           # [rank, N, C, *out]
        grid = np.meshgrid(*[np.arange(o) for o in out], indexing="ij")
        coords = [grid[i] * self.strides[i] + kpos[i] * self._dilations()[i] - begin[i] for i in range(rank)]
        spatial = x.shape[2:]
        index = np.zeros_like(arg, dtype=np.int64)
        for i in range(rank):
            index = index * spatial[i] + coords[i]
        axis = self.axis + x.ndim if self.axis < 0 else self.axis
        if axis <= 1:
            per_channel = int(np.prod(spatial))
            index += (np.arange(x.shape[1]).reshape(1, -1, *([1] * rank)) * per_channel)
            if axis == 0:
                index += (np.arange(x.shape[0]).reshape(-1, 1, *([1] * rank)) * per_channel * x.shape[1])
        return [values.astype(x.dtype), index.astype(self.index_element_type.numpy)]


@dataclass(frozen=True)
class MaxPoolV1(_Pool):
    """opset1 MaxPool: values only (what the legacy tools wrote; read from older IRs)."""

    TYPE = "MaxPool"
    VERSION = "opset1"

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        return [TensorInfo(x.element_type, self._out_shape(x))]

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        as_v8 = MaxPool(self.strides, self.pads_begin, self.pads_end, self.kernel, self.rounding_type, self.auto_pad)
        return as_v8.evaluate(x)[:1]


@dataclass(frozen=True)
class AvgPool(_Pool):
    """opset1 AvgPool. exclude-pad: the divisor counts only input elements, not padding."""

    TYPE = "AvgPool"
    exclude_pad: bool = field(default=False, metadata={"ir_name": "exclude-pad"})

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        return [TensorInfo(x.element_type, self._out_shape(x))]

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        begin, end, out = self._geometry(x)
        acc = np.float64 if x.dtype == np.float64 else np.float32
        padded = pad_spatial(x.astype(acc), begin, end, 0.0, out, self.kernel, self.strides, self._dilations())
        view = windows(padded, self.kernel, self.strides, self._dilations(), out)
        rank = len(self.kernel)
        sums = view.sum(axis=tuple(range(-rank, 0)))
        # The divisor, as OpenVINO computes it: with exclude-pad, the window elements inside the input; without it,
        # the whole kernel whenever any pad is set (even where a ceil-mode window runs past the end pad), and the
        # elements inside the input when no pad is set.
        if not self.exclude_pad and any(begin) + any(end):
            return [(sums / np.prod(self.kernel)).astype(x.dtype)]
        ones = np.ones((1, 1) + x.shape[2:], acc)
        mask = pad_spatial(ones, begin, end, 0.0, out, self.kernel, self.strides, self._dilations())
        counts = windows(mask, self.kernel, self.strides, self._dilations(), out).sum(axis=tuple(range(-rank, 0)))
        return [(sums / np.maximum(counts, 1)).astype(x.dtype)]


@dataclass(frozen=True)
class AdaptiveAvgPool(Op):
    """opset8 AdaptiveAvgPool: output spatial size given as input 1; bins as in PyTorch."""

    TYPE = "AdaptiveAvgPool"
    VERSION = "opset8"

    def infer(self, x: TensorInfo, size: TensorInfo) -> list[TensorInfo]:
        return [TensorInfo(x.element_type, _adaptive_shape(x, size))]

    def evaluate(self, x: np.ndarray, size: np.ndarray) -> list[np.ndarray]:
        return [_adaptive(x, [int(s) for s in size], np.mean).astype(x.dtype)]


@dataclass(frozen=True)
class AdaptiveMaxPool(Op):
    TYPE = "AdaptiveMaxPool"
    VERSION = "opset8"
    index_element_type: ElementType = ElementType.i64

    def infer(self, x: TensorInfo, size: TensorInfo) -> list[TensorInfo]:
        shape = _adaptive_shape(x, size)
        return [TensorInfo(x.element_type, shape), TensorInfo(self.index_element_type, shape)]

    def evaluate(self, x: np.ndarray, size: np.ndarray) -> list[np.ndarray]:
        size_ = [int(s) for s in size]
        values = _adaptive(x, size_, np.max).astype(x.dtype)
        # Index of each maximum, flat within its channel's spatial block (as the spec and PyTorch define it).
        flat_index = np.arange(int(np.prod(x.shape[2:]))).reshape(x.shape[2:])
        index = np.empty(values.shape, np.int64)
        for idx in np.ndindex(*size_):
            sl = tuple(slice((i * n) // o, -(-((i + 1) * n) // o)) for i, n, o in zip(idx, x.shape[2:], size_))
            block = x[(slice(None), slice(None)) + sl].reshape(x.shape[:2] + (-1,))
            index[(slice(None), slice(None)) + idx] = flat_index[sl].reshape(-1)[block.argmax(axis=-1)]
        return [values, index.astype(self.index_element_type.numpy)]


def _adaptive_shape(x: TensorInfo, size: TensorInfo) -> PartialShape:
    if x.rank is None:
        return PartialShape(None)
    if size.value is None:
        return PartialShape([x.shape[0], x.shape[1]] + [DYNAMIC] * (x.rank - 2))
    return PartialShape([x.shape[0], x.shape[1]] + [int(v) for v in np.asarray(size.value).reshape(-1)])


def _adaptive(x: np.ndarray, size: list[int], reduce) -> np.ndarray:
    out = np.empty(x.shape[:2] + tuple(size), np.float64)
    spatial = x.shape[2:]
    for idx in np.ndindex(*size):
        sl = tuple(slice((i * n) // o, -(-((i + 1) * n) // o)) for i, n, o in zip(idx, spatial, size))
        out[(slice(None), slice(None)) + idx] = reduce(x[(slice(None), slice(None)) + sl],
                                                       axis=tuple(range(2, x.ndim)))
    return out


OPS: tuple[type[Op], ...] = (MaxPool, MaxPoolV1, AvgPool, AdaptiveAvgPool, AdaptiveMaxPool)
__all__ = [c.__name__ for c in OPS]
