"""Graph plumbing: constants, inputs, identities, variables and function calls."""
from __future__ import annotations

import numpy as np

from irforge.core.element_type import ElementType
from irforge.core.graph import Output
from irforge.core.tensor import storage_nbytes

from ..node import TfNode
from ..tensors import element_type_of, shape_of


def const(n: TfNode) -> list[Output]:
    """-> Constant (big tensors of a binary GraphDef stay in the file; others viewed without a copy)."""
    lazy = n.translator.model.lazy_tensors.get(n.proto.name) if n.scope.function is None else None
    if lazy is not None:
        tensor = n.proto.attr["value"].tensor
        et = element_type_of(tensor.dtype, n.name)
        shape = shape_of(tensor.tensor_shape)
        if lazy.nbytes != storage_nbytes(et, int(np.prod(shape, dtype=np.int64))):
            raise n.error(f"the constant's {lazy.nbytes} bytes do not fit its shape {list(shape)}")
        return [n.graph.constant_from_file(lazy, et, shape, name=f"{n.name}/const")]
    value, et = n.tensor_attr("value")
    if et == ElementType.string:
        return [n.const(np.asarray(value, dtype=object), ElementType.string)]
    return [n.const(value, et)]


def placeholder(n: TfNode) -> list[Output]:
    """A model input (Parameter), created before translation with --input / --input_shape applied."""
    raise n.error("a Placeholder inside a function body cannot be a model input")


def placeholder_with_default(n: TfNode) -> list[Output]:
    """Not fed at inference: its default value flows on (--input names it to make it a model input)."""
    return [n.input(0)]


def variable(n: TfNode) -> list[Output]:
    """VariableV2 / VarHandleOp: the variable's value from the checkpoint, as a constant that stays on disk."""
    return [n.translator.variable_value(n)]


def function_call(n: TfNode) -> list[Output]:
    """PartitionedCall / StatefulPartitionedCall: the function body, inlined."""
    return n.translator.call_function(n.func_attr("f"), n.inputs, n.name, n.graph)


def no_outputs(n: TfNode) -> list[Output]:
    """Nothing (control only)."""
    return []
