"""TF2 functional control flow and tensor lists.

While / StatelessWhile -> Loop: the loop variables a body returns unchanged stay outside (constants are copied
into the body, other values become inputs without a back edge); the others are carried by back edges. The
condition runs once on the initial values (the Loop's execution_condition input) and again at the end of each
iteration inside the body. If the carried values change shape across iterations, the body is translated again
with those dims dynamic.

If / StatelessIf -> If with both branches as bodies (or only the taken branch, inlined, when the condition is
known at conversion time). Case -> the known branch inlined, or every branch with Selects.

Tensor lists (TensorArrays, the variant loop variables of RNNs) are dense tensors [length, *element]:
FromTensor is the tensor itself, GetItem a Gather, SetItem a Select against a one-hot row mask, Stack the
tensor. A reserved list whose element dims are unknown starts with size-1 dims; SetItem broadcasts them to the
item's dims.
"""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Constant, Graph, Output
from irforge.core.shape import DYNAMIC, PartialShape

from .. import subgraphs
from ..node import TfNode
from .generic import cast_to, i64, scalar_like


def _as_condition(n: TfNode, x: Output) -> Output:
    """TF's truth of a predicate: a boolean as it is, a number when nonzero; always a scalar."""
    if x.element_type != ElementType.boolean:
        x = n.out(ops.NotEqual(), x, scalar_like(n, 0, x))
    if x.shape.rank != 0:
        x = n.out(ops.Reshape(), x, n.const(i64([])))
    return x


def _returned_arg(fdef, translator, k: int) -> bool:
    """True when output k of a loop body is its argument k (through Identity nodes): a loop invariant."""
    nodes = translator.body_nodes(fdef.signature.name)
    ref = fdef.ret[fdef.signature.output_arg[k].name]
    arg = fdef.signature.input_arg[k].name
    for _ in range(64):
        name = ref.split(":")[0]
        if name == arg and ":" not in ref:
            return True
        node = nodes.get(name)
        if node is None or node.op not in ("Identity", "Snapshot") or not node.input:
            return False
        ref = node.input[0]
    return False


def _relaxed(a: PartialShape, b: PartialShape) -> PartialShape:
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return PartialShape(None)
    return PartialShape(x if x == y else DYNAMIC for x, y in zip(a.dims, b.dims))  # type: ignore[arg-type]


def while_loop(n: TfNode) -> list[Output]:
    """While / StatelessWhile(loop variables; cond, body) -> Loop."""
    tr = n.translator
    cond_name, body_name = n.func_attr("cond"), n.func_attr("body")
    fdef = tr.library[body_name]
    xs = list(n.inputs)
    invariant = [_returned_arg(fdef, tr, k) for k in range(len(xs))]
    start = _as_condition(n, tr.call_function(cond_name, xs, f"{n.name}/cond", n.graph)[0])
    shapes = [x.shape for x in xs]
    for _ in range(4):  # translate the body until the carried shapes are a fixed point
        body = Graph(f"{n.name}/body")
        inputs: list[Output] = []
        ports: list[subgraphs.Port] = []
        params: dict[int, int] = {}  # loop variable -> body Parameter index
        for k, x in enumerate(xs):
            if invariant[k] and isinstance(x.node.op, Constant):
                inputs.append(body.out(x.node.op, name=x.node.name))
                continue
            params[k] = len(body.parameters)
            inputs.append(body.parameter(f"{n.name}/{fdef.signature.input_arg[k].name}", x.element_type,
                                         shapes[k]))
            ports.append((2 + len(ports), params[k], None))
        new = tr.call_function(body_name, inputs, f"{n.name}/body", body)
        changed = False
        for k, x in enumerate(new):
            if not invariant[k] and xs[k].shape.rank == 1 and (x.shape.rank or 1) > 1:
                # a list reserved without an element rank: give its initial zeros the items' rank
                xs[k] = n.out(ops.Reshape(), xs[k], n.const(i64([-1] + [1] * (x.shape.rank - 1))))
                shapes[k], changed = xs[k].shape, True
                continue
            if not invariant[k] and new[k].shape != shapes[k]:
                relaxed = _relaxed(shapes[k], new[k].shape)
                changed |= relaxed != shapes[k]
                shapes[k] = relaxed
        if not changed:
            break
    else:
        raise n.error("the loop variables' shapes do not settle")
    again = tr.call_function(cond_name, new, f"{n.name}/cond", body)[0]
    carried = [k for k in range(len(xs)) if not invariant[k]]
    results = {}
    for k in carried:
        results[k] = len(body.results)
        body.result(new[k], name=f"{n.name}/body/out{k}")
    condition = len(body.results)
    body.result(_body_condition(body, again), name=f"{n.name}/body/cond")
    op = subgraphs.loop(body, ports, [(i, results[k], None) for i, k in enumerate(carried)],
                        [(results[k], params[k]) for k in carried], condition)
    outer = [xs[k] for k in range(len(xs)) if k in params]
    loop = n.add(op, n.const(np.asarray(-1, np.int64)), start, *outer)
    outputs = list(xs)
    for i, k in enumerate(carried):
        outputs[k] = loop.outputs[i]
    return outputs


