"""Convolutions: Convolution, GroupConvolution and their transposed (BackpropData) forms, any spatial rank."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge.core.shape import DYNAMIC, Dim, dim_add, dim_mul, make_dim

from .base import AutoPad, Op, PartialShape, TensorInfo, same_element_type
from .window import output_size, pad_spatial, resolve_pads, same_output_size, windows


@dataclass(frozen=True)
class Convolution(Op):
    """opset1 Convolution: data [N, C, *S] with filters [O, C, *K] gives [N, O, *S_out]."""

    TYPE = "Convolution"
    strides: tuple[int, ...] = ()
    pads_begin: tuple[int, ...] = ()
    pads_end: tuple[int, ...] = ()
    dilations: tuple[int, ...] = ()
    auto_pad: AutoPad = AutoPad.EXPLICIT

    def infer(self, data: TensorInfo, filters: TensorInfo) -> list[TensorInfo]:
        et = same_element_type(self, data, filters)
        return [TensorInfo(et, self._out_shape(data.shape, filters.shape, grouped=False))]

    def _out_shape(self, data: PartialShape, filters: PartialShape, grouped: bool) -> PartialShape:
        """Shared with GroupConvolution, whose filters carry a leading group axis."""
        if data.rank is None and filters.rank is None:
            return PartialShape(None)
        lead = 1 if grouped else 0
        rank = data.rank if data.rank is not None else filters.rank - lead  # type: ignore[operator]
        spatial_rank = rank - 2
        if filters.rank is not None and filters.rank - lead != rank:
            raise ValueError(f"{self.TYPE} data [{data}] and filters [{filters}] ranks do not fit")
        if data.rank is None or filters.rank is None:
            return PartialShape([DYNAMIC] * rank)
        self._check_attrs(spatial_rank)
        channels = data[1]
        in_per_group = filters[lead + 1]
        if not grouped:
            if isinstance(channels, int) and isinstance(in_per_group, int) and channels != in_per_group:
                raise ValueError(f"data has {channels} channels, filters expect {in_per_group}")
            out_channels: Dim = filters[0]
        else:
            g, per_group_out = filters[0], filters[1]
            if isinstance(channels, int) and isinstance(g, int) and isinstance(in_per_group, int) \
                    and channels != g * in_per_group:
                raise ValueError(f"data has {channels} channels, filters expect {g} groups x {in_per_group}")
            out_channels = dim_mul(g, per_group_out)
        kernel = list(filters.dims[lead + 2:])  # type: ignore[index]
        spatial = list(data.dims[2:])  # type: ignore[index]
        return PartialShape([data[0], out_channels] + self._spatial_out(spatial, kernel))

    def _check_attrs(self, spatial_rank: int) -> None:
        for name in ("strides", "dilations"):
            if len(getattr(self, name)) != spatial_rank:
                raise ValueError(f"{name} {getattr(self, name)} must have {spatial_rank} values")
        if self.auto_pad == AutoPad.EXPLICIT and (len(self.pads_begin) != spatial_rank
                                                  or len(self.pads_end) != spatial_rank):
            raise ValueError(f"pads {self.pads_begin}/{self.pads_end} must have {spatial_rank} values")

    def _spatial_out(self, spatial: list[Dim], kernel: list[Dim]) -> list[Dim]:
        if not all(isinstance(k, int) for k in kernel):
            return [DYNAMIC] * len(spatial)
        if self.auto_pad in (AutoPad.SAME_UPPER, AutoPad.SAME_LOWER):
            return [same_output_size(s, st) for s, st in zip(spatial, self.strides)]
        begin, end = resolve_pads(self.auto_pad, spatial, kernel, self.strides, self.dilations,  # type: ignore
                                  self.pads_begin, self.pads_end)  # type: ignore[misc]
        return [output_size(s, k, st, d, b, e)  # type: ignore[arg-type]
                for s, k, st, d, b, e in zip(spatial, kernel, self.strides, self.dilations, begin, end)]

    def evaluate(self, data: np.ndarray, filters: np.ndarray) -> list[np.ndarray]:
        return [convolve(data, filters, self, groups=1)]


@dataclass(frozen=True)
class GroupConvolution(Convolution):
    """opset1 GroupConvolution: filters [G, O/G, C/G, *K]."""

    TYPE = "GroupConvolution"

    def infer(self, data: TensorInfo, filters: TensorInfo) -> list[TensorInfo]:
        et = same_element_type(self, data, filters)
        return [TensorInfo(et, self._out_shape(data.shape, filters.shape, grouped=True))]

    def evaluate(self, data: np.ndarray, filters: np.ndarray) -> list[np.ndarray]:
        groups = filters.shape[0]
        merged = filters.reshape((groups * filters.shape[1],) + filters.shape[2:])
        return [convolve(data, merged, self, groups=groups)]


def convolve(data: np.ndarray, filters: np.ndarray, op: Convolution, groups: int) -> np.ndarray:
    """Direct convolution through a strided window view: one tensordot, or one matmul batched over the groups."""
    kernel = filters.shape[2:]
    begin, end = resolve_pads(op.auto_pad, data.shape[2:], kernel, op.strides, op.dilations,  # type: ignore
                              op.pads_begin, op.pads_end)  # type: ignore[misc]
    out_spatial = [output_size(s, k, st, d, b, e) for s, k, st, d, b, e in
                   zip(data.shape[2:], kernel, op.strides, op.dilations, begin, end)]
    padded = pad_spatial(data, begin, end)
    view = windows(padded, kernel, op.strides, op.dilations, out_spatial)  # [N, C, *S_out, *K]
    rank = len(kernel)
    acc = np.float64 if data.dtype == np.float64 else np.float32 if data.dtype.kind == "f" else np.int64
    if groups == 1:
        axes_v = [1] + list(range(2 + rank, 2 + 2 * rank))
        axes_w = list(range(1, 2 + rank))
        out = np.tensordot(view.astype(acc, copy=False), filters.astype(acc, copy=False),
                           axes=(axes_v, axes_w))  # [N, *S_out, O]
        return np.moveaxis(out, -1, 1).astype(data.dtype, copy=False)
    n, channels = data.shape[:2]
    per_in, per_out = channels // groups, filters.shape[0] // groups
    if per_in == 1 and per_out == 1:
        # Depthwise: one multiply-add over [N, C, *S_out] per kernel position, no im2col copy.
        out = np.zeros((n, channels) + tuple(out_spatial), acc)
        w = filters.astype(acc, copy=False).reshape((1, channels) + tuple(kernel))
        for k in np.ndindex(*kernel):
            out += view[(Ellipsis,) + k] * w[(slice(None), slice(None)) + k].reshape((1, channels) + (1,) * rank)
        return out.astype(data.dtype, copy=False)
    # Other grouped convolutions: one matmul batched over the groups, not a Python loop per group.
    # cols[g, (n, *s), (c, *k)] @ w[g, (c, *k), o] -> [G, N * S, O/G]
    k_size = int(np.prod(kernel, dtype=np.int64))
    s_size = int(np.prod(out_spatial, dtype=np.int64))
    grouped = view.reshape((n, groups, per_in) + tuple(out_spatial) + tuple(kernel))
    order = [1, 0] + list(range(3, 3 + rank)) + [2] + list(range(3 + rank, 3 + 2 * rank))
    cols = np.ascontiguousarray(grouped.transpose(order), dtype=acc).reshape(groups, n * s_size, per_in * k_size)
    w = filters.astype(acc, copy=False).reshape(groups, per_out, per_in * k_size).transpose(0, 2, 1)
    out = np.matmul(cols, w)  # [G, N * S, O/G]
    out = out.reshape((groups, n) + tuple(out_spatial) + (per_out,))
    out = np.moveaxis(out, -1, 1)  # [G, O/G, N, *S]
    out = out.reshape((groups * per_out, n) + tuple(out_spatial))
    return np.moveaxis(out, 0, 1).astype(data.dtype, copy=False)


@dataclass(frozen=True)
class ConvolutionBackpropData(Op):
    """opset1 ConvolutionBackpropData (transposed convolution): data [N, Cin, *S], filters [Cin, Cout, *K],
    optional output_shape (spatial dims only). With output_shape, the pads are derived from it."""

    TYPE = "ConvolutionBackpropData"
    strides: tuple[int, ...] = ()
    pads_begin: tuple[int, ...] = ()
    pads_end: tuple[int, ...] = ()
    dilations: tuple[int, ...] = ()
    auto_pad: AutoPad = AutoPad.EXPLICIT
    output_padding: tuple[int, ...] = ()

    GROUPED = False

    def infer(self, data: TensorInfo, filters: TensorInfo, output_shape: TensorInfo | None = None
              ) -> list[TensorInfo]:
        et = same_element_type(self, data, filters)
        lead = 1 if self.GROUPED else 0
        if data.rank is None or filters.rank is None:
            rank = data.rank if data.rank is not None else (None if filters.rank is None else filters.rank - lead)
            return [TensorInfo(et, PartialShape(None if rank is None else [DYNAMIC] * rank))]
        if filters.rank - lead != data.rank:
            raise ValueError(f"data [{data.shape}] and filters [{filters.shape}] ranks do not fit")
        if self.GROUPED:
            out_c = dim_mul(filters.shape[0], filters.shape[2])
        else:
            out_c = filters.shape[1]
        spatial_rank = data.rank - 2
        if output_shape is not None:
            if output_shape.value is not None:
                spatial = [int(v) for v in np.asarray(output_shape.value).reshape(-1)]
                if len(spatial) != spatial_rank:
                    raise ValueError(f"output_shape {spatial} must have {spatial_rank} values")
                return [TensorInfo(et, PartialShape([data.shape[0], out_c] + spatial))]
            return [TensorInfo(et, PartialShape([data.shape[0], out_c] + [DYNAMIC] * spatial_rank))]
        kernel = filters.shape.dims[lead + 2:]  # type: ignore[index]
        spatial_out: list[Dim] = []
        for i, (s, k) in enumerate(zip(data.shape.dims[2:], kernel)):  # type: ignore[index]
            if not isinstance(k, int):
                spatial_out.append(DYNAMIC)
                continue
            b, e = self._pads(i)
            extra = (k - 1) * self._dil(i) + 1 - b - e + self._out_pad(i) - self.strides[i]
            spatial_out.append(dim_add(dim_mul(s, self.strides[i]), extra) if isinstance(s, int)
                               else make_dim(0, None))
        return [TensorInfo(et, PartialShape([data.shape[0], out_c] + spatial_out))]

    def _dil(self, i: int) -> int:
        return self.dilations[i] if self.dilations else 1

    def _out_pad(self, i: int) -> int:
        return self.output_padding[i] if self.output_padding else 0

    def _pads(self, i: int) -> tuple[int, int]:
        if self.auto_pad != AutoPad.EXPLICIT:
            return 0, 0
        return (self.pads_begin[i] if self.pads_begin else 0), (self.pads_end[i] if self.pads_end else 0)

    def evaluate(self, data: np.ndarray, filters: np.ndarray, output_shape: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        if self.GROUPED:
            groups = filters.shape[0]
            per_in = data.shape[1] // groups
            parts = [self._transposed(data[:, g * per_in:(g + 1) * per_in], filters[g], output_shape)
                     for g in range(groups)]
            return [np.concatenate(parts, axis=1)]
        return [self._transposed(data, filters, output_shape)]

    def _transposed(self, data: np.ndarray, filters: np.ndarray, output_shape: np.ndarray | None) -> np.ndarray:
        rank = data.ndim - 2
        kernel = filters.shape[2:]
        acc = np.float64 if data.dtype == np.float64 else np.float32
        # y[n, *S, co, *K] = sum_ci x[n, ci, *S] w[ci, co, *K], then scattered to s*stride + k*dilation.
        y = np.tensordot(np.moveaxis(data, 1, -1).astype(acc), filters.astype(acc), axes=([-1], [0]))
        full = [(s - 1) * self.strides[i] + (k - 1) * self._dil(i) + 1 for i, (s, k) in
                enumerate(zip(data.shape[2:], kernel))]
        buf = np.zeros((data.shape[0], filters.shape[1], *full), acc)
        for kidx in np.ndindex(*kernel):
            dst = (slice(None), slice(None)) + tuple(
                slice(kidx[i] * self._dil(i), kidx[i] * self._dil(i) + (data.shape[2 + i] - 1) * self.strides[i] + 1,
                      self.strides[i]) for i in range(rank))
            src = y[(slice(None),) + (slice(None),) * rank + (slice(None),) + kidx]  # [N, *S, Cout]
            buf[dst] += np.moveaxis(src, -1, 1)
        begins, sizes = [], []
        for i in range(rank):
            # Where the output window starts inside the full scatter result (checked against the runtime):
            # SAME_UPPER puts the odd pad at the start, SAME_LOWER at the end; explicit pads crop pads_begin.
            if output_shape is not None or self.auto_pad in (AutoPad.SAME_UPPER, AutoPad.SAME_LOWER):
                size = int(np.asarray(output_shape).reshape(-1)[i]) if output_shape is not None \
                    else data.shape[2 + i] * self.strides[i]
                total = full[i] + self._out_pad(i) - size
                if self.auto_pad == AutoPad.SAME_UPPER:
                    begin = total - total // 2
                elif self.auto_pad == AutoPad.SAME_LOWER:
                    begin = total // 2
                else:
                    begin = self._pads(i)[0]
            else:
                b, e = self._pads(i)
                begin, size = b, full[i] - b - e + self._out_pad(i)
            begins.append(begin)
            sizes.append(size)
        # Output padding may reach past the computed area: pad with zeros on the end first.
        widths = [(0, 0), (0, 0)] + [(max(0, -b), max(0, b + s - f)) for b, s, f in zip(begins, sizes, full)]
        buf = np.pad(buf, widths)
        crop = (slice(None), slice(None)) + tuple(slice(max(b, 0), max(b, 0) + s) for b, s in zip(begins, sizes))
        return buf[crop].astype(data.dtype, copy=False)


@dataclass(frozen=True)
class GroupConvolutionBackpropData(ConvolutionBackpropData):
    """opset1 GroupConvolutionBackpropData: filters [G, Cin/G, Cout/G, *K]."""

    TYPE = "GroupConvolutionBackpropData"
    GROUPED = True


OPS: tuple[type[Op], ...] = (Convolution, GroupConvolution, ConvolutionBackpropData, GroupConvolutionBackpropData)
__all__ = [c.__name__ for c in OPS]
