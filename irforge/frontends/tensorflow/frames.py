"""TF1 control flow (tf.compat.v1 while_loop / cond, and TF2 graphs frozen with their control flow lowered):
Enter / Merge / Switch / LoopCond / NextIteration / Exit frames -> Loop, and Switch / Merge conditionals ->
Select.

A while loop is a frame: each loop variable j enters through Enter_j (is_constant Enters bring invariants), meets
its next value at Merge_j(Enter_j, NextIteration_j), is tested by LoopCond(pred(Merge outputs)) at Switch_j, whose
true output feeds the body and whose false output leaves through Exit_j. When translation reaches an Exit, the
whole frame becomes one Loop (built once, in the scope that reaches it, so nested loops land in their parent's
body): the predicate is translated on the initial values (execution_condition) and again on the body's new
values (the condition Result); the body runs from Switch_j:1 to NextIteration_j's input.

A conditional runs both branches and picks at each Merge: every TF tensor carries the conditions under which it
is live (Switch output 1 adds (pred, true), output 0 (pred, false)); a Merge of two inputs live under C+(p,true)
and C+(p,false) is Select(p, ...), live under C.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Constant, Graph, Output
from irforge.core.shape import DYNAMIC, PartialShape
from irforge.errors import ConversionError

from . import subgraphs

if TYPE_CHECKING:
    from .loader import GraphTranslator, Scope
    from .node import TfNode

ENTER = ("Enter", "RefEnter")
MERGE = ("Merge", "RefMerge")
SWITCH = ("Switch", "RefSwitch")
EXIT = ("Exit", "RefExit")
NEXT = ("NextIteration", "RefNextIteration")


@dataclass
class Frame:
    """The nodes of one while loop."""

    name: str
    variables: list[tuple[object, object, object, object]]   # (Enter, Merge, Switch or None, NextIteration) each
    invariants: list[object]                                 # is_constant Enters
    loop_cond: object


def _producer(scope: Scope, ref: str):
    return scope.nodes.get(ref.lstrip("^").split(":")[0])


class Frames:
    """Loop frames and conditionals of one graph, translated on demand."""

    def __init__(self, translator: GraphTranslator):
        self.translator = translator
        self._consumers: dict[int, dict[str, list[tuple[object, int, int]]]] = {}
        self._loops: dict[tuple[int, str], list[Output]] = {}

    def consumers(self, scope: Scope, name: str) -> list[tuple[object, int, int]]:
        """(consumer node, its input index, the output port it reads) for every data consumer of `name`."""
        index = self._consumers.get(id(scope.nodes))
        if index is None:
            index = {}
            for node in scope.nodes.values():
                for i, ref in enumerate(node.input):
                    if ref.startswith("^"):
                        continue
                    src, _, port = ref.partition(":")
                    index.setdefault(src, []).append((node, i, int(port) if port.isdigit() else 0))
            self._consumers[id(scope.nodes)] = index
        return index.get(name, [])

    # -- while loops -----------------------------------------------------------------------------------------------
    def _switch_of(self, scope: Scope, merge) -> object | None:
        """The Switch that tests a loop Merge's value (directly, or through Identity nodes the lowering of a
        functional While puts between them)."""
        frontier = [merge.name]
        for _ in range(16):
            nxt = []
            for name in frontier:
                for consumer, _, port in self.consumers(scope, name):
                    if consumer.op in SWITCH and port == 0:
                        return consumer
                    if consumer.op in ("Identity", "Snapshot"):
                        nxt.append(consumer.name)
            frontier = nxt
        return None

    def frame_of(self, scope: Scope, exit_node) -> Frame:
        switch = _producer(scope, exit_node.input[0])
        merge = _producer(scope, switch.input[0]) if switch is not None else None
        while merge is not None and merge.op in ("Identity", "Snapshot"):
            merge = _producer(scope, merge.input[0])
        enter = None
        if merge is not None and merge.op in MERGE:
            enter = next((_producer(scope, r) for r in merge.input
                          if _producer(scope, r) is not None and _producer(scope, r).op in ENTER), None)
        if switch is None or switch.op not in SWITCH or enter is None:
            raise ConversionError("an Exit that does not leave a while loop (Exit <- Switch <- Merge <- Enter)",
                                  node=exit_node.name, op_type=exit_node.op)
        name = enter.attr["frame_name"].s.decode()
        enters = [n for n in scope.nodes.values() if n.op in ENTER and n.attr["frame_name"].s.decode() == name]
        variables, invariants, loop_cond = [], [], None
        for e in enters:
            if e.attr["is_constant"].b if "is_constant" in e.attr else False:
                invariants.append(e)
                continue
            m = next((c for c, _, _ in self.consumers(scope, e.name) if c.op in MERGE), None)
            if m is None:
                raise ConversionError("a loop variable's Enter feeds no Merge", node=e.name, op_type=e.op)
            nxt = next((_producer(scope, r) for r in m.input if _producer(scope, r).op in NEXT), None)
            if nxt is None:
                raise ConversionError("a loop Merge without its NextIteration", node=m.name, op_type=m.op)
            sw = self._switch_of(scope, m)  # None: only the condition reads the variable (lowered While)
            if sw is not None:
                loop_cond = _producer(scope, sw.input[1])
            variables.append((e, m, sw, nxt))
        if loop_cond is None:
            raise ConversionError("a while loop without loop variables", node=exit_node.name)
        return Frame(name, variables, invariants, loop_cond)

    def exit_value(self, n: TfNode) -> list[Output]:
        scope = n.scope
        frame = self.frame_of(scope, n.proto)
        key = (id(scope), frame.name)
        if key not in self._loops:
            self._loops[key] = self.build_loop(scope, frame, n)
        switch = _producer(scope, n.proto.input[0])
        index = next(j for j, (_, _, sw, _) in enumerate(frame.variables) if sw is not None and sw.name == switch.name)
        return [self._loops[key][index]]

    def build_loop(self, scope: Scope, frame: Frame, n: TfNode) -> list[Output]:
        from .loader import Scope
        tr = self.translator
        ensure = tr.ensure

        def outer(enter) -> Output:
            name, index = scope.parse_ref(enter.input[0], tr.library)
            return ensure(scope, name)[index]

        initial = [outer(e) for e, _, _, _ in frame.variables]
        fixed = [outer(e) for e in frame.invariants]
        zero = n.const(np.asarray(0, np.int32))

        def condition(graph: Graph, values: list[Output], invariants: list[Output], prefix: str) -> Output:
            bound = {m.name: [v, zero if graph is n.graph else graph.constant(np.asarray(0, np.int32))]
                     for (_, m, _, _), v in zip(frame.variables, values)}
            bound.update({e.name: [v] for e, v in zip(frame.invariants, invariants)})
            cond_scope = Scope(scope.nodes, graph, scope.function, bound, prefix, False)
            name, index = scope.parse_ref(frame.loop_cond.input[0], tr.library)
            pred = ensure(cond_scope, name)[index]
            if pred.shape.rank != 0:
                pred = graph.out(ops.Reshape(), pred, graph.constant(np.zeros((0,), np.int64)))
            return pred

        start = condition(n.graph, initial, fixed, f"{scope.prefix}{frame.name}/cond0/")
        shapes = [x.shape for x in initial]
        for _ in range(4):
            body = Graph(f"{frame.name}/body")
            params, ports, inv_values = [], [], []
            for j, x in enumerate(initial):
                params.append(body.parameter(f"{frame.name}/var{j}", x.element_type, shapes[j]))
                ports.append((2 + j, j, None))
            for k, x in enumerate(fixed):
                if isinstance(x.node.op, Constant):
                    inv_values.append(body.out(x.node.op, name=x.node.name))
                else:
                    ports.append((2 + len(ports), len(body.parameters), None))
                    inv_values.append(body.parameter(f"{frame.name}/invariant{k}", x.element_type, x.shape))
            bound: dict[str, list] = {}
            for (e, m, sw, _), p in zip(frame.variables, params):
                if sw is not None:
                    bound[sw.name] = [p, p]
                bound[m.name] = [p, body.constant(np.asarray(1, np.int32))]
            bound.update({e.name: [v] for e, v in zip(frame.invariants, inv_values)})
            body_scope = Scope(scope.nodes, body, scope.function, bound, f"{scope.prefix}{frame.name}/", False)
            new = []
            for _, _, _, nxt in frame.variables:
                name, index = scope.parse_ref(nxt.input[0], tr.library)
                new.append(ensure(body_scope, name)[index])
            relaxed = [_relaxed(s, v.shape) for s, v in zip(shapes, new)]
            if relaxed == shapes:
                break
            shapes = relaxed
        else:
            raise ConversionError("the loop variables' shapes do not settle", node=frame.name)
        again = condition(body, new, inv_values, f"{scope.prefix}{frame.name}/cond/")
        # A variable the body passes through unchanged is an input without a back edge, and its value after the
        # loop is its initial one.
        carried = [j for j, v in enumerate(new) if v is not params[j]]
        for j in carried:
            body.result(new[j], name=f"{frame.name}/out{j}")
        body.result(again, name=f"{frame.name}/cond")
        op = subgraphs.loop(body, ports, [(k, k, None) for k in range(len(carried))],
                            [(k, j) for k, j in enumerate(carried)], condition=len(carried))
        extra = [x for x in fixed if not isinstance(x.node.op, Constant)]
        loop = n.graph.add(op, n.const(np.asarray(-1, np.int64)), start, *initial, *extra,
                           name=f"{scope.prefix}{frame.name}", origin=n.origin)
        outputs = list(initial)
        for k, j in enumerate(carried):
            outputs[j] = loop.outputs[k]
        return outputs

    # -- conditionals ------------------------------------------------------------------------------------------------
    def merge(self, n: TfNode, conditions: list[tuple]) -> tuple[list[Output], tuple]:
        """Merge of a conditional's branches -> Select on what tells them apart: a Switch predicate (two branches)
        or a _SwitchN index (one branch per index; an index out of range takes the last)."""
        common = 0
        first = conditions[0]
        while common < len(first) and all(common < len(c) and c[common][0] is first[common][0]
                                          and c[common][1] == first[common][1] for c in conditions[1:]):
            common += 1
        literals = [c[common] if common < len(c) else None for c in conditions]
        if len(n.inputs) == 2 and sum(lit is None for lit in literals) == 1:
            # One branch is live everywhere its Merge is (a constant, or a value from before the Switch): it is the
            # branch the other input's predicate does not take.
            known = next(lit for lit in literals if lit is not None)
            if isinstance(known[1], bool):
                literals = [lit if lit is not None else (known[0], not known[1]) for lit in literals]
        if any(lit is None or lit[0] is not literals[0][0] for lit in literals) or len(n.inputs) < 2:
            raise n.error("cannot tell which branch of a conditional each Merge input comes from")
        if isinstance(literals[0][1], bool):
            pred, a_true = as_predicate(n, literals[0][0]), literals[0][1]
            true_value, false_value = (n.inputs[0], n.inputs[1]) if a_true else (n.inputs[1], n.inputs[0])
            value = n.out(ops.Select(), pred, true_value, false_value)
            index = n.out(ops.Select(), pred, n.const(np.asarray(1 if a_true else 0, np.int32)),
                          n.const(np.asarray(0 if a_true else 1, np.int32)))
            return [value, index], first[:common]
        selector = literals[0][0]
        order = sorted(range(len(n.inputs)), key=lambda j: literals[j][1])
        value = n.inputs[order[-1]]                     # the last branch also takes out-of-range indices
        index = n.const(np.asarray(order[-1], np.int32))
        for j in reversed(order[:-1]):
            hit = n.out(ops.Equal(), selector, n.const(np.asarray(literals[j][1], selector.element_type.numpy)))
            value = n.out(ops.Select(), hit, n.inputs[j], value)
            index = n.out(ops.Select(), hit, n.const(np.asarray(j, np.int32)), index)
        return [value, index], first[:common]


def _relaxed(a: PartialShape, b: PartialShape) -> PartialShape:
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return PartialShape(None)
    return PartialShape(x if x == y else DYNAMIC for x, y in zip(a.dims, b.dims))  # type: ignore[arg-type]


def as_predicate(n: TfNode, x: Output) -> Output:
    if x.element_type != ElementType.boolean:
        x = n.out(ops.NotEqual(), x, n.const(np.zeros((), x.element_type.numpy), x.element_type))
    if x.shape.rank != 0:
        x = n.out(ops.Reshape(), x, n.const(np.zeros((0,), np.int64)))
    return x


# -- translators (table.py) ------------------------------------------------------------------------------------
def exit_(n: TfNode) -> list[Output]:
    """The output of the Loop its while frame becomes."""
    return n.translator.frames.exit_value(n)


def switch(n: TfNode) -> list[Output]:
    """A conditional's Switch: both branches get the data (the loader records which branch each one is)."""
    return [n.input(0), n.input(0)]


def switch_n(n: TfNode) -> list[Output]:
    """_SwitchN(data, index) (a lowered Case): every branch gets the data."""
    return [n.input(0)] * int(n.attr("num_outs"))


def merge(n: TfNode) -> list[Output]:
    """A conditional's join: Select on the Switch predicate (_SwitchN index)."""
    raise n.error("Merge is translated by the loader")  # never called: the loader handles MERGE itself


def outside_frame(n: TfNode) -> list[Output]:
    """Only inside a while frame (bound when its Exit translates the loop)."""
    raise n.error(f"{n.op_type} reached outside the while loop it belongs to (the loop's Exit is not used)")


def loop_cond(n: TfNode) -> list[Output]:
    """Its predicate (used by the loop's condition)."""
    return [n.input(0)]