def _body_condition(body: Graph, x: Output) -> Output:
    if x.element_type != ElementType.boolean:
        x = body.out(ops.NotEqual(), x, body.constant(np.zeros((), x.element_type.numpy)))
    if x.shape.rank != 0:
        x = body.out(ops.Reshape(), x, body.constant(np.zeros((0,), np.int64)))
    return x


def _branch(n: TfNode, fname: str, args: list[Output]) -> tuple[Graph, list[tuple[int, int]], list[Output]]:
    body = Graph(f"{n.name}/{fname}")
    params = [body.parameter(f"{n.name}/{fname}/in{k}", x.element_type, x.shape) for k, x in enumerate(args)]
    outs = n.translator.call_function(fname, params, f"{n.name}/{fname}", body)
    for j, out in enumerate(outs):
        body.result(out, name=f"{n.name}/{fname}/out{j}")
    return body, [(k + 1, k) for k in range(len(args))], outs


def _if(n: TfNode, cond: Output, then_name: str, else_name: str, args: list[Output]) -> list[Output]:
    known = n.graph.constant_value(cond)
    if known is not None:
        taken = then_name if bool(np.asarray(known).reshape(-1)[0]) else else_name
        return n.translator.call_function(taken, args, f"{n.name}/{taken}", n.graph)
    then_body, then_in, outs = _branch(n, then_name, args)
    else_body, else_in, _ = _branch(n, else_name, args)
    count = len(outs)
    op = subgraphs.if_(then_body, else_body, then_in, else_in, [(j, j) for j in range(count)],
                       [(j, j) for j in range(count)])
    return list(n.add(op, cond, *args).outputs)


def if_(n: TfNode) -> list[Output]:
    """If / StatelessIf(cond, inputs...; then_branch, else_branch)."""
    return _if(n, _as_condition(n, n.input(0)), n.func_attr("then_branch"), n.func_attr("else_branch"),
               list(n.inputs[1:]))


def case(n: TfNode) -> list[Output]:
    """Case / StatelessCase(branch_index, inputs...; branches): index k runs branch k, any other the last."""
    index = n.input(0)
    branches = [f.name for f in n.attr("branches")]
    args = list(n.inputs[1:])
    known = n.graph.constant_value(index)
    if known is not None:
        k = int(np.asarray(known).reshape(-1)[0])
        taken = branches[k] if 0 <= k < len(branches) else branches[-1]
        return n.translator.call_function(taken, args, f"{n.name}/{taken}", n.graph)
    # Known only at run time: every branch runs and Selects pick, from the last branch (the default) backwards.
    index = cast_to(n, index, ElementType.i64)
    if index.shape.rank != 0:
        index = n.out(ops.Reshape(), index, n.const(i64([])))
    chosen = n.translator.call_function(branches[-1], args, f"{n.name}/{branches[-1]}", n.graph)
    for k in range(len(branches) - 2, -1, -1):
        outs = n.translator.call_function(branches[k], args, f"{n.name}/{branches[k]}", n.graph)
        hit = n.out(ops.Equal(), index, n.const(i64(k)))
        chosen = [n.out(ops.Select(), hit, a, b) for a, b in zip(outs, chosen)]
    return chosen


