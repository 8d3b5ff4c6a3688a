"""The value grammar of the `mo` flags. Each parser takes what the CLI gives (a string) or what a Python caller
gives (list, tuple, dict, number, numpy array) and returns a typed value, or raises OptionError naming the option,
the bad value and the form expected. ConversionOptions.build calls them, so a flag and a keyword argument are
parsed by the same code."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from irforge.core.element_type import ElementType
from irforge.core.layout import Layout
from irforge.core.shape import DYNAMIC, Dim, PartialShape, parse_dim
from irforge.errors import OptionError

SHAPE_FORM = "a shape in brackets such as [1,3,224,224]; a dim may be -1 or ? (dynamic) or a range such as 1..10"
INPUT_FORM = ("comma-separated NAME, NAME[shape], NAME{type}, NAME->value, node:port or port:node, "
              "e.g. data[1,3,224,224]{f32} or seq_len[1]{i32}->[20]")
VALUE_FORM = "a number, True/False, or numbers in brackets such as [20,15] or [20 15]"
CHANNELS_FORM = ("numbers in brackets, one per channel: [123.7,116.3,103.5], or per input: "
                 "data[123.7,116.3,103.5],info[1]")
LAYOUT_FORM = ("a layout such as nchw, [n,c,h,w], nc... or n...c; per tensor name(nchw) or name[n,c,h,w]; "
               "--layout also takes source->target: nhwc->nchw or name(nhwc->nchw)")
TYPE_NAMES = ("f16, f32, f64, bf16, i8, i16, i32, i64, u8, u16, u32, u64, boolean "
              "(also FP16, FP32, I32, I64, U8, BOOL, float32, int64, ...)")


@dataclass
class InputSpec:
    """One item of --input (or of --freeze_placeholder_with_value): a model input, a tensor or node name, or a
    port form ("node:port" = output port, "port:node" = input port; resolved against the graph, as names may
    contain ':'), with an optional shape, element type and frozen value."""

    name: str
    shape: PartialShape | None = None
    element_type: ElementType | None = None
    value: np.ndarray | None = None
    listed: bool = True  # False: from --freeze_placeholder_with_value, so it does not set the input order

    def __str__(self) -> str:
        text = self.name + (f"[{self.shape}]" if self.shape is not None else "")
        text += f"{{{self.element_type.value}}}" if self.element_type is not None else ""
        return text + (f"->{self.value.tolist()}" if self.value is not None else "")


@dataclass(frozen=True)
class ChannelValues:
    """One item of --mean_values / --scale_values: values for one input (name None: by position)."""

    name: str | None
    values: tuple[float, ...]

    def __str__(self) -> str:
        return (self.name or "") + "[" + ",".join(f"{v:g}" for v in self.values) + "]"


@dataclass(frozen=True)
class LayoutSpec:
    """One item of --layout / --source_layout / --target_layout (name None: by position, or the only input)."""

    name: str | None
    source: Layout | None
    target: Layout | None


# -- generic pieces ---------------------------------------------------------------------------------------------------
def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside [], (), {} (commas inside a shape or a value do not separate items)."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "[({":
            depth += 1
        elif c in "])}":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def parse_bool(value: Any, option: str = "flag") -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise OptionError(option, value, "true or false")


def parse_float(value: Any, option: str, nonzero: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise OptionError(option, value, "a number such as 255 or 58.395") from None
    if not np.isfinite(number) or (nonzero and number == 0):
        raise OptionError(option, value, "a finite non-zero number (inputs are divided by it)" if nonzero
                          else "a finite number")
    return number


def parse_offsets(value: Any, option: str = "--mean_file_offsets") -> tuple[int, int]:
    """Two non-negative integers: "(x,y)", "[x,y]", "x,y", or a pair."""
    items = list(value) if isinstance(value, (tuple, list)) else \
        [v for v in re.split(r"[,\s]+", str(value).strip().strip("()[]")) if v]
    if len(items) != 2 or not all(re.fullmatch(r"\d+", str(v).strip()) for v in items):
        raise OptionError(option, value, "two non-negative integers such as (16,16)")
    return int(items[0]), int(items[1])


def parse_positive_int(value: Any, option: str) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"\d+", text) or int(text) <= 0:
        raise OptionError(option, value, "a positive integer such as 1 or 8")
    return int(text)


def parse_names(value: Any, option: str = "names") -> list[str]:
    items = [str(v) for v in value] if isinstance(value, (list, tuple)) else split_top_level(str(value))
    names = [v.strip() for v in items]
    if not names or any(not n for n in names):
        raise OptionError(option, value, "comma-separated names with no empty item, e.g. prob,boxes or conv1:0")
    return names


# -- shapes -----------------------------------------------------------------------------------------------------------
def parse_shape(value: Any, option: str = "--input_shape") -> PartialShape:
    """"[1,3,224,224]", "(1,3,?,-1)", "[1 3 224 224]", "[1..10,3]", "1,3,224,224", or a list of ints / dims."""
    if isinstance(value, PartialShape):
        return value
    if isinstance(value, (list, tuple)):
        try:
            return PartialShape(parse_dim(d) if isinstance(d, str) else DYNAMIC if d is None else _int_dim(d)
                                for d in value)
        except ValueError:
            raise OptionError(option, value, SHAPE_FORM) from None
    text = str(value).strip()
    body = text
    if body[:1] in "[(" and body[-1:] in "])":
        body = body[1:-1]
    if re.search(r"[\[\]()]", body):
        raise OptionError(option, text, SHAPE_FORM)
    dims = [d for d in re.split(r"[,\s]+", body.strip()) if d]
    try:
        parsed = [parse_dim(d) for d in dims]
    except ValueError:
        raise OptionError(option, text, SHAPE_FORM) from None
    for d in parsed:
        if not isinstance(d, int) and d.upper is not None and d.upper < d.lower:
            raise OptionError(option, text, SHAPE_FORM, reason=f"the range {d} is empty")
    return PartialShape(parsed)


def _int_dim(d: Any) -> Dim:
    number = int(d)
    if number != d or number < -1:
        raise ValueError(d)
    return DYNAMIC if number == -1 else number


def parse_input_shapes(value: Any) -> list[PartialShape]:
    """One shape or several: "[1,3,224,224],[1,10]", a list of ints (one shape), or a list of shapes."""
    if isinstance(value, PartialShape):
        return [value]
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (int, np.integer)) for v in value):
            return [parse_shape(list(value))]
        return [parse_shape(v) for v in value]
    text = str(value).strip()
    if not text:
        raise OptionError("--input_shape", text, SHAPE_FORM)
    if text[0] not in "[(":
        return [parse_shape(text)]
    parts = [p.strip() for p in split_top_level(text)]
    if any(not (p[:1] in "[(" and p[-1:] in "])") for p in parts):
        raise OptionError("--input_shape", text, "shapes in brackets separated by commas, e.g. [1,3,224,224],[1,10]")
    return [parse_shape(p) for p in parts]


# -- element types and values -----------------------------------------------------------------------------------------
_TYPE_ALIASES = {"bool": ElementType.boolean, "half": ElementType.f16, "float": ElementType.f32,
                 "double": ElementType.f64, "float16": ElementType.f16, "float32": ElementType.f32,
                 "float64": ElementType.f64, "int8": ElementType.i8, "int16": ElementType.i16,
                 "int32": ElementType.i32, "int64": ElementType.i64, "uint8": ElementType.u8,
                 "uint16": ElementType.u16, "uint32": ElementType.u32, "uint64": ElementType.u64,
                 "bfloat16": ElementType.bf16}


def parse_element_type(value: Any, option: str = "--input", shown: Any = None) -> ElementType:
    shown = value if shown is None else shown
    if isinstance(value, ElementType):
        return value
    if isinstance(value, (type, np.dtype)):
        try:
            return ElementType.from_numpy(np.dtype(value))
        except (TypeError, ValueError):
            raise OptionError(option, shown, f"an element type: {TYPE_NAMES}") from None
    text = str(value).strip()
    if text.lower() in _TYPE_ALIASES:
        return _TYPE_ALIASES[text.lower()]
    try:
        et = ElementType.parse(text)
    except ValueError:
        raise OptionError(option, shown, f"an element type in braces: {TYPE_NAMES}") from None
    if et in (ElementType.dynamic, ElementType.string, ElementType.u1, ElementType.i4, ElementType.u4):
        raise OptionError(option, shown, f"an element type in braces: {TYPE_NAMES}")
    return et


def parse_value(value: Any, option: str, element_type: ElementType | None = None,
                shape: PartialShape | None = None, where: str = "") -> np.ndarray:
    """A frozen input value: "150", "True", "[20,15]", "[20 15]", "[[1,2],[3,4]]" or a Python value; checked
    against the element type and shape when given."""
    shown = where or value
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.startswith("["):
                if "," not in text:  # the legacy space-separated form: [20 15]
                    text = "[" + ",".join(t for t in text[1:-1].split() if t) + "]"
                data = ast.literal_eval(text)
            elif text.lower() in ("true", "false"):
                data = text.lower() == "true"
            else:
                data = ast.literal_eval(text)
            array = np.asarray(data)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise OptionError(option, shown, VALUE_FORM) from None
    else:
        array = np.asarray(value)
    if array.dtype.kind not in "biuf" or array.dtype == object:
        raise OptionError(option, shown, VALUE_FORM)
    if element_type is not None:
        target = element_type.numpy
        with np.errstate(all="ignore"):
            cast = array.astype(target)
        if target.kind in "iu" and (array.dtype.kind == "f" or not np.array_equal(cast.astype(np.float64),
                                                                                 array.astype(np.float64))):
            raise OptionError(option, shown, f"values that are {element_type.value} numbers (integers in range)")
        array = cast
    if shape is not None:
        if not shape.is_static:
            raise OptionError(option, shown, "a static shape for a frozen value (no -1, ? or ranges)")
        dims = shape.to_static()
        if array.size != int(np.prod(dims, dtype=np.int64)) and array.size != 1:
            raise OptionError(option, shown, f"{int(np.prod(dims))} value(s) for the shape [{shape}]",
                              reason=f"{array.size} value(s) given")
        array = np.full(dims, array.reshape(()), array.dtype) if array.size == 1 else array.reshape(dims)
    return array


def fit_value(value: np.ndarray, element_type: ElementType, shape: PartialShape, option: str, shown: str
              ) -> np.ndarray:
    """A frozen value for a tensor of this element type and (partial) shape: cast (integers must stay whole),
    a single value broadcast to a static shape, the right number of values reshaped; OptionError otherwise."""
    value = parse_value(value, option, element_type, where=shown)
    if shape.rank is None or value.shape == tuple(shape.dims or ()):
        return value
    if value.ndim == shape.rank and all(not isinstance(d, int) or d == v for d, v in zip(shape, value.shape)):
        return value
    if shape.is_static and value.size == 1:
        return np.full(shape.to_static(), value.reshape(-1)[0], value.dtype)
    if shape.is_static and value.size == int(np.prod(shape.to_static(), dtype=np.int64)):
        return value.reshape(shape.to_static())
    raise OptionError(option, shown, f"a value of shape [{shape}] (the shape of that tensor in the model)",
                      reason=f"the value has shape {list(value.shape)}")


# -- --input ----------------------------------------------------------------------------------------------------------
def parse_input_item(text: str, option: str = "--input") -> InputSpec:
    """NAME, then any of [shape] / (shape), {type}, and ->value, e.g. "name[2]{i32}->[20,15]"."""
    item = text.strip()
    head, arrow, value_text = item.partition("->")
    if arrow and "->" in value_text:
        raise OptionError(option, item, INPUT_FORM, reason="more than one '->'")
    head = head.strip()
    shape_text = type_text = None
    while head and head[-1] in "]})":
        close = head[-1]
        open_ = {"]": "[", "}": "{", ")": "("}[close]
        start = head.rfind(open_)
        if start <= 0:
            break
        group, head = head[start:], head[:start].rstrip()
        if close == "}":
            if type_text is not None:
                raise OptionError(option, item, INPUT_FORM, reason="two element types")
            type_text = group[1:-1]
        else:
            if shape_text is not None:
                raise OptionError(option, item, INPUT_FORM, reason="two shapes")
            shape_text = group
    if not head or re.search(r"[\[\]{}]|->", head):
        raise OptionError(option, item, INPUT_FORM)
    et = parse_element_type(type_text, option, shown=item) if type_text is not None else None
    try:
        shape = parse_shape(shape_text, option) if shape_text is not None else None
    except OptionError as e:
        raise OptionError(option, item, INPUT_FORM, reason=f"{shape_text} is not {SHAPE_FORM}") from None
    value = parse_value(value_text, option, et, shape, where=item) if arrow else None
    return InputSpec(head, shape, et, value)


def parse_inputs(value: Any) -> list[InputSpec]:
    """--input: a string of items, or a list of strings, InputSpecs, or (name, shape?, type?) tuples as the
    OpenVINO Python API takes them."""
    if isinstance(value, InputSpec):
        return [value]
    if isinstance(value, (list, tuple)) and not (isinstance(value, tuple) and value and isinstance(value[0], str)
                                                 and len(value) > 1 and not isinstance(value[1], str)):
        items = list(value)
    else:
        items = [value]
    specs: list[InputSpec] = []
    for item in items:
        if isinstance(item, InputSpec):
            specs.append(item)
        elif isinstance(item, tuple):
            specs.append(_input_from_tuple(item))
        elif isinstance(item, str):
            parts = split_top_level(item)
            if any(not p.strip() for p in parts):
                raise OptionError("--input", item, INPUT_FORM, reason="an empty item")
            specs.extend(parse_input_item(p) for p in parts)
        else:
            raise OptionError("--input", item, INPUT_FORM)
    return specs


def _input_from_tuple(item: tuple) -> InputSpec:
    """("name", [1,3,224,224], np.float32) in any order after the name."""
    if not item or not isinstance(item[0], str):
        raise OptionError("--input", item, "a tuple (name, shape, type) with the name first")
    spec = parse_input_item(item[0])
    for part in item[1:]:
        if isinstance(part, (list, tuple, PartialShape)):
            spec.shape = parse_shape(part, "--input")
        else:
            spec.element_type = parse_element_type(part)
    return spec


def parse_freeze_values(value: Any) -> list[InputSpec]:
    """--freeze_placeholder_with_value "name->value,name2->[1 2]", or a dict {name: value}."""
    option = "--freeze_placeholder_with_value"
    if isinstance(value, dict):
        return [InputSpec(str(k), value=parse_value(v, option, where=f"{k}->{v}"), listed=False)
                for k, v in value.items()]
    specs = []
    for part in split_top_level(str(value)):
        name, arrow, text = part.partition("->")
        if not arrow or not name.strip() or not text.strip():
            raise OptionError(option, part.strip(), "name->value items separated by commas, e.g. is_training->False")
        spec = parse_input_item(part, option)
        spec.listed = False
        specs.append(spec)
    return specs


# -- --mean_values / --scale_values -----------------------------------------------------------------------------------
def parse_channel_values(value: Any, option: str) -> list[ChannelValues]:
    """"[1,2,3]", "(1,2,3)", "255", "data[1,2,3],info[4]", "[1,2,3],[4,5,6]" (by input position), a list of
    numbers, a list of lists, or a dict {name: numbers}. Items are all named or all positional."""
    nonzero = option == "--scale_values"
    if isinstance(value, dict):
        return [ChannelValues(str(k), _numbers(v, option, nonzero, f"{k}{v}")) for k, v in value.items()]
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (int, float, np.number)) for v in value):
            return [ChannelValues(None, _numbers(value, option, nonzero))]
        return [ChannelValues(None, _numbers(v, option, nonzero)) for v in value]
    if isinstance(value, (int, float, np.number)):
        return [ChannelValues(None, _numbers([value], option, nonzero))]
    text = str(value).strip()
    items = []
    for part in split_top_level(text):
        part = part.strip()
        m = re.fullmatch(r"(.*?)\s*([\[(])([^\[\]()]*)([\])])", part)
        if m and {m.group(2), m.group(4)} in ({"[", "]"}, {"(", ")"}):
            items.append(ChannelValues(m.group(1).strip() or None, _numbers(m.group(3), option, nonzero, part)))
        elif re.fullmatch(r"[-+0-9.eE]+", part):
            items.append(ChannelValues(None, _numbers(part, option, nonzero, part)))
        else:
            raise OptionError(option, text, CHANNELS_FORM)
    if not items:
        raise OptionError(option, text, CHANNELS_FORM)
    if len({item.name is None for item in items}) > 1:
        raise OptionError(option, text, CHANNELS_FORM, reason="give a name to every item or to none")
    names = [item.name for item in items if item.name]
    if len(names) != len(set(names)):
        raise OptionError(option, text, CHANNELS_FORM, reason="an input is named twice")
    return items


def _numbers(value: Any, option: str, nonzero: bool, shown: Any = None) -> tuple[float, ...]:
    parts = [p for p in re.split(r"[,\s]+", value.strip()) if p] if isinstance(value, str) else list(
        np.asarray(value, dtype=object).reshape(-1))
    try:
        numbers = tuple(float(p) for p in parts)
    except (TypeError, ValueError):
        raise OptionError(option, shown if shown is not None else value, CHANNELS_FORM) from None
    if not numbers or not all(np.isfinite(numbers)):
        raise OptionError(option, shown if shown is not None else value, CHANNELS_FORM)
    if nonzero and any(n == 0 for n in numbers):
        raise OptionError(option, shown if shown is not None else value, "non-zero scale values (inputs are "
                          "divided by them)")
    return numbers


# -- layouts ----------------------------------------------------------------------------------------------------------
def parse_layout(text: Any, option: str, shown: Any = None) -> Layout:
    if isinstance(text, Layout):
        return text
    try:
        return Layout.parse(str(text))
    except ValueError as e:
        raise OptionError(option, shown if shown is not None else text, LAYOUT_FORM, reason=str(e)) from None


def parse_layouts(value: Any, option: str) -> list[LayoutSpec]:
    """--layout (source or source->target), --source_layout or --target_layout, for one input or per name:
    "nchw", "nhwc->nchw", "data(nhwc->nchw),out(nc)", "data[n,h,w,c]->[n,c,h,w]"; or in Python a layout
    string, a dict {name: layout or (source, target)}, or a list by position."""
    if isinstance(value, dict):
        return [_layout_item(str(k), v, option) for k, v in value.items()]
    if isinstance(value, (list, tuple)) and not isinstance(value, str):
        return [_layout_item(None, v, option) for v in value]
    text = str(value).strip()
    parts = [p.strip() for p in split_top_level(text)]
    if len(parts) == 1 and not re.fullmatch(r".+?\(.*\)|[^\[]+\[.*", parts[0]):
        return [_layout_item(None, parts[0], option)]
    specs = []
    for part in parts:
        m = re.fullmatch(r"(.+?)\((.*)\)", part) or re.fullmatch(r"([^\[]+)(\[.*)", part)
        if not m or not m.group(1).strip():
            raise OptionError(option, part, LAYOUT_FORM)
        specs.append(_layout_item(m.group(1).strip(), m.group(2), option, shown=part))
    names = [s.name for s in specs]
    if len(names) != len(set(names)):
        raise OptionError(option, text, LAYOUT_FORM, reason="a name is given twice")
    return specs


def _layout_item(name: str | None, value: Any, option: str, shown: Any = None) -> LayoutSpec:
    shown = shown if shown is not None else value
    if isinstance(value, (tuple, list)) and len(value) == 2:
        source, target = value
    else:
        text = str(value)
        source, arrow, target = text.partition("->")
        if not arrow:
            target = None
        if arrow and option != "--layout":
            raise OptionError(option, shown, LAYOUT_FORM, reason="source->target is for --layout only")
    src = parse_layout(source, option, shown) if source not in (None, "") else None
    dst = parse_layout(target, option, shown) if target not in (None, "") else None
    if option == "--target_layout":
        src, dst = None, src
    return LayoutSpec(name, src, dst)


def merge_layouts(layout: list[LayoutSpec], source: list[LayoutSpec], target: list[LayoutSpec]) -> list[LayoutSpec]:
    """--layout, or --source_layout with --target_layout merged by name (the legacy mo rejects mixing them)."""
    if layout and (source or target):
        raise OptionError("--layout", ",".join(_show(s) for s in layout), "either --layout or --source_layout / "
                          "--target_layout, not both (--layout takes source->target)")
    if layout:
        return layout
    # Named items pair by name, unnamed ones by position.
    key = lambda spec, i: spec.name if spec.name is not None else i  # noqa: E731
    merged: dict[str | int, LayoutSpec] = {key(s, i): s for i, s in enumerate(source)}
    for i, t in enumerate(target):
        s = merged.get(key(t, i))
        merged[key(t, i)] = LayoutSpec(t.name, s.source if s else None, t.target)
    return list(merged.values())


def _show(spec: LayoutSpec) -> str:
    body = f"{spec.source or ''}" + (f"->{spec.target}" if spec.target else "")
    return f"{spec.name}({body})" if spec.name else body
