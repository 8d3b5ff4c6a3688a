"""SpaceToBatch and BatchToSpace: blocks of spatial positions moved to and from the batch axis."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge.core.shape import DYNAMIC, Dim, Interval, make_dim

from .base import Op, PartialShape, TensorInfo


def _ints(info: TensorInfo) -> list[int] | None:
    return None if info.value is None else [int(v) for v in np.asarray(info.value).reshape(-1)]


def _check_block(block: list[int], rank: int) -> None:
    if len(block) != rank:
        raise ValueError(f"block_shape {block} must have one value per data axis ({rank})")
    if block[0] != 1 or any(b < 1 for b in block):
        raise ValueError(f"block_shape {block} must start with 1 and be positive")


@dataclass(frozen=True)
class SpaceToBatch(Op):
    """opset2 SpaceToBatch: data [N, D1, ...], block_shape, pads_begin, pads_end (one value per axis each).
    Pads, splits each axis into (D/B, B), moves the B factors in front of the batch and merges them into it:
    output [N * prod(B), (D1 + pads) / B1, ...]."""

    TYPE = "SpaceToBatch"
    VERSION = "opset2"

    def infer(self, x: TensorInfo, block: TensorInfo, begin: TensorInfo, end: TensorInfo) -> list[TensorInfo]:
        b, pb, pe = _ints(block), _ints(begin), _ints(end)
        if x.rank is None:
            return [TensorInfo(x.element_type, PartialShape(None))]
        if b is None or pb is None or pe is None:
            return [TensorInfo(x.element_type, PartialShape.dynamic(x.rank))]
        _check_block(b, x.rank)
        dims: list[Dim] = [_scale(x.shape[0], int(np.prod(b)))]
        for d, k, lo, hi in list(zip(x.shape, b, pb, pe))[1:]:
            if isinstance(d, int):
                if (d + lo + hi) % k:
                    raise ValueError(f"padded size {d + lo + hi} is not a multiple of block {k}")
                dims.append((d + lo + hi) // k)
            else:
                dims.append(make_dim(0, None if d.upper is None else (d.upper + lo + hi) // k))
        return [TensorInfo(x.element_type, PartialShape(dims))]

    def evaluate(self, x, block, begin, end) -> list[np.ndarray]:
        b = [int(v) for v in block.reshape(-1)]
        padded = np.pad(x, list(zip(begin.reshape(-1).astype(int), end.reshape(-1).astype(int))))
        shape = [padded.shape[0]]
        for d, k in zip(padded.shape[1:], b[1:]):
            shape += [d // k, k]
        split = padded.reshape(shape)
        rank = x.ndim
        order = [2 * i for i in range(1, rank)] + [0] + [2 * i - 1 for i in range(1, rank)]
        moved = split.transpose(order)
        return [moved.reshape([x.shape[0] * int(np.prod(b))] + [padded.shape[i] // b[i] for i in range(1, rank)])]


@dataclass(frozen=True)
class BatchToSpace(Op):
    """opset2 BatchToSpace: the inverse of SpaceToBatch; data [N * prod(B), D1, ...], block_shape, crops_begin,
    crops_end: output [N, D1 * B1 - crops, ...]."""

    TYPE = "BatchToSpace"
    VERSION = "opset2"

    def infer(self, x: TensorInfo, block: TensorInfo, begin: TensorInfo, end: TensorInfo) -> list[TensorInfo]:
        b, cb, ce = _ints(block), _ints(begin), _ints(end)
        if x.rank is None:
            return [TensorInfo(x.element_type, PartialShape(None))]
        if b is None or cb is None or ce is None:
            return [TensorInfo(x.element_type, PartialShape.dynamic(x.rank))]
        _check_block(b, x.rank)
        total = int(np.prod(b))
        batch = x.shape[0]
        if isinstance(batch, int):
            if batch % total:
                raise ValueError(f"batch {batch} is not a multiple of the block size {total}")
            dims: list[Dim] = [batch // total]
        else:
            dims = [DYNAMIC if batch.upper is None else make_dim(0, batch.upper // total)]
        for d, k, lo, hi in list(zip(x.shape, b, cb, ce))[1:]:
            if isinstance(d, int):
                dims.append(d * k - lo - hi)
            else:
                assert isinstance(d, Interval)
                dims.append(make_dim(0, None if d.upper is None else d.upper * k - lo - hi))
        return [TensorInfo(x.element_type, PartialShape(dims))]

    def evaluate(self, x, block, begin, end) -> list[np.ndarray]:
        b = [int(v) for v in block.reshape(-1)]
        rank = x.ndim
        batch = x.shape[0] // int(np.prod(b))
        split = x.reshape(b[1:] + [batch] + list(x.shape[1:]))
        order = [rank - 1]
        for i in range(1, rank):
            order += [rank - 1 + i, i - 1]
        merged = split.transpose(order).reshape([batch] + [x.shape[i] * b[i] for i in range(1, rank)])
        lo, hi = begin.reshape(-1).astype(int), end.reshape(-1).astype(int)
        index = tuple(slice(int(lo[i]), merged.shape[i] - int(hi[i])) for i in range(rank))
        return [np.ascontiguousarray(merged[index])]


def _scale(d: Dim, k: int) -> Dim:
    if isinstance(d, int):
        return d * k
    return make_dim(d.lower * k, None if d.upper is None else d.upper * k)


OPS: tuple[type[Op], ...] = (SpaceToBatch, BatchToSpace)
__all__ = [c.__name__ for c in OPS]
