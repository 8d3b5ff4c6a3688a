"""When each node of a Kaldi network is computed in a stream.

A stream feeds the input one block of frames at a time. Stream frame u = 0 is the first frame fed (the runner
pads the utterance with `left_context` copies of its first frame, so real frame 0 is stream frame left_context).
For every node n:
  delay(n)    the node's value for stream frame u is produced at step u + delay(n) (steps count fed frames);
              a descriptor Offset(m, k) read by n at frame u needs m at u + k, produced `lag` steps before
              n's step: lag = delay(n) - k - delay(m) >= 0, kept in a history memory of m when lag > 0.
  first(n)    the first stream frame at which n is computable from the frames fed (Kaldi's computability):
              Offset(m, k) needs first(m) - k; IfDefined never blocks (zeros where its input is not
              computable); Failover(a, b) needs the easier of the two.
  last(n)     the same towards the future: n at frame u needs input up to u + last(n).
The model's left context is max(0, first(output)), its right context max(0, last(output)) (the largest over the
outputs converted); the outputs' delay is max(0, delay(output descriptor)) over them, so frame t of every output
comes out exactly that many steps after frame t went in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from irforge.errors import ConversionError

from .network import (Append, ComponentNode, Const, Descriptor, DimRangeNode, Failover, IfDefined, Network, NodeRef,
                      Offset, ReplaceIndex, Round, Scale, Sum, Switch, describe)

NEVER = float("-inf")   # a value that does not depend on the input (constants): no time constraint


@dataclass(frozen=True)
class Ref:
    """A node read by a descriptor at a frame offset; `optional` when under IfDefined or in a Failover."""

    name: str
    offset: int
    optional: bool


def refs(d: Descriptor, offset: int = 0, optional: bool = False) -> list[Ref]:
    if isinstance(d, NodeRef):
        return [Ref(d.name, offset, optional)]
    if isinstance(d, Offset):
        return refs(d.inner, offset + d.t_offset, optional)
    if isinstance(d, IfDefined):
        return refs(d.inner, offset, True)
    if isinstance(d, Failover):
        return refs(d.first, offset, True) + refs(d.second, offset, optional)
    if isinstance(d, (Scale, ReplaceIndex, Round)):
        return refs(d.inner, offset, optional)
    if isinstance(d, (Append, Sum, Switch)):
        return [r for p in d.parts for r in refs(p, offset, optional)]
    return []


def first_frame(d: Descriptor, first: dict[str, float]) -> float:
    """The first stream frame where `d` can be computed (NEVER: at every frame)."""
    if isinstance(d, NodeRef):
        return first[d.name]
    if isinstance(d, Offset):
        return first_frame(d.inner, first) - d.t_offset
    if isinstance(d, (IfDefined, Const)):
        return NEVER
    if isinstance(d, Failover):
        return min(first_frame(d.first, first), first_frame(d.second, first))
    if isinstance(d, (Scale, ReplaceIndex, Round)):
        return first_frame(d.inner, first)
    return max((first_frame(p, first) for p in d.parts), default=NEVER)  # Append, Sum, Switch


def last_frame(d: Descriptor, last: dict[str, float]) -> float:
    """How many frames past the current one `d` needs (NEVER: none)."""
    if isinstance(d, NodeRef):
        return last[d.name]
    if isinstance(d, Offset):
        return last_frame(d.inner, last) + d.t_offset
    if isinstance(d, (IfDefined, Const)):
        return NEVER
    if isinstance(d, Failover):
        return min(last_frame(d.first, last), last_frame(d.second, last))
    if isinstance(d, (Scale, ReplaceIndex, Round)):
        return last_frame(d.inner, last)
    return max((last_frame(p, last) for p in d.parts), default=NEVER)


@dataclass
class Timing:
    inputs: dict[str, Descriptor]            # node -> the descriptor it reads (time offsets of layers applied)
    delay: dict[str, float] = field(default_factory=dict)
    first: dict[str, float] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)
    history: dict[str, int] = field(default_factory=dict)   # node -> frames of its past kept in memory
    output_delay: dict[str, int] = field(default_factory=dict)
    left_context: int = 0
    right_context: int = 0

    def lag(self, consumer_delay: float, ref: Ref) -> int:
        if self.delay[ref.name] == NEVER:
            return 0
        return int(consumer_delay - ref.offset - self.delay[ref.name])


def _fixpoint(names: list[str], start: dict[str, float], update, what: str) -> dict[str, float]:
    """Iterate `value[n] = update(n, value)` to a fixed point (values only grow); a value that keeps growing
    means a cycle the stream cannot run."""
    value = dict(start)
    for _ in range(len(names) + 2):
        changed = []
        for n in names:
            new = update(n, value)
            if new > value[n]:
                value[n] = new
                changed.append(n)
        if not changed:
            return value
    raise ConversionError(what + f" (nodes {', '.join(sorted(changed)[:5])})")


def analyse(net: Network, inputs: dict[str, Descriptor], outputs: dict[str, Descriptor]) -> Timing:
    """Delays, computability, histories and context of the nodes that the chosen outputs need."""
    timing = Timing(inputs)
    names = list(inputs)
    for n, d in inputs.items():
        if any(isinstance(x, Switch) for x in _walk(d)):
            raise ConversionError(f"descriptor {describe(d)} uses Switch, which selects by the x index that a "
                                  "frame stream does not have", node=n)
    base = {n: NEVER for n in names} | {i: 0.0 for i in net.inputs}
    timing.first = _fixpoint(names, base, lambda n, v: first_frame(inputs[n], v),
                             "the network has a cycle that no IfDefined(Offset(.., -k)) breaks")
    timing.last = _fixpoint(names, base, lambda n, v: last_frame(inputs[n], v),
                            "the network has a cycle that no IfDefined(Offset(.., -k)) breaks")
    timing.delay = _fixpoint(
        names, base,
        lambda n, v: max((v[r.name] + r.offset for r in refs(inputs[n]) if v[r.name] != NEVER), default=NEVER),
        "a recurrence reads future frames (e.g. a backward LSTM, IfDefined(Offset(x, +k)) in a cycle): the model "
        "needs the whole utterance and cannot run as a stream")
    for name, d in outputs.items():
        ref_delays = [timing.delay[r.name] + r.offset for r in refs(d) if timing.delay[r.name] != NEVER]
        timing.output_delay[name] = int(max(0, max(ref_delays, default=0)))
    # One delay for every output: frame t of each comes out at the same step (the IR states a single delay).
    common = max(timing.output_delay.values())
    timing.output_delay = {name: common for name in outputs}
    consumers = [(n, timing.delay[n], d) for n, d in inputs.items()] + \
                [(n, timing.output_delay[n], d) for n, d in outputs.items()]
    for consumer, consumer_delay, d in consumers:
        for r in refs(d):
            if consumer_delay == NEVER or timing.delay[r.name] == NEVER:
                continue
            lag = timing.lag(consumer_delay, r)
            if lag < 0:  # cannot happen for a fixed point of the delays; kept as an invariant check
                raise ConversionError(f"internal: negative lag {lag} reading '{r.name}'", node=consumer)
            if lag > 0:
                timing.history[r.name] = max(timing.history.get(r.name, 0), lag)
    # The input an inference gets must cover every output (as when Kaldi computes them together).
    firsts = [first_frame(d, timing.first) for d in outputs.values()]
    lasts = [last_frame(d, timing.last) for d in outputs.values()]
    timing.left_context = int(max([0] + [f for f in firsts if f != NEVER]))
    timing.right_context = int(max([0] + [x for x in lasts if x != NEVER]))
    return timing


def _walk(d: Descriptor):
    yield d
    from .network import children
    for c in children(d):
        yield from _walk(c)


def needed_nodes(net: Network, outputs: dict[str, Descriptor], inputs_of) -> list[str]:
    """The nodes the outputs need (IfDefined branches included), in file order."""
    needed: set[str] = set()
    stack = [r.name for d in outputs.values() for r in refs(d)]
    while stack:
        n = stack.pop()
        if n in needed or n in net.inputs:
            continue
        needed.add(n)
        stack.extend(r.name for r in refs(inputs_of(n)))
    return [n for n in net.nodes if n in needed]


def node_input(net: Network, name: str) -> Descriptor:
    node = net.nodes[name]
    return node.input if isinstance(node, (ComponentNode, DimRangeNode)) else NodeRef(name)
