"""Partial shapes: parsing and printing, interval arithmetic, merging, broadcasting and window sizes."""
import pytest

from irforge.core.shape import (DYNAMIC, Interval, PartialShape, broadcast_shapes, dim_add, dim_merge, dim_mul,
                                make_dim, normalize_axis, parse_dim)
from irforge.ops.window import output_size, same_output_size


@pytest.mark.parametrize("text,dims", [("1,3,224,224", [1, 3, 224, 224]), ("?,3", [DYNAMIC, 3]),
                                       ("1..10,-1", [Interval(1, 10), DYNAMIC]), ("..8", [Interval(0, 8)]),
                                       ("2..", [Interval(2, None)]), ("", []), ("[1,2]", [1, 2])], ids=str)
def test_parse_and_print(text, dims):
    shape = PartialShape.parse(text)
    assert shape == PartialShape(dims)
    assert PartialShape.parse(str(shape)) == shape


def test_dynamic_rank():
    shape = PartialShape.parse("...")
    assert shape.rank is None and str(shape) == "..." and not shape.is_static


def test_parse_dim_rejects_negative():
    with pytest.raises(ValueError):
        parse_dim("-2")


def test_make_dim_collapses_equal_bounds():
    assert make_dim(4, 4) == 4 and make_dim(-3, None) == Interval(0, None)


def test_interval_arithmetic():
    assert dim_add(Interval(1, 4), 3) == Interval(4, 7)
    assert dim_add(Interval(1, None), Interval(2, 3)) == Interval(3, None)
    assert dim_mul(Interval(2, 4), 3) == Interval(6, 12)
    assert dim_mul(DYNAMIC, 0) == 0
    assert dim_mul(Interval(1, 2), Interval(3, None)) == Interval(3, None)


def test_merge_takes_the_intersection():
    assert dim_merge(Interval(1, 10), Interval(4, 20)) == Interval(4, 10)
    assert dim_merge(DYNAMIC, 7) == 7
    assert PartialShape([DYNAMIC, 3]).merge(PartialShape([2, Interval(1, 5)])) == PartialShape([2, 3])
    assert PartialShape(None).merge(PartialShape([2])) == PartialShape([2])
    with pytest.raises(ValueError):
        PartialShape([2, 3]).merge(PartialShape([2, 4]))
    assert not PartialShape([2]).compatible(PartialShape([2, 1]))


@pytest.mark.parametrize("a,b,out", [
    ([2, 3, 4], [4], [2, 3, 4]),
    ([2, 1], [1, 5], [2, 5]),
    ([], [3, 2], [3, 2]),
    ([DYNAMIC, 3], [4, 1, 1], [4, DYNAMIC, 3]),
    ([Interval(2, 6)], [1], [Interval(2, 6)]),
    ([DYNAMIC], [5], [5]),
    ([Interval(1, 4)], [Interval(2, 8)], [Interval(0, 8)]),
], ids=str)
def test_broadcast(a, b, out):
    assert broadcast_shapes(PartialShape(a), PartialShape(b)) == PartialShape(out)
    assert broadcast_shapes(PartialShape(b), PartialShape(a)) == PartialShape(out)


def test_broadcast_unknown_rank_and_clash():
    assert broadcast_shapes(PartialShape(None), PartialShape([2])).rank is None
    with pytest.raises(ValueError):
        broadcast_shapes(PartialShape([2, 3]), PartialShape([3, 3, 2]))


def test_normalize_axis():
    assert normalize_axis(-1, 4) == 3 and normalize_axis(0, 0) == 0
    with pytest.raises(ValueError):
        normalize_axis(4, 4)
    with pytest.raises(ValueError):
        normalize_axis(-5, 4)


@pytest.mark.parametrize("size,k,s,d,pb,pe,ceil,torch,out", [
    (224, 7, 2, 1, 3, 3, False, False, 112),
    (112, 3, 2, 1, 1, 1, False, False, 56),
    (7, 3, 2, 1, 0, 0, True, False, 3),
    (5, 2, 2, 1, 1, 1, True, False, 4),      # ceil: a last window starting in the end pad counts
    (5, 2, 2, 1, 1, 1, True, True, 3),       # ceil_torch drops it
    (6, 3, 2, 1, 1, 1, True, True, 4),       # ... but keeps one that starts inside the input
    (10, 3, 1, 2, 0, 0, False, False, 6),    # dilation 2: an effective kernel of 5
    (2, 3, 1, 1, 0, 0, False, False, 0),     # a window larger than the input
], ids=str)
def test_window_output_size(size, k, s, d, pb, pe, ceil, torch, out):
    assert output_size(size, k, s, d, pb, pe, ceil, torch) == out


def test_window_output_size_on_intervals():
    assert output_size(Interval(8, 16), 3, 2, 1, 1, 1) == Interval(4, 8)
    assert output_size(DYNAMIC, 3, 1, 1, 0, 0) == DYNAMIC
    assert same_output_size(Interval(5, 9), 2) == Interval(3, 5)
    assert same_output_size(7, 2) == 4
