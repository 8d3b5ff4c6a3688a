"""MxNode: what a translator sees: resolved inputs, the node's string attributes parsed on request (with MXNet's
defaults given at the call), and the builder verbs."""
from __future__ import annotations

import ast
from typing import Any

import numpy as np

from irforge.core.graph import Graph, Origin, Output
from irforge.errors import ConversionError
from irforge.frontends.base import NodeBuilder

from .symbol_json import SymbolNode

# MXNet's own output names (FListOutputNames), for ops whose outputs are not just "output" / "output{i}".
OUTPUT_NAMES: dict[str, tuple[str, ...]] = {
    "BatchNorm": ("output", "mean", "var"),
    "LayerNorm": ("output", "mean", "std"),
    "RNN": ("output", "state_output", "statecell_output"),
    "Proposal": ("output", "score"),
    "MultiProposal": ("output", "score"),
    "_contrib_Proposal": ("output", "score"),
    "_contrib_MultiProposal": ("output", "score"),
}
# Ops with several outputs in all (some hidden) that MXNet names output0, output1, ...
MULTI_OUTPUT = {"SliceChannel", "split", "topk", "box_nms", "_contrib_box_nms", "_contrib_box_non_maximum_suppression",
                "_split_v2"}


def output_name(node: SymbolNode, index: int) -> str:
    """The tensor name `sym.list_outputs()` gives output `index` of `node` (a variable is named after itself)."""
    if node.is_variable:
        return node.name
    names = OUTPUT_NAMES.get(node.op)
    if names is not None and index < len(names):
        return f"{node.name}_{names[index]}"
    if node.op in MULTI_OUTPUT or index > 0:
        return f"{node.name}_output{index}"
    return f"{node.name}_output"


class MxNode(NodeBuilder):
    """One MXNet op node being translated."""

    def __init__(self, sym: SymbolNode, inputs: list[Output], producers: list[SymbolNode], graph: Graph,
                 path: str | None):
        super().__init__(graph, Origin("mxnet", sym.name, sym.op, path))
        self.sym = sym
        self.op_type = sym.op
        self.name = sym.name
        self.inputs = inputs
        self.producers = producers     # the symbol node feeding each input (variables included)
        self.attrs = sym.attrs

    # -- inputs ----------------------------------------------------------------------------------------------------
    def input(self, i: int) -> Output:
        if i >= len(self.inputs):
            raise self.error(f"input {i} is required ({len(self.inputs)} given)")
        return self.inputs[i]

    def optional(self, i: int) -> Output | None:
        return self.inputs[i] if i < len(self.inputs) else None

    def value(self, i: int) -> np.ndarray | None:
        x = self.optional(i)
        return None if x is None else self.graph.constant_value(x)

    def rank(self, x: Output, what: str = "input") -> int:
        if x.shape.rank is None:
            raise self.error(f"the {what} has an unknown rank: give the model's input shapes with --input_shape")
        return x.shape.rank

    # -- attributes ------------------------------------------------------------------------------------------------
    def has(self, key: str) -> bool:
        return key in self.attrs and self.attrs[key] not in ("None", "")

    def str(self, key: str, default: str | None = None) -> str | None:
        value = self.attrs.get(key)
        return default if value is None or value == "None" else value

    def bool(self, key: str, default: bool = False) -> bool:
        value = self.attrs.get(key)
        if value is None or value == "None":
            return default
        text = value.strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise self.error(f"attribute {key}={value!r} is not a boolean")

    def int(self, key: str, default: int | None = None) -> int | None:
        value = self.attrs.get(key)
        if value is None or value == "None":
            return default
        try:
            return int(float(value)) if "." in value or "e" in value.lower() else int(value)
        except ValueError:
            raise self.error(f"attribute {key}={value!r} is not an integer") from None

    def float(self, key: str, default: float | None = None) -> float | None:
        value = self.attrs.get(key)
        if value is None or value == "None":
            return default
        try:
            return float(value)
        except ValueError:
            raise self.error(f"attribute {key}={value!r} is not a number") from None

    def ints(self, key: str, default: tuple | None = None) -> tuple:
        """A tuple attribute: "(3, 3)", "[1,2]", "3" or "(None, 2)" (None entries are kept)."""
        value = self.attrs.get(key)
        if value is None or value.strip() in ("None", "", "()", "[]"):
            return tuple(default) if default is not None else ()
        try:
            parsed: Any = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise self.error(f"attribute {key}={value!r} is not a tuple of integers") from None
        if isinstance(parsed, (int, float)) or parsed is None:
            parsed = (parsed,)
        return tuple(None if v is None else int(v) for v in parsed)

    def floats(self, key: str, default: tuple = ()) -> tuple[float, ...]:
        value = self.attrs.get(key)
        if value is None or value.strip() in ("None", ""):
            return tuple(default)
        try:
            parsed = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise self.error(f"attribute {key}={value!r} is not a tuple of numbers") from None
        if isinstance(parsed, (int, float)):
            parsed = (parsed,)
        return tuple(float(v) for v in parsed)

    def error(self, message: str) -> ConversionError:
        return ConversionError(message, node=self.name, op_type=self.op_type)
