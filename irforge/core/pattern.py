"""A tiny graph matcher: patterns are data (op patterns, captures, constant predicates, alternatives), matched
against an Output. Inputs of a commutative op match in either order, so one pattern covers `x * 0.5` and
`0.5 * x`. A capture name used twice must bind the same Output both times (x * sigmoid(x)).

    x = capture("x")
    gelu = op(Multiply, op(Multiply, x, const(near(0.5))),
              op(Add, op(Erf, op(Divide, x, const(near(SQRT2)))), const(near(1.0))))
    m = match(gelu, node.outputs[0])        # a Match (m["x"] is the Output bound to x) or None
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import permutations
from typing import Callable, Iterator, Union

import numpy as np

from .graph import Constant, Graph, Node, Output
from .op import Op


@dataclass(frozen=True)
class OpPattern:
    """An output of a node whose op is one of `types` (and satisfies `where`), with inputs matching `inputs`
    (None: any inputs). The inputs of a commutative op (Op.COMMUTATIVE) are tried in every order."""

    types: tuple[type[Op], ...]
    inputs: tuple[Pattern, ...] | None
    name: str | None = None
    where: Callable[[Op], bool] | None = None
    commutative: bool = False
    port: int = 0


@dataclass(frozen=True)
class Capture:
    """Any output; bound to `name` (the same name must bind the same Output everywhere in a match)."""

    name: str
    where: Callable[[Output], bool] | None = None


@dataclass(frozen=True)
class ConstPattern:
    """An output whose value is known at conversion time (a Constant, or a small inferred value) and satisfies
    `predicate`; bound to `name` when given."""

    predicate: Callable[[np.ndarray], bool] | None = None
    name: str | None = None


@dataclass(frozen=True)
class OneOf:
    """The first alternative that matches."""

    alternatives: tuple[Pattern, ...]


Pattern = Union[OpPattern, Capture, ConstPattern, OneOf]


def op(types: type[Op] | tuple[type[Op], ...], *inputs: Pattern, name: str | None = None,
       where: Callable[[Op], bool] | None = None, any_inputs: bool = False) -> OpPattern:
    """An op pattern; commutativity comes from the op class (Add, Multiply, Maximum, ... say COMMUTATIVE)."""
    types = types if isinstance(types, tuple) else (types,)
    commutative = all(getattr(t, "COMMUTATIVE", False) for t in types) and len(inputs) == 2
    return OpPattern(types, None if any_inputs else tuple(inputs), name, where, commutative)


def capture(name: str, where: Callable[[Output], bool] | None = None) -> Capture:
    return Capture(name, where)


def const(predicate: Callable[[np.ndarray], bool] | None = None, name: str | None = None) -> ConstPattern:
    return ConstPattern(predicate, name)


def one_of(*alternatives: Pattern) -> OneOf:
    return OneOf(tuple(alternatives))


def near(value: float, rtol: float = 1e-4, atol: float = 1e-7) -> Callable[[np.ndarray], bool]:
    """Predicate: every element of a float constant is within tolerance of `value` (so a broadcast [1,1,1]
    constant counts as the scalar it holds)."""
    def check(v: np.ndarray) -> bool:
        return v.size > 0 and v.dtype.kind == "f" and bool(np.allclose(v, value, rtol=rtol, atol=atol))
    check.__name__ = f"near({value})"
    return check


def known_value(x: Output) -> np.ndarray | None:
    """The value of x when it is known at conversion time (any Constant, or a small inferred value)."""
    if isinstance(x.node.op, Constant):
        return x.node.op.array()
    return x.info.value


@dataclass
class Match:
    """What a match bound: captures by name, constant values by name, and the op nodes it covered (root first)."""

    root: Output
    captures: dict[str, Output] = field(default_factory=dict)
    values: dict[str, np.ndarray] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)

    def __getitem__(self, name: str) -> Output:
        return self.captures[name]

    def value(self, name: str) -> np.ndarray:
        return self.values[name]

    def copy(self) -> Match:
        return Match(self.root, dict(self.captures), dict(self.values), list(self.nodes))

    def is_self_contained(self) -> bool:
        """Every inner node's outputs are read only by nodes of the match, so replacing the root frees them all
        (otherwise a fusion would keep the inner nodes alive and compute them twice)."""
        inside = {id(n) for n in self.nodes}
        for node in self.nodes:
            if node is self.root.node:
                continue
            for out in node.outputs:
                if any(id(u.node) not in inside for u in out.uses):
                    return False
        return True


def match(pattern: Pattern, out: Output) -> Match | None:
    """Match `pattern` with `out` as its root; None when it does not match."""
    for m in _match(pattern, out, Match(out)):
        return m
    return None


def _bound_elsewhere(m: Match, name: str, out: Output) -> bool:
    """The name already stands for another tensor in this match (the same name must bind the same tensor)."""
    bound = m.captures.get(name)
    return bound is not None and bound is not out


def _match(p: Pattern, out: Output, m: Match) -> Iterator[Match]:
    """Every way p can match out given the bindings in m (a generator, so commutative choices backtrack)."""
    if isinstance(p, Capture):
        bound = m.captures.get(p.name)
        if bound is not None:
            if bound is out:
                yield m
            return
        if p.where is not None and not p.where(out):
            return
        m = m.copy()
        m.captures[p.name] = out
        yield m
    elif isinstance(p, ConstPattern):
        value = known_value(out)
        if value is None or (p.predicate is not None and not p.predicate(np.asarray(value))):
            return
        if p.name is not None:
            if _bound_elsewhere(m, p.name, out):
                return
            m = m.copy()
            m.captures[p.name] = out
            m.values[p.name] = np.asarray(value)
        yield m
    elif isinstance(p, OneOf):
        for alternative in p.alternatives:
            yield from _match(alternative, out, m)
    else:
        node = out.node
        if out.index != p.port or not isinstance(node.op, p.types):
            return
        if p.where is not None and not p.where(node.op):
            return
        if p.name is not None and _bound_elsewhere(m, p.name, out):
            return
        m = m.copy()
        if p.name is not None:
            m.captures[p.name] = out
        if node not in m.nodes:
            m.nodes.append(node)
        if p.inputs is None:
            yield m
            return
        if len(p.inputs) != len(node.inputs):
            return
        orders = permutations(range(len(p.inputs))) if p.commutative else [tuple(range(len(p.inputs)))]
        for order in orders:
            yield from _match_inputs([p.inputs[i] for i in order], node.inputs, m)


def _match_inputs(patterns: list[Pattern], inputs: list[Output], m: Match) -> Iterator[Match]:
    if not patterns:
        yield m
        return
    for first in _match(patterns[0], inputs[0], m):
        yield from _match_inputs(patterns[1:], inputs[1:], first)


Rewrite = Callable[[Graph, Match], Union[Output, None]]


def rewrite(graph: Graph, rules: list[tuple[Pattern, Rewrite]], self_contained: bool = True) -> int:
    """Try each rule at every node output, producers first; a rule's function builds the replacement of the
    matched root (or returns None to decline). Replaced nodes are left for dead-node removal. Returns the
    number of rewrites."""
    done = 0
    for node in graph.topological():
        for out in node.outputs:
            if not out.uses:
                continue
            for pattern, build in rules:
                m = match(pattern, out)
                if m is None or (self_contained and not m.is_self_contained()):
                    continue
                new = build(graph, m)
                if new is None:
                    continue
                graph.replace_uses(out, new)
                done += 1
                break
    return done
