"""Partial values: shape vectors computed from dynamic shapes keep their known elements (ShapeOf -> Gather ->
Concat -> Reshape; Where(Equal(shape, -1), 1, shape) -> Broadcast; sizes of a Resize). The oracle for the
inferred shapes is OpenVINO's own shape inference of the same IR (its bound and value propagation); both
runtimes then run the IR at concrete shapes, so folding what became known cannot change the values."""
from __future__ import annotations

import numpy as np
import pytest

import irforge
from irforge import ops
from irforge.core import ElementType
from irforge.core.graph import Graph, Output
from irforge.core.op import TensorInfo
from irforge.core.shape import DYNAMIC, Interval, PartialShape
from irforge.ops import bounds
from irforge.transforms.fold_constants import fold_constants
from oracles import assert_close, openvino, run_openvino, run_reference

I64 = ElementType.i64


def _const(g: Graph, v) -> Output:
    return g.constant(np.array(v, np.int64))


def _dims(g: Graph, x: Output, indices) -> Output:
    return g.out(ops.Gather(), g.out(ops.ShapeOf(), x), _const(g, indices), _const(g, 0))


def _openvino_shapes(xml) -> dict[str, str]:
    model = openvino().Core().read_model(str(xml))
    return {op.get_friendly_name(): str(op.get_output_partial_shape(0)).strip("[]").replace(" ", "")
            for op in model.get_ordered_ops() if op.get_output_size()}


def _check(g: Graph, out: Output, expected: str, feeds_at: list[list[np.ndarray]], tmp_path) -> int:
    """`out` is inferred as `expected`, as OpenVINO infers it from the same IR, and both runtimes agree on the
    outputs at each set of feeds (before and after the conversion pipeline folds what became known). Returns
    the number of nodes folded."""
    assert str(out.shape) == expected
    g.result(out, name="out")
    xml, _ = irforge.save_model(g, tmp_path / "partial.xml")
    assert _openvino_shapes(xml)[out.node.name] == expected
    folded = g.copy()
    count = fold_constants(folded)
    folded_xml, _ = irforge.save_model(folded, tmp_path / "folded.xml")
    for feeds in feeds_at:
        theirs = run_openvino(xml, feeds)
        for got in (run_reference(xml, feeds), run_openvino(folded_xml, feeds), run_reference(folded_xml, feeds)):
            for a, b in zip(got, theirs):
                assert_close(a, b, what="vs OpenVINO on the unfolded IR")
    return count


def _feeds(*shapes):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def test_reshape_target_from_dynamic_dims_keeps_static_ones(tmp_path):
    """The attention head split of every transformer: [B, S, 64] -> Concat(B, S, 4, 16)."""
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([DYNAMIC, DYNAMIC, 64]))
    target = g.out(ops.Concat(axis=0), _dims(g, x, [0, 1]), _const(g, [4, 16]))
    assert target.info.partial == (DYNAMIC, DYNAMIC, 4, 16)
    out = g.out(ops.Reshape(special_zero=False), x, target)
    _check(g, out, "?,?,4,16", [_feeds((2, 3, 64)), _feeds((1, 7, 64))], tmp_path)


def test_known_element_of_a_dynamic_shape_is_a_value(tmp_path):
    """Gather of a static dim of a dynamic shape is known: it folds, and arithmetic on it stays exact."""
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([DYNAMIC, 12]))
    width = _dims(g, x, [1])
    assert width.value is not None and width.value.tolist() == [12]
    heads = g.out(ops.Divide(), width, _const(g, [4]))
    out = g.out(ops.Reshape(special_zero=True), x, g.out(ops.Concat(axis=0), _const(g, [0]), heads,
                                                          _const(g, [-1])))
    assert _check(g, out, "?,3,4", [_feeds((5, 12))], tmp_path) >= 3   # Gather, Divide, Concat


