"""If, Loop and Scan: ONNX sub-graphs become the bodies of OpenVINO's If, Loop and TensorIterator.

Values a body reads from the enclosing graph are captured by the loader's Scope as extra body Parameters; each
becomes an extra input of the op, fed whole on every iteration."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Graph, Output
from irforge.core.shape import DYNAMIC, PartialShape
from irforge.ops.control_flow import BackEdge, InputMap, OutputMap, Slicing

from ..node import OnnxNode
from .generic import i64


def _scalar(n: OnnxNode, x: Output) -> Output:
    """A one-element tensor as a scalar (conditions and trip counts)."""
    if x.shape.rank == 0:
        return x
    return n.out(ops.Reshape(), x, n.const(i64([])))


def _captured_inputs(body: Graph, captured, outer_inputs: list[Output], first_external: int) -> list[InputMap]:
    """InputMaps for a body's captured outer values, adding each value to `outer_inputs` once."""
    maps = []
    for outer, inner in captured:
        position = next((k for k, x in enumerate(outer_inputs) if x is outer), None)
        if position is None:
            outer_inputs.append(outer)
            position = len(outer_inputs) - 1
        maps.append(InputMap(first_external + position, body.parameters.index(inner.node)))
    return maps


def if_(n: OnnxNode) -> list[Output]:
    condition = _scalar(n, n.input(0))
    if condition.element_type != ElementType.boolean:
        condition = n.out(ops.Convert(ElementType.boolean), condition)
    then_graph, else_graph = n.graph_attr("then_branch"), n.graph_attr("else_branch")
    if then_graph is None or else_graph is None:
        raise n.error("then_branch and else_branch are required")
    if condition.value is not None:
        # Known while converting (often a test on a static shape): only the taken branch is translated, into
        # this graph. (The runtime validates both bodies of an If with the real shapes, and the untaken one
        # may not fit them.)
        taken = then_graph if bool(np.asarray(condition.value).reshape(-1)[0]) else else_graph
        scope = type(n.scope)(n.graph, parent=n.scope, base_dir=n.scope.base_dir, inline=True,
                              pending_initializers={t.name: t for t in taken.initializer})
        n.translator.translate_nodes(taken, scope)  # type: ignore[attr-defined]
        outputs = [scope.lookup(o.name) for o in taken.output]
        if any(o is None for o in outputs):
            raise n.error("a branch output is not produced")
        return outputs  # type: ignore[return-value]
    then_body, then_scope = n.translator.translate_body(then_graph, n.scope)  # type: ignore[attr-defined]
    else_body, else_scope = n.translator.translate_body(else_graph, n.scope)  # type: ignore[attr-defined]
    outer: list[Output] = []
    then_inputs = _captured_inputs(then_body, then_scope.captured, outer, 1)
    else_inputs = _captured_inputs(else_body, else_scope.captured, outer, 1)
    count = len(then_graph.output)
    if len(else_graph.output) != count:
        raise n.error(f"the branches give {count} and {len(else_graph.output)} outputs")
    outputs = tuple(OutputMap(k, k) for k in range(count))
    op = ops.If(then_body, else_body, tuple(then_inputs), tuple(else_inputs), outputs, outputs)
    return list(n.add(op, condition, *outer).outputs)


def _relaxed(a: PartialShape, b: PartialShape) -> PartialShape:
    """A shape that holds both: equal dims stay, others become dynamic."""
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return PartialShape(None)
    return PartialShape([x if x == y else DYNAMIC for x, y in zip(a, b)])


