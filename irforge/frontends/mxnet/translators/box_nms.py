"""box_nms (_contrib_box_nms): MXNet's greedy NMS over rows of [..., N, K], translated with NonMaxSuppression so
that the output keeps MXNet's layout: per batch, the surviving rows (whole input rows) first, by descending
score (ties in input order), then rows of -1.

MXNet's steps, and their OpenVINO counterparts:
- valid rows score > valid_thresh (and, with id_index and background_id >= 0, id != background_id);
- the valid rows sorted by score, stable, and cut to the first topk: one TopK-11 (stable) over the scores with
  invalid rows at -inf, and a Gather of those k candidate rows;
- greedy suppression within the candidates, IoU > overlap_thresh, only between rows of the same class (the id
  truncated to an integer) unless force_suppress: NonMaxSuppression over the candidates. The classes are
  numbered by the first candidate of each id (a [k, k] id comparison), so each candidate is in exactly one of
  the k NMS classes; a box with a negative width or height (which MXNet never matches) becomes an empty box;
- the survivors compacted to the top in candidate order: ScatterNDUpdate of the selected indices into a keep
  mask, then TopK (min) of position + k * (not kept) orders kept rows first; the rest become -1;
- out_format != in_format converts the coordinates of rows whose first coordinate is >= 0 (MXNet's kernel skips
  the others, -1 rows included);
- rows past the k candidates are -1 (a Pad).
topk = 0 returns the input unchanged, as MXNet does."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import MxNode
from .common import i64, scalar

F32 = np.float32
FORMATS = ("corner", "center")


def _f32(n: MxNode, value: float) -> Output:
    return scalar(n, value, ElementType.f32)


def _column(n: MxNode, rows: Output, index: int) -> Output:
    """rows[..., index] ([B, k, K] -> [B, k])."""
    return n.out(ops.Gather(), rows, n.const(np.int64(index)), n.const(np.int64(2)))


def _columns(n: MxNode, rows: Output, begin: int, end: int) -> Output:
    return n.out(ops.Slice(), rows, n.const(i64([begin])), n.const(i64([end])), n.const(i64([1])), n.const(i64([2])))


def _take_rows(n: MxNode, rows: Output, index: Output) -> Output:
    """rows [B, N, K] at index [B, k] -> [B, k, K]. GatherND, not Gather with batch_dims=1: the CPU plugin
    crashes on that Gather when B is 1 (docs/OPENVINO_QUIRKS.md)."""
    return n.out(ops.GatherND(batch_dims=1), rows, n.out(ops.Unsqueeze(), index, n.const(i64([2]))))


def _convert_format(n: MxNode, coords: Output, to: str) -> Output:
    """[..., 4] corner <-> center, as MXNet's corner_to_center / center_to_corner compute them."""
    a, b, c, d = (n.out(ops.Gather(), coords, n.const(np.int64(i)), n.const(np.int64(-1))) for i in range(4))
    half = _f32(n, 0.5)
    if to == "center":   # (left + right) / 2, (top + bottom) / 2, right - left, bottom - top
        parts = [n.out(ops.Divide(), n.out(ops.Add(), a, c), _f32(n, 2.0)),
                 n.out(ops.Divide(), n.out(ops.Add(), b, d), _f32(n, 2.0)),
                 n.out(ops.Subtract(), c, a), n.out(ops.Subtract(), d, b)]
    else:                # x - w / 2, y - h / 2, x + w / 2, y + h / 2
        w, h = n.out(ops.Multiply(), c, half), n.out(ops.Multiply(), d, half)
        parts = [n.out(ops.Subtract(), a, w), n.out(ops.Subtract(), b, h), n.out(ops.Add(), a, w),
                 n.out(ops.Add(), b, h)]
    unsqueezed = [n.out(ops.Unsqueeze(), p, n.const(np.int64(-1))) for p in parts]
    return n.out(ops.Concat(axis=-1), *unsqueezed)


