"""Every op class in OPSET survives the IR: its attributes written as the writer spells them and parsed back
by the reader give an equal op, the reader finds the same class from the written type and version, and real
graphs saved and read back hold the same ops."""
from __future__ import annotations

import typing
from dataclasses import fields
from enum import Enum

import numpy as np
import pytest

import irforge
from irforge.core import ElementType
from irforge.core.graph import Constant
from irforge.core.shape import DYNAMIC, Interval, PartialShape
from irforge.ir.attributes import format_value, parse_attributes
from irforge.ops import OPSET, find_op

ROUND_TRIPPED = [c for c in OPSET if c is not Constant]   # Constant's payload is the .bin, tested by the IR tests


def _other_value(hint, default):
    """A value of the field's type that differs from its default (so a dropped attribute shows)."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
        origin = typing.get_origin(hint)
    if origin in (tuple, list):
        if typing.get_args(hint)[:1] == (str,):
            return default   # names (RNN activations) must stay ones the op knows
        return (1, 0, 1)
    if hint is bool:
        return not default
    if hint is int:
        return (default or 0) + 3
    if hint is float:
        return 0.1234567890123456789 + (default or 0.0)   # needs every digit to survive
    if hint is ElementType:
        return ElementType.i32 if default != ElementType.i32 else ElementType.i64
    if hint is PartialShape:
        return PartialShape([1, Interval(2, 5), DYNAMIC, Interval(3, None)])
    if isinstance(hint, type) and issubclass(hint, Enum):
        return next(m for m in hint if m != default)
    return default   # strings: a mode name must stay one the op knows


def _variants(cls):
    hints = typing.get_type_hints(cls)
    default = cls()
    changed = {f.name: _other_value(hints[f.name], getattr(default, f.name)) for f in fields(cls)
               if f.metadata.get("ir", True)}
    return [default, cls(**changed)]


def _round_trip(op):
    data = {key: format_value(value) for key, value in op.attributes().items()}
    return type(op)(**parse_attributes(type(op), data))


@pytest.mark.parametrize("cls", ROUND_TRIPPED, ids=lambda c: f"{c.TYPE}-{c.VERSION}")
def test_attributes_round_trip(cls):
    for op in _variants(cls):
        back = _round_trip(op)
        assert back.attributes() == op.attributes(), f"{cls.__name__}: {op} came back as {back}"


@pytest.mark.parametrize("cls", OPSET, ids=lambda c: f"{c.TYPE}-{c.VERSION}")
def test_reader_finds_the_class_from_type_and_version(cls):
    op = cls() if cls is not Constant else Constant(ElementType.f32, (1,), np.zeros(1, np.float32))
    assert find_op(cls.TYPE, op.ir_version()) is cls
    assert find_op(cls.TYPE.upper(), op.ir_version()) is cls   # type names match case-insensitively


def test_op_types_and_versions_are_unique():
    keys = [(c.TYPE.lower(), c.VERSION) for c in OPSET]
    assert len(keys) == len(set(keys))


def test_every_op_is_listed_once():
    assert len(OPSET) == len(set(OPSET))
    for cls in OPSET:
        assert cls.TYPE and cls.VERSION.startswith("opset"), cls


def _ops_of(graph):
    return [(type(n.op), n.op.attributes(), [str(o.shape) for o in n.outputs], [o.element_type for o in n.outputs])
            for n in graph.topological()]


@pytest.mark.parametrize("name", ["squeezenet", "shufflenet", "inception_v1"])
def test_converted_graph_survives_write_and_read(tmp_path, name):
    """A real converted graph, written and read back: the same ops, attributes, shapes and types in order."""
    import sys, os
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "frontends", "onnx"))
    import model_zoo
    graph = irforge.convert_model(str(model_zoo.light_path(name)))
    xml, _ = irforge.save_model(graph, tmp_path / f"{name}.xml")
    back = irforge.read_model(xml)
    assert _ops_of(back) == _ops_of(graph)