# -- tensor lists ---------------------------------------------------------------------------------------------------
def _element_dims(n: TfNode, i: int) -> list[int]:
    shape = n.value(i)
    if shape is None:
        raise n.error("the list's element shape must be known at conversion time")
    dims = [int(d) for d in np.asarray(shape).reshape(-1)]
    if np.asarray(shape).ndim == 0:
        raise n.error("a tensor list of elements of unknown rank is not supported")
    return dims


def list_reserve(n: TfNode) -> list[Output]:
    """TensorListReserve(element_shape, num_elements): zeros; unknown element dims start at 1, and a list of
    elements of unknown rank starts as [num_elements] (set_item and While give it the items' rank)."""
    shape = n.value(0)
    if shape is not None and np.asarray(shape).ndim == 0 and int(shape) == -1:
        dims: list[int] = []
    else:
        dims = [d if d >= 0 else 1 for d in _element_dims(n, 0)]
    et = n.type_attr("element_dtype")
    length = n.out(ops.Reshape(), cast_to(n, n.input(1), ElementType.i64), n.const(i64([1])))
    shape = n.out(ops.Concat(axis=0), length, n.const(i64(dims)))
    return [n.out(ops.Broadcast(), n.const(np.zeros((), et.numpy), et), shape)]


def empty_list(n: TfNode) -> list[Output]:
    """EmptyTensorList(element_shape, max_num_elements): no elements yet (the element shape must be known)."""
    dims = _element_dims(n, 0)
    if any(d < 0 for d in dims):
        raise n.error("an empty tensor list of partly unknown element shape is not supported")
    et = n.type_attr("element_dtype")
    return [n.const(np.zeros([0, *dims], et.numpy), et)]


def list_from_tensor(n: TfNode) -> list[Output]:
    """The tensor itself (lists are dense [length, *element])."""
    return [n.input(0)]


def list_get_item(n: TfNode) -> list[Output]:
    """-> Gather(list, index, 0)."""
    return [n.out(ops.Gather(), n.input(0), n.input(1), n.const(i64(0)))]


def list_set_item(n: TfNode) -> list[Output]:
    """L[index] = item: a one-hot row mask selects the item (broadcast) over the list."""
    lst, index, item = n.input(0), n.input(1), n.input(2)
    rank = lst.shape.rank
    if rank is None:
        raise n.error("a tensor list of unknown rank")
    if item.shape.rank is not None and rank < item.shape.rank + 1:
        # A list reserved without an element rank (zeros [n]): the first item gives it one.
        rank = item.shape.rank + 1
        lst = n.out(ops.Reshape(), lst, n.const(i64([-1] + [1] * (rank - 1))))
    length = n.out(ops.Gather(), n.out(ops.ShapeOf(), lst), n.const(i64(0)), n.const(i64(0)))
    rows = n.out(ops.Range(output_type=ElementType.i64), n.const(i64(0)), length, n.const(i64(1)))
    rows = n.out(ops.Reshape(), rows, n.const(i64([-1] + [1] * (rank - 1))))
    mask = n.out(ops.Equal(), rows, cast_to(n, index, ElementType.i64))
    return [n.out(ops.Select(), mask, n.out(ops.Unsqueeze(), item, n.const(i64([0]))), lst)]


def list_push_back(n: TfNode) -> list[Output]:
    """Concat(list, item[None])."""
    return [n.out(ops.Concat(axis=0), n.input(0), n.out(ops.Unsqueeze(), n.input(1), n.const(i64([0]))))]


def list_stack(n: TfNode) -> list[Output]:
    """The dense list itself."""
    return [n.input(0)]


def list_length(n: TfNode) -> list[Output]:
    """ShapeOf(list)[0]."""
    length = n.out(ops.Gather(), n.out(ops.ShapeOf(output_type=ElementType.i32), n.input(0)),
                   n.const(i64(0)), n.const(i64(0)))
    return [length]


def list_element_shape(n: TfNode) -> list[Output]:
    """The element shape: ShapeOf(list)[1:]."""
    shape = n.out(ops.ShapeOf(output_type=n.type_attr("shape_type", 3)), n.input(0))
    return [n.out(ops.Slice(), shape, n.const(i64([1])), n.const(i64([2 ** 62])), n.const(i64([1])))]
