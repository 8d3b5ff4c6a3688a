"""YOLO v2 / v3 heads: RegionYolo-1 and ReorgYolo-1 (Darknet's region / yolo and reorg layers)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge.core.shape import DYNAMIC, Dim, dim_mul

from .base import Op, PartialShape, TensorInfo, normalize_axis

F32 = np.float32


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (F32(1) / (F32(1) + np.exp(-x.astype(F32)))).astype(x.dtype)


@dataclass(frozen=True)
class RegionYolo(Op):
    """opset1 RegionYolo on [N, C, H, W], C = regions * (coords + 1 + classes), each region's channels being
    (x, y, the other coords, objectness, class scores). Per region: sigmoid on x, y and objectness; the class
    scores get a softmax over the classes (do_softmax, YOLO v2: `num` regions, the output flattened from `axis` to
    `end_axis`) or a sigmoid each (YOLO v3: the regions are the `mask` entries, the shape stays [N, C, H, W]).
    The other coords pass through. `anchors` are carried for post-processing only."""

    TYPE = "RegionYolo"
    anchors: tuple[float, ...] = ()
    axis: int = 1
    coords: int = 4
    classes: int = 20
    end_axis: int = -1
    num: int = 1
    do_softmax: bool = True
    mask: tuple[int, ...] = ()

    @property
    def regions(self) -> int:
        return self.num if self.do_softmax else len(self.mask)

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        if x.rank is None:
            return [TensorInfo(x.element_type, PartialShape(None))]
        if x.rank != 4:
            raise ValueError(f"RegionYolo needs [N, C, H, W], got [{x.shape}]")
        entry = self.coords + 1 + self.classes
        c = x.shape[1]
        if isinstance(c, int) and c != self.regions * entry:
            what = f"num {self.num}" if self.do_softmax else f"{len(self.mask)} mask entries"
            raise ValueError(f"RegionYolo: {c} channels, but {what} x (coords {self.coords} + 1 + classes "
                             f"{self.classes}) = {self.regions * entry}")
        if not self.do_softmax:
            return [TensorInfo(x.element_type, x.shape)]
        axis, end = normalize_axis(self.axis, 4), normalize_axis(self.end_axis, 4)
        dims: list[Dim] = list(x.shape)
        merged: Dim = 1
        for d in dims[axis:end + 1]:
            merged = dim_mul(merged, d)
        return [TensorInfo(x.element_type, PartialShape(dims[:axis] + [merged] + dims[end + 1:]))]

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        n, _, h, w = x.shape
        entry = self.coords + 1 + self.classes
        y = x.reshape(n, self.regions, entry, h, w).copy()
        y[:, :, 0:2] = _sigmoid(y[:, :, 0:2])
        y[:, :, self.coords] = _sigmoid(y[:, :, self.coords])
        scores = y[:, :, self.coords + 1:].astype(F32)
        if self.do_softmax:
            e = np.exp(scores - scores.max(axis=2, keepdims=True))
            y[:, :, self.coords + 1:] = e / e.sum(axis=2, keepdims=True)
        else:
            y[:, :, self.coords + 1:] = _sigmoid(scores)
        out_shape = [d if isinstance(d, int) else -1 for d in self.infer(TensorInfo.of(x))[0].shape]
        return [y.reshape(out_shape)]


@dataclass(frozen=True)
class ReorgYolo(Op):
    """opset1 ReorgYolo: [N, C, H, W] -> [N, C * s^2, H / s, W / s] as Darknet's reorg computes it (its backward
    indexing): the input is read as [N, C / s^2, H * s, W * s], out[c, h, w] = in[c % (C / s^2),
    h * s + (c / (C / s^2)) / s, w * s + (c / (C / s^2)) % s] laid out over the input's [C, H, W], and the result
    is that buffer in the output shape. `stride` is written as two equal values (OpenVINO reads the first)."""

    TYPE = "ReorgYolo"
    stride: tuple[int, ...] = (2, 2)

    @property
    def step(self) -> int:
        if not self.stride or len(set(self.stride)) != 1 or self.stride[0] < 1:
            raise ValueError(f"ReorgYolo stride must be equal positive values, got {list(self.stride)}")
        return int(self.stride[0])

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        s = self.step
        if x.rank is None:
            return [TensorInfo(x.element_type, PartialShape.dynamic(4))]
        if x.rank != 4:
            raise ValueError(f"ReorgYolo needs [N, C, H, W], got [{x.shape}]")
        c, h, w = x.shape[1], x.shape[2], x.shape[3]
        if isinstance(c, int) and c % (s * s):
            raise ValueError(f"ReorgYolo: {c} channels do not divide by stride^2 = {s * s}")
        for d in (h, w):
            if isinstance(d, int) and d % s:
                raise ValueError(f"ReorgYolo: H and W must divide by the stride {s}, got [{x.shape}]")
        dims: list[Dim] = [x.shape[0], dim_mul(c, s * s)]
        dims += [d // s if isinstance(d, int) else DYNAMIC for d in (h, w)]
        return [TensorInfo(x.element_type, PartialShape(dims))]

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        s = self.step
        n, c, h, w = x.shape
        oc = c // (s * s)
        # The input as [N, oc, H, s, W, s] (it is read as [N, oc, H * s, W * s]); output channel (sh * s + sw) * oc
        # + ic at (h, w) takes [n, ic, h, sh, w, sw].
        blocks = x.reshape(n, oc, h, s, w, s)
        out = blocks.transpose(0, 3, 5, 1, 2, 4).reshape(n, c, h, w)
        return [out.reshape(n, c * s * s, h // s, w // s)]


OPS: tuple[type[Op], ...] = (RegionYolo, ReorgYolo)
__all__ = [c.__name__ for c in OPS]
