"""Graph plumbing: constants, inputs, identities, variables and function calls."""
from __future__ import annotations

import numpy as np

from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import TfNode


def const(n: TfNode) -> list[Output]:
    """-> Constant (tensor_content viewed without a copy)."""
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
