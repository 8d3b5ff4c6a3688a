"""DFT and STFT. ONNX's complex tensors are OpenVINO's ([..., 2]); a real input carries a last dim of 1."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import OnnxNode
from .generic import i64


def _axis(n: OnnxNode, rank: int) -> Output:
    """The transformed axis as a non-negative [1] tensor (an attribute before opset 20, then input 2)."""
    if n.opset < 20:
        axis = int(n.attr("axis", 1))
        return n.const(i64([axis % rank]))
    if not n.has(2):
        return n.const(i64([rank - 2]))
    axis = n.out(ops.Reshape(), n.out(ops.Convert(ElementType.i64), n.input(2)), n.const(i64([1])))
    if n.value(2) is not None:
        return n.const(i64([int(n.value(2).reshape(-1)[0]) % rank]))  # type: ignore[union-attr]
    return n.out(ops.FloorMod(), axis, n.const(i64(rank)))


def dft(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    rank = x.shape.rank
    if rank is None or not isinstance(x.shape[-1], int):
        raise n.error("DFT needs an input of known rank whose last dim (1: real, 2: complex) is known")
    axis = _axis(n, rank)
    inverse, onesided = bool(n.attr("inverse", 0)), bool(n.attr("onesided", 0))
    length = [n.out(ops.Reshape(), n.out(ops.Convert(ElementType.i64), n.input(1)), n.const(i64([1])))] \
        if n.has(1) else []
    real = x.shape[-1] == 1
    if onesided and axis.value is None:
        # RDFT / IRDFT with run-time axes crash the CPU plugin of OpenVINO 2026.4 (SIGSEGV), so refuse them here.
        raise n.error("a onesided DFT needs its axis known at conversion time")
    if onesided and inverse:
        if real:
            raise n.error("an inverse onesided DFT takes a complex (half spectrum) input")
        y = n.out(ops.IRDFT(), x, axis, *length)
        return [n.out(ops.Unsqueeze(), y, n.const(i64([-1])))]
    if real and onesided:
        return [n.out(ops.RDFT(), n.out(ops.Squeeze(), x, n.const(i64([-1]))), axis, *length)]
    if real:  # a full spectrum of a real signal: make it complex with a zero imaginary part
        x = n.out(ops.Concat(axis=-1), x, n.out(ops.Multiply(), x, n.const(np.array(0, x.element_type.numpy))))
    elif onesided:
        raise n.error("onesided needs a real input")
    return [n.out(ops.IDFT() if inverse else ops.DFT(), x, axis, *length)]


def stft(n: OnnxNode) -> list[Output]:
    """signal [batch, length, 1] -> OpenVINO's STFT over [batch, length]; no window means a rectangular one of
    frame_length."""
    signal = n.input(0)
    if signal.shape.rank != 3 or signal.shape[2] != 1:
        raise n.error("STFT supports real signals [batch, length, 1]")
    if not n.attr("onesided", 1):
        raise n.error("STFT with onesided=0 is not supported (OpenVINO's STFT is onesided)")
    step = n.out(ops.Convert(ElementType.i64), n.input(1))
    if n.has(2):
        window = n.input(2)
        size = n.out(ops.Gather(), n.out(ops.ShapeOf(), window), n.const(i64(0)), n.const(i64(0)))
    elif n.has(3):
        size = n.out(ops.Convert(ElementType.i64), n.input(3))
        window = n.out(ops.Broadcast(), n.const(np.array(1, signal.element_type.numpy)),
                       n.out(ops.Reshape(), size, n.const(i64([1]))))
    else:
        raise n.error("STFT needs a window or a frame_length")
    if n.has(3):
        size = n.out(ops.Convert(ElementType.i64), n.input(3))
    scalar = n.const(i64([]))
    squeezed = n.out(ops.Squeeze(), signal, n.const(i64([2])))
    return [n.out(ops.STFT(transpose_frames=False), squeezed, window, n.out(ops.Reshape(), size, scalar),
                  n.out(ops.Reshape(), step, scalar))]
