"""ONNX ops without a translator that ONNX itself defines as a function of other ops (Attention,
SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss, RotaryEmbedding, CenterCropPad, Range, ...) are replaced by
their function body while translating, so they decompose into ops that have translators.

A context-dependent body (one that depends on the input types) is built from the types irforge has inferred for
the node's inputs, so it works for values computed inside the graph and for omitted optional inputs alike.
"""
from __future__ import annotations

import itertools

import onnx
from onnx import defs

from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from .node import ONNX_TYPES

DEFAULT_DOMAINS = ("", "ai.onnx")
_ONNX_TYPE_OF = {et: code for code, et in ONNX_TYPES.items()}
_counter = itertools.count()


def _schema(op_type: str, domain: str, opset: int):
    try:
        return defs.get_schema(op_type, opset, "" if domain in DEFAULT_DOMAINS else domain)
    except defs.SchemaError:
        return None


def has_function(op_type: str, domain: str, opset: int) -> bool:
    """True when ONNX defines this op (at this opset) as a function of other ops."""
    schema = _schema(op_type, domain, opset)
    if schema is None:
        return False
    return (schema.has_context_dependent_function and _fitting(schema.context_dependent_function_opset_versions,
                                                               opset) is not None) or \
        (schema.has_function and _fitting(schema.function_opset_versions, opset) is not None)


def _type_proto(x: Output | None) -> onnx.TypeProto:
    """The ONNX type of an input as irforge inferred it (an empty TypeProto for an omitted input)."""
    proto = onnx.TypeProto()
    if x is None or x.element_type == ElementType.dynamic:
        return proto
    tensor = proto.tensor_type
    tensor.elem_type = _ONNX_TYPE_OF.get(x.element_type, 0)
    if x.shape.rank is not None:
        tensor.shape.SetInParent()
        for d in x.shape:
            dim = tensor.shape.dim.add()
            if isinstance(d, int):
                dim.dim_value = d
    return proto


def function_body(node: onnx.NodeProto, inputs: list[Output | None], opset: int) -> onnx.FunctionProto | None:
    """The function body ONNX defines for this node at the model's opset (the newest body not newer than it), or
    None. (Asking onnx for a body version it lacks crashes the process, so the version is picked from its list.)"""
    schema = _schema(node.op_type, node.domain, opset)
    if schema is None:
        return None
    body = onnx.FunctionProto()
    if schema.has_context_dependent_function:
        version = _fitting(schema.context_dependent_function_opset_versions, opset)
        if version is None or any(x is not None and x.element_type == ElementType.dynamic for x in inputs):
            return None  # (an input of unknown type - a sequence - crashes onnx's body builders)
        types = [_type_proto(x).SerializeToString() for x in inputs]
        body.ParseFromString(schema.get_context_dependent_function_with_opset_version(
            version, node.SerializeToString(), types))
    elif schema.has_function:
        version = _fitting(schema.function_opset_versions, opset)
        if version is None:
            return None
        body.ParseFromString(schema.get_function_with_opset_version(version))
    else:
        return None
    return body


def _fitting(versions, opset: int) -> int | None:
    fitting = [v for v in versions if v <= opset]
    return max(fitting) if fitting else None


def expand(node: onnx.NodeProto, inputs: list[Output | None], opset: int) -> list[onnx.NodeProto] | None:
    """The nodes of `node`'s function body, wired to the node's own inputs and outputs; internal names get a
    prefix of the node's name so they never collide. None when ONNX defines no function for the node."""
    body = function_body(node, inputs, opset)
    if body is None:
        return None
    prefix = f"{node.name or node.op_type}/{node.op_type}{next(_counter)}/"
    names: dict[str, str] = {}
    for i, formal in enumerate(body.input):
        names[formal] = node.input[i] if i < len(node.input) else ""
    for i, formal in enumerate(body.output):
        names[formal] = node.output[i] if i < len(node.output) and node.output[i] else prefix + formal
    given = {a.name: a for a in node.attribute}
    defaults = {a.name: a for a in body.attribute_proto}
    return [_rename_node(n, names, prefix, given, defaults) for n in body.node]


def _rename_node(proto: onnx.NodeProto, names: dict[str, str], prefix: str, given: dict, defaults: dict,
                 keep: frozenset[str] = frozenset()) -> onnx.NodeProto:
    """A copy of a body node: attribute references resolved, value names renamed, except the names in `keep`
    (defined by an enclosing sub-graph of the body), which stay as they are."""
    out = onnx.NodeProto()
    out.CopyFrom(proto)
    out.name = prefix + (proto.name or proto.op_type)
    del out.input[:]
    out.input.extend(_rename(x, names, prefix, keep) for x in proto.input)
    del out.output[:]
    out.output.extend(_rename(x, names, prefix, keep) for x in proto.output)
    del out.attribute[:]
    for a in proto.attribute:
        if a.ref_attr_name:
            source = given.get(a.ref_attr_name) or defaults.get(a.ref_attr_name)
            if source is None:
                continue  # neither given nor defaulted: the body node's own default applies
            resolved = onnx.AttributeProto()
            resolved.CopyFrom(source)
            resolved.name = a.name
            out.attribute.append(resolved)
            continue
        copy = onnx.AttributeProto()
        copy.CopyFrom(a)
        for g in ([copy.g] if a.type == onnx.AttributeProto.GRAPH else
                  list(copy.graphs) if a.type == onnx.AttributeProto.GRAPHS else []):
            _rename_graph(g, names, prefix, given, defaults, keep)
        out.attribute.append(copy)
    return out


def _rename(name: str, names: dict[str, str], prefix: str, keep: frozenset[str] = frozenset()) -> str:
    if not name or name in keep:
        return name
    return names.get(name, prefix + name)


def _rename_graph(g: onnx.GraphProto, names: dict[str, str], prefix: str, given: dict, defaults: dict,
                  keep: frozenset[str]) -> None:
    """A sub-graph inside a function body: the names it defines keep their spelling (in it and in the sub-graphs
    it holds); names of the function's scope that it reads are renamed like the rest of the body."""
    local = {x.name for x in g.input} | {t.name for t in g.initializer}
    local |= {o for n in g.node for o in n.output if o}
    inner = keep | frozenset(local)
    renamed = [_rename_node(n, names, prefix, given, defaults, inner) for n in g.node]
    for copy, original in zip(renamed, g.node):
        copy.name = original.name or copy.name
    del g.node[:]
    g.node.extend(renamed)
    for o in g.output:
        o.name = _rename(o.name, names, prefix, inner)
