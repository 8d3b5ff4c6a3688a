"""IR attribute text <-> Python values, driven by each op dataclass field's type."""
from __future__ import annotations

import typing
from dataclasses import fields
from enum import Enum
from functools import lru_cache
from typing import Any

import numpy as np

from irforge.core.element_type import ElementType
from irforge.core.op import Op
from irforge.core.shape import PartialShape


def format_value(value: Any) -> str:
    """How the IR spells an attribute value (bools lower case, lists comma + blank, floats round-trip exactly)."""
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, PartialShape):
        return str(value)
    if isinstance(value, float) or isinstance(value, np.floating):
        return _float(float(value))
    if isinstance(value, (tuple, list)):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, np.ndarray):
        return format_value(value.tolist())
    return str(value)


def _float(v: float) -> str:
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    text = repr(v)
    return text[:-2] if text.endswith(".0") else text


@lru_cache(maxsize=None)
def _hints(cls: type[Op]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def parse_attributes(cls: type[Op], data: dict[str, str]) -> dict[str, Any]:
    """IR `<data>` attributes -> constructor keyword arguments. Unknown attributes are ignored (as OpenVINO
    does), missing ones keep the dataclass default."""
    hints = _hints(cls)
    out: dict[str, Any] = {}
    for f in fields(cls):
        key = f.metadata.get("ir_name", f.name)
        if not f.metadata.get("ir", True) or key not in data:
            continue
        try:
            out[f.name] = parse_value(hints[f.name], data[key])
        except (ValueError, KeyError) as e:
            raise ValueError(f"attribute {key}={data[key]!r}: {e}") from None
    return out


def parse_value(hint: Any, text: str) -> Any:
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is getattr(__import__("types"), "UnionType", None):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return parse_value(args[0], text)
    if origin in (tuple, list):
        (item,) = {a for a in typing.get_args(hint) if a is not Ellipsis} or {str}
        items = [t.strip() for t in text.split(",")] if text.strip() else []
        return tuple(parse_value(item, t) for t in items)
    if hint is bool:
        low = text.strip().lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
        raise ValueError("expected true or false")
    if hint is int:
        return int(float(text)) if text.strip().lstrip("-").replace(".", "", 1).isdigit() else int(text)
    if hint is float:
        return float(text)
    if hint is str:
        return text
    if hint is ElementType:
        return ElementType.parse(text)
    if hint is PartialShape:
        return PartialShape.parse(text)
    if isinstance(hint, type) and issubclass(hint, Enum):
        low = text.strip().lower()
        for member in hint:
            if str(member.value).lower() == low:
                return member
        raise ValueError(f"not one of {[m.value for m in hint]}")
    raise ValueError(f"no parser for {hint}")
