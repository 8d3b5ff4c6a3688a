"""Fourier transforms: DFT and IDFT (opset7, complex in and out), RDFT and IRDFT (opset9, real <-> complex), and
STFT (opset15). A complex tensor is a float tensor whose last dim (2) holds the real and imaginary parts.

Axes of DFT / IDFT / IRDFT count over the dims before that last one. `signal_size` (one value per axis, -1 to
keep the length) trims or zero-pads each axis at its end before transforming; IRDFT's default length for its
last axis is 2 * (n - 1). The inverse transforms divide by the signal length."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge.core.shape import DYNAMIC, Dim

from .base import Op, PartialShape, TensorInfo, normalize_axis


def _values(info: TensorInfo | None) -> list[int] | None:
    if info is None:
        return []
    return None if info.value is None else [int(v) for v in np.asarray(info.value).reshape(-1)]


def _resize(x: np.ndarray, axes: list[int], sizes: list[int]) -> np.ndarray:
    """Trim or zero-pad each axis at its end to its size (-1 keeps it)."""
    for axis, size in zip(axes, sizes):
        if size < 0 or size == x.shape[axis]:
            continue
        if size < x.shape[axis]:
            x = np.take(x, np.arange(size), axis=axis)
        else:
            widths = [(0, 0)] * x.ndim
            widths[axis] = (0, size - x.shape[axis])
            x = np.pad(x, widths)
    return x


def _complex(x: np.ndarray) -> np.ndarray:
    return x[..., 0].astype(np.complex128) + 1j * x[..., 1]


def _split(z: np.ndarray, dtype) -> np.ndarray:
    return np.stack([z.real, z.imag], axis=-1).astype(dtype)


@dataclass(frozen=True)
class _Transform(Op):
    VERSION = "opset7"
    COMPLEX_IN = True
    COMPLEX_OUT = True

    def geometry(self, data: TensorInfo, axes: TensorInfo, signal: TensorInfo | None
                 ) -> tuple[list[Dim] | None, list[int] | None, list[int] | None]:
        """(signal dims, normalized axes, sizes) as far as known."""
        if data.rank is None:
            return None, None, None
        dims = list(data.shape)[:-1] if self.COMPLEX_IN else list(data.shape)
        raw = _values(axes)
        sizes = _values(signal)
        norm = None if raw is None else [normalize_axis(a, len(dims)) for a in raw]
        if sizes == [] and norm is not None:
            sizes = [-1] * len(norm)
        return dims, norm, sizes

    def infer(self, data: TensorInfo, axes: TensorInfo, signal: TensorInfo | None = None) -> list[TensorInfo]:
        dims, norm, sizes = self.geometry(data, axes, signal)
        if dims is None:
            return [TensorInfo(data.element_type, PartialShape(None))]
        if norm is None or sizes is None:
            dims = [DYNAMIC] * len(dims)
        else:
            dims = self.output_dims(dims, norm, sizes)
        return [TensorInfo(data.element_type, PartialShape(dims + [2] if self.COMPLEX_OUT else dims))]

    def output_dims(self, dims: list[Dim], norm: list[int], sizes: list[int]) -> list[Dim]:
        """The signal dims after the transform: each axis takes its signal size (-1 keeps it)."""
        for a, s in zip(norm, sizes):
            if s >= 0:
                dims[a] = s
        return dims


@dataclass(frozen=True)
class DFT(_Transform):
    """opset7 DFT: complex -> complex over the axes."""

    TYPE = "DFT"
    INVERSE = False

    def evaluate(self, data, axes, signal=None):
        rank = data.ndim - 1
        norm = [normalize_axis(int(a), rank) for a in np.asarray(axes).reshape(-1)]
        sizes = [-1] * len(norm) if signal is None else [int(s) for s in np.asarray(signal).reshape(-1)]
        z = _resize(_complex(data), norm, sizes)
        z = np.fft.ifftn(z, axes=norm) if self.INVERSE else np.fft.fftn(z, axes=norm)
        return [_split(z, data.dtype)]


@dataclass(frozen=True)
class IDFT(DFT):
    """opset7 IDFT: the inverse of DFT (divided by the signal length)."""

    TYPE = "IDFT"
    INVERSE = True


@dataclass(frozen=True)
class RDFT(_Transform):
    """opset9 RDFT: real -> complex; the last axis keeps n // 2 + 1 frequencies."""

    TYPE = "RDFT"
    VERSION = "opset9"
    COMPLEX_IN = False

    def output_dims(self, dims: list[Dim], norm: list[int], sizes: list[int]) -> list[Dim]:
        dims = super().output_dims(dims, norm, sizes)
        last = dims[norm[-1]]
        dims[norm[-1]] = last // 2 + 1 if isinstance(last, int) else DYNAMIC
        return dims

    def evaluate(self, data, axes, signal=None):
        norm = [normalize_axis(int(a), data.ndim) for a in np.asarray(axes).reshape(-1)]
        sizes = [-1] * len(norm) if signal is None else [int(s) for s in np.asarray(signal).reshape(-1)]
        x = _resize(data.astype(np.float64), norm, sizes)
        return [_split(np.fft.rfftn(x, axes=norm), data.dtype)]