def loop(n: OnnxNode) -> list[Output]:
    """Body inputs (iteration, condition, carried...), outputs (condition, carried..., scan outputs...). The scan
    outputs gain a leading axis each iteration and are joined along it; the condition goes back to the body's
    condition input through a back edge, so it starts from the Loop's own condition."""
    graph = n.graph_attr("body")
    if graph is None:
        raise n.error("body is required")
    trip = n.optional(0)
    condition = n.optional(1)
    carried = [n.input(i) for i in range(2, len(n.inputs))]
    n_carried = len(carried)
    n_scans = len(graph.output) - 1 - n_carried
    trip = _scalar(n, n.out(ops.Convert(ElementType.i64), trip)) if trip is not None else n.const(i64(-1))
    condition = _scalar(n, condition) if condition is not None else n.const(np.array(True))

    def scan_axis(body: Graph, k: int, x: Output) -> Output:
        return body.out(ops.Unsqueeze(), x, body.constant(i64([0]))) if k > n_carried else x

    shapes = [x.shape for x in carried]
    for _ in range(2):  # a second pass when a carried value changes shape between iterations
        types = [("iteration", ElementType.i64, PartialShape([])), ("condition", ElementType.boolean,
                                                                      PartialShape([]))]
        types += [(f"carried{j}", x.element_type, s) for j, (x, s) in enumerate(zip(carried, shapes))]
        body, scope = n.translator.translate_body(graph, n.scope, types,  # type: ignore[attr-defined]
                                                  output_hook=scan_axis)
        new_shapes = [body.results[1 + j].inputs[0].shape for j in range(n_carried)]
        params = [body.parameters[2 + j].outputs[0].shape for j in range(n_carried)]
        if all(p == r for p, r in zip(params, new_shapes)):
            break
        shapes = [_relaxed(p, r) for p, r in zip(params, new_shapes)]
    outer: list[Output] = [condition, *carried]
    inputs = [InputMap(-1, 0, purpose="current_iteration"), InputMap(2, 1)]
    inputs += [InputMap(3 + j, 2 + j) for j in range(n_carried)]
    inputs += _captured_inputs(body, scope.captured, outer, 2)
    outputs = [OutputMap(j, 1 + j) for j in range(n_carried)]
    outputs += [OutputMap(n_carried + s, 1 + n_carried + s, Slicing(axis=0)) for s in range(n_scans)]
    outputs.append(OutputMap(-1, 0, purpose="execution_condition"))
    edges = [BackEdge(0, 1)] + [BackEdge(1 + j, 2 + j) for j in range(n_carried)]
    op = ops.Loop(body, tuple(inputs), tuple(outputs), tuple(edges))
    return list(n.add(op, trip, condition, *outer).outputs)


def scan(n: OnnxNode) -> list[Output]:
    """Scan-9+: states, then scan inputs cut along their scan axes (each step sees the slice without that
    axis); the body's extra outputs are joined along the scan output axes. A TensorIterator."""
    graph = n.graph_attr("body")
    if graph is None:
        raise n.error("body is required")
    if n.opset < 9:
        raise n.error("Scan before opset 9 (with a batch axis and sequence lengths) is not supported")
    m = int(n.attr("num_scan_inputs"))
    xs = [n.input(i) for i in range(len(n.inputs))]
    states, scanned = xs[:len(xs) - m], xs[len(xs) - m:]
    n_states = len(states)
    n_outs = len(graph.output) - n_states
    in_axes = n.ints("scan_input_axes", [0] * m)
    in_dirs = n.ints("scan_input_directions", [0] * m)
    out_axes = n.ints("scan_output_axes", [0] * n_outs)
    out_dirs = n.ints("scan_output_directions", [0] * n_outs)
    axes = []
    for x, a in zip(scanned, in_axes):
        if x.shape.rank is None:
            raise n.error("scan inputs need a known rank")
        axes.append(a + x.shape.rank if a < 0 else a)

    def slice_shape(x: Output, axis: int) -> PartialShape:
        dims = list(x.shape)
        dims[axis] = 1
        return PartialShape(dims)

    def squeeze_axis(body: Graph, i: int, param: Output) -> Output:
        if i < n_states:
            return param
        return body.out(ops.Squeeze(), param, body.constant(i64([axes[i - n_states]])))

    element_ranks: list[int] = []

    def unsqueeze_axis(body: Graph, k: int, x: Output) -> Output:
        if k < n_states:
            return x
        rank = x.shape.rank
        if rank is None:
            raise n.error("scan outputs need a known rank")
        element_ranks.append(rank)
        axis = out_axes[k - n_states]
        return body.out(ops.Unsqueeze(), x, body.constant(i64([axis + rank + 1 if axis < 0 else axis])))

    types = [(f"state{j}", x.element_type, x.shape) for j, x in enumerate(states)]
    types += [(f"scan{j}", x.element_type, slice_shape(x, a)) for j, (x, a) in enumerate(zip(scanned, axes))]
    body, scope = n.translator.translate_body(graph, n.scope, types, input_hook=squeeze_axis,  # type: ignore
                                              output_hook=unsqueeze_axis)

    def cut(axis: int, reverse: bool) -> Slicing:
        return Slicing(axis=axis, start=-1, end=0, stride=-1) if reverse else Slicing(axis=axis)

    outer: list[Output] = [*states, *scanned]
    inputs = [InputMap(j, j) for j in range(n_states)]
    inputs += [InputMap(n_states + j, n_states + j, cut(axes[j], bool(in_dirs[j]))) for j in range(m)]
    inputs += _captured_inputs(body, scope.captured, outer, 0)
    outputs = [OutputMap(j, j) for j in range(n_states)]
    for k in range(n_outs):
        rank = element_ranks[k] + 1
        axis = out_axes[k] + rank if out_axes[k] < 0 else out_axes[k]
        outputs.append(OutputMap(n_states + k, n_states + k, cut(axis, bool(out_dirs[k]))))
    edges = [BackEdge(j, j) for j in range(n_states)]
    op = ops.TensorIterator(body, tuple(inputs), tuple(outputs), tuple(edges))
    return list(n.add(op, *outer).outputs)
