"""Normalization: BatchNormInference, MVN, NormalizeL2, LRN, GroupNormalization."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Op, TensorInfo, same_element_type


@dataclass(frozen=True)
class BatchNormInference(Op):
    """opset5 BatchNormInference: inputs (data, gamma, beta, mean, variance), channel axis 1."""

    TYPE = "BatchNormInference"
    VERSION = "opset5"
    epsilon: float = 1e-5

    def infer(self, x: TensorInfo, gamma: TensorInfo, beta: TensorInfo, mean: TensorInfo, var: TensorInfo
              ) -> list[TensorInfo]:
        et = same_element_type(self, x, gamma, beta, mean, var)
        if x.rank is not None and x.rank < 2:
            raise ValueError(f"data must have rank >= 2, got [{x.shape}]")
        return [TensorInfo(et, x.shape)]

    def evaluate(self, x, gamma, beta, mean, var):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        scale = (gamma / np.sqrt(var + self.epsilon)).reshape(shape)
        return [((x - mean.reshape(shape)) * scale + beta.reshape(shape)).astype(x.dtype)]


@dataclass(frozen=True)
class MVN(Op):
    """opset6 MVN: mean-variance normalisation over the axes of input 1; eps inside or outside the sqrt."""

    TYPE = "MVN"
    VERSION = "opset6"
    normalize_variance: bool = True
    eps: float = 1e-9
    eps_mode: str = "inside_sqrt"

    def infer(self, x: TensorInfo, axes: TensorInfo) -> list[TensorInfo]:
        return [TensorInfo(x.element_type, x.shape)]

    def evaluate(self, x, axes):
        ax = tuple(int(a) % x.ndim for a in axes.reshape(-1))
        acc = x.astype(np.float64)
        centered = acc - acc.mean(axis=ax, keepdims=True)
        if self.normalize_variance:
            var = np.mean(centered ** 2, axis=ax, keepdims=True)
            denom = np.sqrt(var + self.eps) if self.eps_mode == "inside_sqrt" else np.sqrt(var) + self.eps
            centered = centered / denom
        return [centered.astype(x.dtype)]


@dataclass(frozen=True)
class NormalizeL2(Op):
    """opset1 NormalizeL2: x / sqrt(max|add(sum(x^2), eps)) over the axes of input 1."""

    TYPE = "NormalizeL2"
    eps: float = 1e-10
    eps_mode: str = "add"

    def infer(self, x: TensorInfo, axes: TensorInfo) -> list[TensorInfo]:
        return [TensorInfo(x.element_type, x.shape)]

    def evaluate(self, x, axes):
        ax = tuple(int(a) % x.ndim for a in axes.reshape(-1))
        sq = np.sum(x.astype(np.float64) ** 2, axis=ax, keepdims=True) if ax else x.astype(np.float64) ** 2
        sq = sq + self.eps if self.eps_mode == "add" else np.maximum(sq, self.eps)
        return [(x / np.sqrt(sq)).astype(x.dtype)]


@dataclass(frozen=True)
class LRN(Op):
    """opset1 LRN: x / (bias + alpha / size^n * sum over a window of x^2) ^ beta; axes as input 1."""

    TYPE = "LRN"
    alpha: float = 1e-4
    beta: float = 0.75
    bias: float = 1.0
    size: int = 5

    def infer(self, x: TensorInfo, axes: TensorInfo) -> list[TensorInfo]:
        return [TensorInfo(x.element_type, x.shape)]

    def evaluate(self, x, axes):
        ax = sorted(int(a) % x.ndim for a in axes.reshape(-1))
        sq = x.astype(np.float64) ** 2
        # The window spans (size - 1) // 2 on each side: an even size covers size - 1 elements (the spec and the
        # runtime agree; ONNX's even-size window is asymmetric, and its translator handles that).
        half_lo = half_hi = (self.size - 1) // 2
        acc = sq
        for a in ax:  # a box sum along each axis: the window is the product of the per-axis windows
            pad = [(0, 0)] * x.ndim
            pad[a] = (half_lo, half_hi)
            c = np.cumsum(np.pad(acc, pad), axis=a)
            c = np.concatenate([np.zeros_like(np.take(c, [0], axis=a)), c], axis=a)
            n = x.shape[a]
            width = half_lo + half_hi + 1
            acc = np.take(c, np.arange(width, width + n), axis=a) - np.take(c, np.arange(n), axis=a)
        count = self.size ** len(ax)
        return [(x / (self.bias + self.alpha / count * acc) ** self.beta).astype(x.dtype)]


@dataclass(frozen=True)
class GroupNormalization(Op):
    """opset12 GroupNormalization: data [N, C, ...], per-channel scale and bias, num_groups groups of channels."""

    TYPE = "GroupNormalization"
    VERSION = "opset12"
    num_groups: int = 1
    epsilon: float = 1e-5

    def infer(self, x: TensorInfo, scale: TensorInfo, bias: TensorInfo) -> list[TensorInfo]:
        return [TensorInfo(same_element_type(self, x, scale, bias), x.shape)]

    def evaluate(self, x, scale, bias):
        n, c = x.shape[:2]
        g = x.reshape(n, self.num_groups, -1).astype(np.float64)
        g = (g - g.mean(axis=-1, keepdims=True)) / np.sqrt(g.var(axis=-1, keepdims=True) + self.epsilon)
        shape = (1, c) + (1,) * (x.ndim - 2)
        return [(g.reshape(x.shape) * scale.reshape(shape) + bias.reshape(shape)).astype(x.dtype)]


OPS: tuple[type[Op], ...] = (BatchNormInference, MVN, NormalizeL2, LRN, GroupNormalization)

__all__ = [c.__name__ for c in OPS]