def box_nms(n: MxNode) -> list[Output]:
    """NonMaxSuppression + TopK / gathers / ScatterNDUpdate, output in MXNet's layout; every attribute.

    valid_thresh, overlap_thresh, topk, coord_start, score_index, id_index, background_id, force_suppress,
    in_format / out_format (corner, center); data [..., N, K] with static N and K. Per-class NMS (id_index
    without force_suppress) compares the k candidates' ids pairwise: [k, k] values per batch."""
    x = n.input(0)
    rank = n.rank(x)
    if rank < 2 or not all(isinstance(d, int) for d in x.shape.dims[-2:]):  # type: ignore[index]
        raise n.error(f"box_nms needs data [..., N, K] with known N and K, got [{x.shape}]: give --input_shape")
    count, width = x.shape[rank - 2], x.shape[rank - 1]
    valid_thresh, overlap = n.float("valid_thresh", 0.0), n.float("overlap_thresh", 0.5)
    topk, coord = n.int("topk", -1), n.int("coord_start", 2)
    score_index, id_index = n.int("score_index", 1), n.int("id_index", -1)
    background, force = n.int("background_id", -1), n.bool("force_suppress", False)
    in_format, out_format = n.str("in_format", "corner"), n.str("out_format", "corner")
    if in_format not in FORMATS or out_format not in FORMATS:
        raise n.error(f"in_format {in_format!r} / out_format {out_format!r} must be corner or center")
    for what, index in (("score_index", score_index), ("coord_start", coord), ("coord_start + 3", coord + 3)):
        if not 0 <= index < width:
            raise n.error(f"{what} {index} is outside the {width} values of a row")
    if id_index >= width:
        raise n.error(f"id_index {id_index} is outside the {width} values of a row")
    if topk == 0:
        return [x]
    k = count if topk < 0 else min(topk, count)
    rows = n.out(ops.Reshape(special_zero=False), x, n.const(i64([-1, count, width])))        # [B, N, K]

    # -- valid rows, sorted by score, the first k --
    scores = _column(n, rows, score_index)
    valid = n.out(ops.Greater(), scores, _f32(n, valid_thresh))
    if id_index >= 0 and background >= 0:
        valid = n.out(ops.LogicalAnd(), valid,
                      n.out(ops.NotEqual(), _column(n, rows, id_index), _f32(n, float(background))))
    ranked = n.out(ops.Select(), valid, scores, _f32(n, -np.inf))
    top = n.add(ops.TopK(axis=1, mode="max", sort="value", index_element_type=ElementType.i64, stable=True),
                ranked, n.const(np.int64(k)))
    candidates = _take_rows(n, rows, top.outputs[1])                                          # [B, k, K]
    nms_scores = n.out(ops.Maximum(), top.outputs[0], _f32(n, valid_thresh))    # invalid: not above the threshold

    # -- boxes MXNet never matches (negative width or height) become empty ones --
    boxes = _columns(n, candidates, coord, coord + 4)                                         # [B, k, 4]
    if in_format == "corner":
        extent = n.out(ops.Subtract(), _columns(n, boxes, 2, 4), _columns(n, boxes, 0, 2))
    else:
        extent = _columns(n, boxes, 2, 4)
    negative = n.out(ops.ReduceMin(keep_dims=True), extent, n.const(i64([2])))
    boxes = n.out(ops.Select(), n.out(ops.Less(), negative, _f32(n, 0.0)), _f32(n, 0.0), boxes)

    # -- NMS classes: one per id (numbered by its first candidate), or one for all --
    if id_index >= 0 and not force:
        ids = _column(n, candidates, id_index)
        ids = n.out(ops.Multiply(), n.out(ops.Sign(), ids), n.out(ops.Floor(), n.out(ops.Abs(), ids)))   # trunc
        same = n.out(ops.Equal(), n.out(ops.Unsqueeze(), ids, n.const(i64([2]))),
                     n.out(ops.Unsqueeze(), ids, n.const(i64([1]))))                          # [B, k, k]: i, j
        first = n.add(ops.TopK(axis=1, mode="max", sort="value", index_element_type=ElementType.i64, stable=True),
                      n.out(ops.Convert(ElementType.f32), same), n.const(np.int64(1))).outputs[1]   # [B, 1, k]
        member = n.out(ops.Equal(), first, n.const(np.arange(k, dtype=np.int64).reshape(1, k, 1)))  # [B, c, j]
        class_scores = n.out(ops.Select(), member, n.out(ops.Unsqueeze(), nms_scores, n.const(i64([1]))),
                             _f32(n, valid_thresh))
    else:
        class_scores = n.out(ops.Unsqueeze(), nms_scores, n.const(i64([1])))                 # [B, 1, k]
    nms = n.add(ops.NonMaxSuppression(box_encoding=in_format, sort_result_descending=False,
                                      output_type=ElementType.i64),
                boxes, class_scores, n.const(i64([k])), n.const(F32([overlap])), n.const(F32([valid_thresh])))

    # -- keep mask: the selected (batch, candidate) pairs, plus a dummy (0, k) so the update is never empty --
    selected = n.out(ops.Concat(axis=0), nms.outputs[0], n.const(i64([[0, 0, k]])))
    pairs = n.out(ops.Gather(), selected, n.const(i64([0, 2])), n.const(np.int64(1)))         # [M + 1, 2]
    ones = n.out(ops.Broadcast(), _f32(n, 1.0), n.out(ops.Gather(), n.out(ops.ShapeOf(), pairs),
                                                       n.const(i64([0])), n.const(np.int64(0))))
    zeros = n.out(ops.Broadcast(), _f32(n, 0.0),
                  n.out(ops.Concat(axis=0), n.out(ops.Gather(), n.out(ops.ShapeOf(), rows), n.const(i64([0])),
                                                  n.const(np.int64(0))), n.const(i64([k + 1]))))
    keep = n.out(ops.ScatterNDUpdate(), zeros, pairs, ones)                                    # [B, k + 1]
    keep = n.out(ops.Slice(), keep, n.const(i64([0])), n.const(i64([k])), n.const(i64([1])), n.const(i64([1])))

    # -- survivors first, in candidate order; the rest -1 --
    position = n.const(np.arange(k, dtype=F32).reshape(1, k))
    key = n.out(ops.Add(), position, n.out(ops.Multiply(), n.out(ops.Subtract(), _f32(n, 1.0), keep), _f32(n, k)))
    order = n.add(ops.TopK(axis=1, mode="min", sort="value", index_element_type=ElementType.i64, stable=True),
                  key, n.const(np.int64(k)))
    out = _take_rows(n, candidates, order.outputs[1])                                          # [B, k, K]
    kept = n.out(ops.Unsqueeze(), n.out(ops.Less(), order.outputs[0], _f32(n, k)), n.const(i64([2])))
    out = n.out(ops.Select(), kept, out, _f32(n, -1.0))
    if in_format != out_format:
        coords = _columns(n, out, coord, coord + 4)
        first_coord = n.out(ops.Unsqueeze(), _column(n, out, coord), n.const(i64([2])))
        coords = n.out(ops.Select(), n.out(ops.GreaterEqual(), first_coord, _f32(n, 0.0)),
                       _convert_format(n, coords, out_format), coords)
        parts = [p for p in (_columns(n, out, 0, coord) if coord > 0 else None, coords,
                             _columns(n, out, coord + 4, width) if coord + 4 < width else None) if p is not None]
        out = n.out(ops.Concat(axis=2), *parts) if len(parts) > 1 else parts[0]
    if k < count:
        out = n.out(ops.Pad(pad_mode="constant"), out, n.const(i64([0, 0, 0])), n.const(i64([0, count - k, 0])),
                    _f32(n, -1.0))
    return [n.out(ops.Reshape(special_zero=False), out, n.out(ops.ShapeOf(), x))]
