"""The Kaldi network the three readers produce: nnet3's own shape (input nodes, component nodes with time
descriptors, dim-range nodes, output nodes). nnet1 and nnet2 chains are written in it too (their Splice becomes
Append(Offset(...)), their LSTM recurrence IfDefined(Offset(..., -1))), so one streaming builder serves all three.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union

import numpy as np

from .tokens import KaldiStream, Scalar


# -- descriptors (nnet3/nnet-descriptor.h) ------------------------------------------------------------------------
@dataclass(frozen=True)
class NodeRef:
    name: str


@dataclass(frozen=True)
class Offset:
    """Frame t reads `inner` at frame t + t_offset (the x offset is 0 at inference and is ignored)."""

    inner: Descriptor
    t_offset: int


@dataclass(frozen=True)
class Append:
    parts: tuple[Descriptor, ...]


@dataclass(frozen=True)
class Sum:
    parts: tuple[Descriptor, ...]


@dataclass(frozen=True)
class IfDefined:
    """`inner` where it can be computed, zeros elsewhere (before the start of a recurrence)."""

    inner: Descriptor


@dataclass(frozen=True)
class Failover:
    """`first` where it can be computed, else `second`."""

    first: Descriptor
    second: Descriptor


@dataclass(frozen=True)
class Scale:
    scale: float
    inner: Descriptor


@dataclass(frozen=True)
class Const:
    value: float
    dim: int


@dataclass(frozen=True)
class ReplaceIndex:
    """`inner` with its t (or x) index replaced by a constant. Streams cannot see absolute times: the current
    frame's value is used (what a per-frame i-vector input gives), as the legacy converter does."""

    inner: Descriptor
    variable: str
    value: int


@dataclass(frozen=True)
class Round:
    """`inner` at t rounded down to a multiple of `modulus` (i-vector periods); streamed as the current frame."""

    inner: Descriptor
    modulus: int


@dataclass(frozen=True)
class Switch:
    parts: tuple[Descriptor, ...]


Descriptor = Union[NodeRef, Offset, Append, Sum, IfDefined, Failover, Scale, Const, ReplaceIndex, Round, Switch]


def children(d: Descriptor) -> tuple[Descriptor, ...]:
    if isinstance(d, (Append, Sum, Switch)):
        return d.parts
    if isinstance(d, (Offset, IfDefined, Scale, ReplaceIndex, Round)):
        return (d.inner,)
    if isinstance(d, Failover):
        return (d.first, d.second)
    return ()


def node_refs(d: Descriptor) -> Iterator[NodeRef]:
    if isinstance(d, NodeRef):
        yield d
    for c in children(d):
        yield from node_refs(c)


def describe(d: Descriptor) -> str:
    """The descriptor as Kaldi writes it."""
    if isinstance(d, NodeRef):
        return d.name
    if isinstance(d, Offset):
        return f"Offset({describe(d.inner)}, {d.t_offset})"
    if isinstance(d, Scale):
        return f"Scale({d.scale:g}, {describe(d.inner)})"
    if isinstance(d, Const):
        return f"Const({d.value:g}, {d.dim})"
    if isinstance(d, ReplaceIndex):
        return f"ReplaceIndex({describe(d.inner)}, {d.variable}, {d.value})"
    if isinstance(d, Round):
        return f"Round({describe(d.inner)}, {d.modulus})"
    name = type(d).__name__
    return f"{name}({', '.join(describe(c) for c in children(d))})"


def splice(inner: Descriptor, offsets, optional=()) -> Descriptor:
    """Append of `inner` at each frame offset (nnet1/nnet2 Splice, nnet3 TdnnComponent time offsets); the
    `optional` offsets read zeros where `inner` is not computable (TimeHeightConvolution's time padding)."""
    parts = []
    for o in offsets:
        part = inner if int(o) == 0 else Offset(inner, int(o))
        parts.append(IfDefined(part) if o in optional else part)
    return parts[0] if len(parts) == 1 else Append(tuple(parts))


