"""The value grammar of the mo flags: CLI strings and Python values parse to the same typed values; every
malformed value raises an OptionError naming the option, the value and the form expected."""
import numpy as np
import pytest

from irforge.core.element_type import ElementType
from irforge.core.shape import DYNAMIC, Interval, PartialShape
from irforge.errors import OptionError
from irforge.option_values import (
    ChannelValues, parse_channel_values, parse_input_item, parse_input_shapes, parse_inputs, parse_layouts,
    parse_shape, parse_value, split_top_level,
)
from irforge.options import ConversionOptions


@pytest.mark.parametrize("text, dims", [
    ("[1,3,224,224]", [1, 3, 224, 224]), ("(1,3,?,-1)", [1, 3, DYNAMIC, DYNAMIC]), ("[1 3 8 8]", [1, 3, 8, 8]),
    ("[1..10,3]", [Interval(1, 10), 3]), ("[..8,1..]", [Interval(0, 8), Interval(1, None)]), ("1,3", [1, 3]),
    ("[]", []), ([2, -1, "1..4"], [2, DYNAMIC, Interval(1, 4)]),
])
def test_shapes(text, dims):
    assert parse_shape(text) == PartialShape(dims)


@pytest.mark.parametrize("text", ["[1,a]", "[1,-2]", "[1,3", "[1,[2]]", "[4..2]", "[1.5]", [1, 2.5]])
def test_bad_shapes(text):
    with pytest.raises(OptionError) as info:
        parse_shape(text)
    assert info.value.option == "--input_shape" and "expected" in str(info.value)


def test_several_shapes():
    assert parse_input_shapes("[1,3],(2, 4)") == [PartialShape([1, 3]), PartialShape([2, 4])]
    assert parse_input_shapes([1, 3]) == [PartialShape([1, 3])]
    assert parse_input_shapes([[1, 3], "[2]"]) == [PartialShape([1, 3]), PartialShape([2])]
    with pytest.raises(OptionError):
        parse_input_shapes("[1,3] x [2]")


def test_input_items():
    spec = parse_input_item("seq_len[2]{i32}->[20,15]")
    assert (spec.name, spec.shape, spec.element_type) == ("seq_len", PartialShape([2]), ElementType.i32)
    assert spec.value.dtype == np.int32 and spec.value.tolist() == [20, 15]
    assert parse_input_item("node:1[2 3]{FP16}").element_type == ElementType.f16
    assert parse_input_item("0:node").name == "0:node"
    assert parse_input_item("flag->False").value.tolist() is False
    assert parse_input_item("x{bool}").element_type == ElementType.boolean
    specs = parse_inputs("a[1,3,8,8],b{i64},0:conv")
    assert [s.name for s in specs] == ["a", "b", "0:conv"]
    assert [s.name for s in parse_inputs(["a", ("b", [1, 2], np.float16)])] == ["a", "b"]


@pytest.mark.parametrize("text, words", [
    ("x{f33}", "element type in braces"), ("x[1,2]{i32}{f32}", "two element types"),
    ("x->1->2", "more than one"), ("[1,2]", "NAME"), ("x{i32}->1.5", "i32"), ("x[2]->[1,2,3]", "3 value(s) given"),
    ("x->[1,", "a number"), ("x->'text'", "a number"), ("x[?]->1", "static shape"),
])
def test_bad_input_items(text, words):
    with pytest.raises(OptionError) as info:
        parse_input_item(text)
    assert words in str(info.value) and info.value.option == "--input"


def test_values():
    assert parse_value("[[1,2],[3,4]]", "--input").shape == (2, 2)
    assert parse_value("[1 2 3]", "--input").tolist() == [1, 2, 3]
    assert parse_value("2.5", "--input", ElementType.f16).dtype == np.float16


def test_channel_values():
    assert parse_channel_values("[1,2,3]", "--mean_values") == [ChannelValues(None, (1.0, 2.0, 3.0))]
    assert parse_channel_values("data(1,2,3),info[4]", "--mean_values") == [
        ChannelValues("data", (1.0, 2.0, 3.0)), ChannelValues("info", (4.0,))]
    # The order given is kept (the legacy mo sorted unnamed lists by their first value).
    assert [c.values[0] for c in parse_channel_values("[9,1],[1,9]", "--mean_values")] == [9.0, 1.0]
    assert parse_channel_values(255, "--scale_values") == [ChannelValues(None, (255.0,))]
    assert parse_channel_values({"a": [1, 2]}, "--mean_values") == [ChannelValues("a", (1.0, 2.0))]
    assert parse_channel_values([[1, 2], [3, 4]], "--mean_values")[1].values == (3.0, 4.0)
    for bad in ("[1,x]", "data[1,2],[3]", "a[1],a[2]", "1,2,three", "[]"):
        with pytest.raises(OptionError):
            parse_channel_values(bad, "--mean_values")
    with pytest.raises(OptionError):
        parse_channel_values("[1,0]", "--scale_values")


def test_layouts():
    (one,) = parse_layouts("nhwc->nchw", "--layout")
    assert (one.name, str(one.source), str(one.target)) == (None, "[N,H,W,C]", "[N,C,H,W]")
    specs = parse_layouts("data(nhwc->nchw),out[n,c]", "--layout")
    assert [(s.name, str(s.source), s.target and str(s.target)) for s in specs] == [
        ("data", "[N,H,W,C]", "[N,C,H,W]"), ("out", "[N,C]", None)]
    (target,) = parse_layouts("nhwc", "--target_layout")
    assert target.source is None and str(target.target) == "[N,H,W,C]"
    assert str(parse_layouts({"x": ("nchw", "nhwc")}, "--layout")[0].target) == "[N,H,W,C]"
    for bad in ("nc*hw", "data(nchw", "a(nchw),a(nhwc)"):
        with pytest.raises(OptionError):
            parse_layouts(bad, "--layout")
    with pytest.raises(OptionError):
        parse_layouts("nchw->nhwc", "--source_layout")


def test_split_top_level():
    assert split_top_level("a[1,2],b{i32}->[3,4],c(1,2)") == ["a[1,2]", "b{i32}->[3,4]", "c(1,2)"]


def test_options_pair_input_shapes_and_freeze_values():
    opts = ConversionOptions.build("m.onnx", input="a,b", input_shape="[1,2],[3]",
                                   freeze_placeholder_with_value="b->[7,8,9],c->1")
    assert [(s.name, s.shape) for s in opts.input] == [("a", PartialShape([1, 2])), ("b", PartialShape([3]))]
    assert opts.input_shape == [] and opts.input[1].value.tolist() == [7, 8, 9]
    assert [s.name for s in opts.inputs] == ["a", "b", "c"] and not opts.inputs[2].listed