@dataclass(frozen=True)
class IRDFT(_Transform):
    """opset9 IRDFT: complex half spectrum -> real; the last axis becomes signal_size (default 2 * (n - 1))."""

    TYPE = "IRDFT"
    VERSION = "opset9"
    COMPLEX_OUT = False

    def output_dims(self, dims: list[Dim], norm: list[int], sizes: list[int]) -> list[Dim]:
        last = dims[norm[-1]]
        dims = super().output_dims(dims, norm[:-1], sizes[:-1])
        dims[norm[-1]] = sizes[-1] if sizes[-1] >= 0 else (2 * (last - 1) if isinstance(last, int) else DYNAMIC)
        return dims

    def evaluate(self, data, axes, signal=None):
        rank = data.ndim - 1
        norm = [normalize_axis(int(a), rank) for a in np.asarray(axes).reshape(-1)]
        sizes = [-1] * len(norm) if signal is None else [int(s) for s in np.asarray(signal).reshape(-1)]
        z = _complex(data)
        last = sizes[-1] if sizes[-1] >= 0 else 2 * (z.shape[norm[-1]] - 1)
        z = _resize(z, norm[:-1], sizes[:-1])
        # The half spectrum is cut or zero-padded to last // 2 + 1 values before the inverse.
        z = _resize(z, [norm[-1]], [last // 2 + 1])
        return [np.fft.irfftn(z, s=[z.shape[a] for a in norm[:-1]] + [last], axes=norm).astype(data.dtype)]


@dataclass(frozen=True)
class STFT(Op):
    """opset15 STFT: signal [batch?, length], window [<= frame_size, centered with zeros], frame_size and
    frame_step scalars. Output [batch?, frames, frame_size // 2 + 1, 2], or [batch?, bins, frames, 2] with
    transpose_frames; frames = (length - frame_size) // frame_step + 1."""

    TYPE = "STFT"
    VERSION = "opset15"
    transpose_frames: bool = False

    def infer(self, signal: TensorInfo, window: TensorInfo, size: TensorInfo, step: TensorInfo) -> list[TensorInfo]:
        if signal.rank is None:
            return [TensorInfo(signal.element_type, PartialShape(None))]
        frame, hop = _values(size), _values(step)
        length = signal.shape[-1]
        if frame is None or hop is None:
            frames: Dim = DYNAMIC
            bins: Dim = DYNAMIC
        else:
            bins = frame[0] // 2 + 1
            frames = (length - frame[0]) // hop[0] + 1 if isinstance(length, int) else DYNAMIC
        lead = list(signal.shape)[:-1]
        tail = [bins, frames] if self.transpose_frames else [frames, bins]
        return [TensorInfo(signal.element_type, PartialShape(lead + tail + [2]))]

    def evaluate(self, signal, window, size, step):
        frame, hop = int(np.asarray(size).reshape(-1)[0]), int(np.asarray(step).reshape(-1)[0])
        pad = frame - window.shape[0]
        w = np.pad(window.astype(np.float64), (pad // 2, pad - pad // 2))
        count = (signal.shape[-1] - frame) // hop + 1
        starts = np.arange(count) * hop
        frames = np.stack([signal[..., s:s + frame] for s in starts], axis=-2).astype(np.float64) * w
        z = np.fft.rfft(frames, axis=-1)                    # [..., frames, bins]
        if self.transpose_frames:
            z = np.swapaxes(z, -1, -2)
        return [_split(z, signal.dtype)]


OPS: tuple[type[Op], ...] = (DFT, IDFT, RDFT, IRDFT, STFT)
__all__ = [c.__name__ for c in OPS]