def test_expand_with_minus_one_pattern(tmp_path):
    """torch's Expand export: Where(Equal(shape, -1), ones, shape) -> Broadcast (bidirectional). A dynamic dim
    is never -1, so Equal is decided and the 1 of the target survives."""
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([DYNAMIC, DYNAMIC]))
    shape = g.out(ops.Concat(axis=0), _dims(g, x, [0]), _const(g, [-1]), _dims(g, x, [1, 1]))
    is_minus_one = g.out(ops.Equal(), shape, _const(g, [-1, -1, -1, -1]))
    assert is_minus_one.value is not None and is_minus_one.value.tolist() == [False, True, False, False]
    target = g.out(ops.Select(), is_minus_one, _const(g, [1, 1, 1, 1]), shape)
    assert target.info.partial == (DYNAMIC, 1, DYNAMIC, DYNAMIC)
    mask = g.out(ops.Reshape(special_zero=False), x, g.out(ops.Concat(axis=0), _dims(g, x, [0]), _const(g, [1, 1]),
                                                           _dims(g, x, [1])))
    out = g.out(ops.Broadcast(mode="bidirectional"), mask, target)
    _check(g, out, "?,1,?,?", [_feeds((2, 3)), _feeds((1, 1))], tmp_path)


def test_interpolate_sizes_from_two_shapes(tmp_path):
    """A segmentation head: Resize(features, sizes = Concat(shape(features)[:2], shape(image)[2:]))."""
    g = Graph()
    image = g.parameter("image", ElementType.f32, PartialShape([DYNAMIC, 3, DYNAMIC, DYNAMIC]))
    feats = g.parameter("features", ElementType.f32, PartialShape([DYNAMIC, 21, DYNAMIC, DYNAMIC]))
    sizes = g.out(ops.Concat(axis=0),
                  g.out(ops.Slice(), g.out(ops.ShapeOf(), feats), _const(g, [0]), _const(g, [2]), _const(g, [1])),
                  g.out(ops.Slice(), g.out(ops.ShapeOf(), image), _const(g, [2]), _const(g, [4]), _const(g, [1])))
    out = g.out(ops.Interpolate11(mode="linear_onnx", shape_calculation_mode="sizes", pads_begin=(0, 0, 0, 0),
                                  pads_end=(0, 0, 0, 0)), feats, sizes)
    _check(g, out, "?,21,?,?", [_feeds((1, 3, 16, 12), (1, 21, 4, 3))], tmp_path)


def test_slice_with_a_dynamic_stop_is_bounded(tmp_path):
    """Position ids: arange(128)[:, :S] for a dynamic S has at most 128 elements."""
    g = Graph()
    ids = g.parameter("ids", ElementType.f32, PartialShape([DYNAMIC, DYNAMIC]))
    positions = g.constant(np.arange(128, dtype=np.float32).reshape(1, 128))
    out = g.out(ops.Slice(), positions, _const(g, [0]), _dims(g, ids, [1]), _const(g, [1]), _const(g, [1]))
    _check(g, out, "1,..128", [[np.zeros((2, 5), np.float32)]], tmp_path)


def test_arithmetic_on_dynamic_dims_keeps_bounds_and_static_results(tmp_path):
    """Concat of a class token: S + 1 is at least 1; S * 64 / 64 * 0 is exactly 0 (folded)."""
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([DYNAMIC, Interval(2, 10), 8]))
    seq = _dims(g, x, [1])
    longer = g.out(ops.Add(), seq, _const(g, [1]))
    assert longer.info.partial == (Interval(3, 11),)
    assert g.out(ops.Multiply(), seq, _const(g, [0])).value.tolist() == [0]
    # A difference that may be negative has no Interval: it stays unknown rather than wrong.
    assert g.out(ops.Subtract(), seq, _const(g, [5])).info.partial is None
    target = g.out(ops.Concat(axis=0), _dims(g, x, [0]), longer, _const(g, [2, 4]))
    padded = g.out(ops.Pad(pad_mode="constant"), x, _const(g, [0, 1, 0]), _const(g, [0, 0, 0]))
    out = g.out(ops.Reshape(special_zero=False), padded, target)
    _check(g, out, "?,3..11,2,4", [_feeds((2, 4, 8))], tmp_path)


def test_undecidable_comparison_stays_unknown():
    """A dynamic dim may be 0: Equal(dim, 0) is not decided (no value, no guess)."""
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([DYNAMIC, 4]))
    undecided = g.out(ops.Equal(), _dims(g, x, [0]), _const(g, [0]))
    assert undecided.value is None
    decided = g.out(ops.Equal(), _dims(g, x, [1]), _const(g, [4]))
    assert decided.value.tolist() == [True]