# -- components as read from the file -----------------------------------------------------------------------------
@dataclass
class Component:
    """One component as written in the file: its type (e.g. "NaturalGradientAffineComponent", or nnet1's
    "AffineTransform"), its `<Token> value` fields, and the values written without a token (nnet1 weights)."""

    name: str
    type: str
    fields: dict[str, Scalar | np.ndarray | bool | None]
    positional: list[Scalar | np.ndarray | bool]
    offset: int
    stream: KaldiStream
    dims: tuple[int, int] | None = None          # nnet1: (output dim, input dim) from the header
    nested: list = field(default_factory=list)   # nnet1 ParallelComponent / nnet3 CompositeComponent parts

    def error(self, message: str):
        from irforge.errors import InputError
        return InputError(f"component '{self.name}' ({self.type}): {message}", path=self.stream.path,
                          offset=self.offset)

    def _get(self, tokens: tuple[str, ...], default, what: str):
        for tok in tokens:
            if tok in self.fields:
                return self.fields[tok]
        if default is not _REQUIRED:
            return default
        raise self.error(f"has no {' or '.join(tokens)} ({what})")

    def has(self, *tokens: str) -> bool:
        return any(t in self.fields for t in tokens)

    def int(self, *tokens: str, default=None) -> int:
        value = self._get(tokens, _REQUIRED if default is None else default, "an integer")
        if isinstance(value, Scalar):
            return value.int()
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return int(value)
        raise self.error(f"{tokens[0]} should be an integer")

    def float(self, *tokens: str, default=None) -> float:
        value = self._get(tokens, _REQUIRED if default is None else default, "a number")
        if isinstance(value, Scalar):
            return value.float()
        if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
            return float(value)
        raise self.error(f"{tokens[0]} should be a number")

    def bool(self, *tokens: str, default: bool | None = None) -> bool:
        value = self._get(tokens, _REQUIRED if default is None else default, "T or F")
        if isinstance(value, bool):
            return value
        if isinstance(value, Scalar) and value.text in ("T", "F"):
            return value.text == "T"
        raise self.error(f"{tokens[0]} should be T or F")

    def matrix(self, *tokens: str, optional: bool = False) -> np.ndarray | None:
        value = self._get(tokens, None if optional else _REQUIRED, "a matrix")
        if value is None:
            return None
        if not isinstance(value, np.ndarray):
            raise self.error(f"{tokens[0]} should be a matrix")
        return value if value.ndim == 2 else value.reshape(1 if value.size else 0, value.size)

    def vector(self, *tokens: str, optional: bool = False) -> np.ndarray | None:
        value = self._get(tokens, None if optional else _REQUIRED, "a vector")
        if value is None:
            return None
        if not isinstance(value, np.ndarray):
            raise self.error(f"{tokens[0]} should be a vector")
        return value.reshape(-1)

    def ints_pairs(self, *tokens: str) -> np.ndarray:
        value = self._get(tokens, _REQUIRED, "a vector of integer pairs")
        if isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[1] == 2:
            return value.astype(np.int64)
        raise self.error(f"{tokens[0]} should be a vector of integer pairs")

    def ints(self, *tokens: str) -> np.ndarray:
        value = self._get(tokens, _REQUIRED, "an integer vector")
        if isinstance(value, np.ndarray):
            if not np.all(value == np.round(value)):
                raise self.error(f"{tokens[0]} should hold integers")
            return value.reshape(-1).astype(np.int64)
        raise self.error(f"{tokens[0]} should be an integer vector")


_REQUIRED = object()


# -- the network --------------------------------------------------------------------------------------------------
@dataclass
class ComponentNode:
    name: str
    component: str
    input: Descriptor


@dataclass
class DimRangeNode:
    """Columns [dim_offset, dim_offset + dim) of `input` (nnet3: a node name; the nnet1 reader also slices
    descriptors)."""

    name: str
    input: Descriptor
    dim_offset: int
    dim: int


@dataclass
class Network:
    kind: str                                       # "nnet1", "nnet2" or "nnet3"
    path: str
    inputs: dict[str, int] = field(default_factory=dict)                  # input node -> dim
    nodes: dict[str, ComponentNode | DimRangeNode] = field(default_factory=dict)
    outputs: dict[str, Descriptor] = field(default_factory=dict)          # output node -> descriptor
    components: dict[str, Component] = field(default_factory=dict)
    priors: np.ndarray | None = None                # AmNnet / AmNnetSimple priors of final.mdl

    def all_components(self) -> Iterator[Component]:
        """Every component, nested ones (ParallelComponent, CompositeComponent) included."""
        stack = list(self.components.values())
        while stack:
            c = stack.pop(0)
            yield c
            stack[:0] = c.nested