def test_convert_keeps_the_partial_value():
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([DYNAMIC, 4]))
    cast = g.out(ops.Convert(destination_type=ElementType.i32), g.out(ops.ShapeOf(), x))
    assert cast.info.partial == (DYNAMIC, 4)
    assert g.out(ops.Convert(destination_type=ElementType.f32), g.out(ops.ShapeOf(), x)).info.partial is None


def test_reshape_special_zero_element_that_may_be_zero():
    """With special_zero, a dynamic target element may be 0 and then copies the input dim: the output dim is
    either one (their bounds' union), not the target element alone."""
    x = TensorInfo(ElementType.f32, PartialShape([5, Interval(0, 8)]))
    target = TensorInfo(I64, PartialShape([2]), None, (Interval(0, 3), Interval(2, 4)))
    out = ops.Reshape(special_zero=True).infer(x, target)[0]
    assert out.shape == PartialShape([Interval(0, 5), Interval(2, 4)])


@pytest.mark.parametrize("rule,a,b,expected", [
    (bounds.add, (0, None), (1, 1), (1, None)),
    (bounds.subtract, (4, 9), (1, 2), (2, 8)),
    (bounds.subtract, (0, None), (1, 1), (-1, None)),      # may be negative: no Interval (see below)
    (bounds.subtract, (0, 5), (0, None), None),            # no lower bound
    (bounds.multiply, (2, 3), (4, None), (8, None)),
    (bounds.multiply, (0, None), (0, 0), (0, 0)),
    (bounds.divide, (7, 20), (2, 3), (2, 10)),
    (bounds.divide, (7, 20), (0, 3), None),                # may divide by 0
    (bounds.equal, (0, None), (-1, -1), False),
    (bounds.equal, (0, None), (0, 0), None),
    (bounds.less, (0, 3), (4, None), True),
    (bounds.greater_equal, (5, None), (5, 5), True),
    (bounds.maximum, (0, None), (1, 1), (1, None)),
    (bounds.minimum, (0, None), (4, 4), (0, 4)),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_bounds_rules(rule, a, b, expected):
    assert rule(a, b) == expected


def test_only_exact_elements_are_kept():
    assert bounds._element((3, 3)) == 3 and bounds._element((-1, -1)) == -1
    assert bounds._element((2, None)) == Interval(2, None)
    assert bounds._element((-1, 4)) is None and bounds._element(None) is None


def test_slice_of_an_unbounded_axis_may_be_bounded(tmp_path):
    """A detector's keep[:100] on a dynamic count: at most 100 (as OpenVINO infers it)."""
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([DYNAMIC, 4]))
    out = g.out(ops.Slice(), x, _const(g, [0]), _const(g, [100]), _const(g, [1]), _const(g, [0]))
    _check(g, out, "..100,4", [_feeds((150, 4)), _feeds((3, 4))], tmp_path)


def test_slice_length_bounds_match_every_axis_size():
    """The bounds of a slice's length over an axis size interval, against every size in it (negative starts make
    the length shrink as the axis grows: x[-3:2] has 2 elements for a size of 3, none for 10)."""
    from irforge.ops.indexing import _slice_dim
    r = np.random.default_rng(3)
    for _ in range(3000):
        start, step = int(r.integers(-12, 13)), int(r.choice([1, 2, 3, -1, -2]))
        stop = int(r.choice([r.integers(-12, 13), 2 ** 62, -2 ** 62]))
        lower = int(r.integers(0, 9))
        upper = None if r.random() < 0.5 else lower + 1 + int(r.integers(0, 11))
        dim = _slice_dim(Interval(lower, upper), start, stop, step)
        lo, hi = (dim, dim) if isinstance(dim, int) else (dim.lower, dim.upper)
        lengths = [len(range(*slice(start, stop, step).indices(n))) for n in range(lower, (upper or 60) + 1)]
        # (beyond size 60 nothing changes: every breakpoint is at |start| or |stop| <= 12)
        assert lo <= min(lengths) and (hi is None or hi == max(lengths)), (start, stop, step, lower, upper, dim)
